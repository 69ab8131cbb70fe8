"""``truth.bad_12m_if_booked``: the outcome every application would have had as a loan, drawn
from the booked loans' own process on a stream of its own, so nothing else in the book moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.quality import check_table
from riskmodels.evaluation.calibration import hosmer_lemeshow
from riskmodels.evaluation.metrics import auc
from riskmodels.synth import Portfolio, generate_portfolio
from riskmodels.synth import outcomes as outcomes_module
from riskmodels.synth import portfolio as portfolio_module
from riskmodels.synth.latent import Chunk


def test_a_booked_loan_keeps_its_own_outcome(portfolio: Portfolio) -> None:
    booked = portfolio.outcomes["booked"].to_numpy()
    counterfactual = portfolio.truth["bad_12m_if_booked"]
    assert str(counterfactual.dtype) == "int64" and counterfactual.isin([0, 1]).all()
    np.testing.assert_array_equal(counterfactual[booked].to_numpy(),
                                  portfolio.outcomes.loc[booked, "bad_12m"].to_numpy(dtype=np.int64))


def test_the_applications_not_booked_default_at_their_true_pd(portfolio: Portfolio) -> None:
    rejected = ~portfolio.outcomes["booked"].to_numpy()
    y = portfolio.truth.loc[rejected, "bad_12m_if_booked"].to_numpy()
    p = portfolio.truth.loc[rejected, "true_pd"].to_numpy()
    # Thousands of rejected applications: the mean within 4 binomial standard errors, the
    # deciles of true PD calibrated, and the truth ranks them as it ranks booked loans.
    assert abs(y.mean() - p.mean()) < 4 * np.sqrt((p * (1 - p)).sum()) / len(p)
    assert hosmer_lemeshow(y, p, groups=10).p_value > 0.001
    assert auc(y, p) > 0.75


def _no_counterfactual(chunk: Chunk, rng: np.random.Generator) -> None:
    """The step replaced by one that draws nothing at all."""
    chunk.hidden["bad_12m_if_booked"] = np.nan_to_num(chunk.hidden["bad_12m"])


def test_the_counterfactual_draws_shift_no_other_column(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks: several generators, each with its own child stream for the counterfactuals.
    monkeypatch.setattr(portfolio_module, "CHUNK_SIZE", 1_000)
    with_draws = generate_portfolio(2_500, 5)
    monkeypatch.setattr(outcomes_module, "add_counterfactual_outcome", _no_counterfactual)
    without_draws = generate_portfolio(2_500, 5)
    for name, table in with_draws.tables().items():
        other = without_draws.tables()[name]
        if name == "truth":
            changed = table["bad_12m_if_booked"] != other["bad_12m_if_booked"]
            assert changed.any()  # the draws did happen, on the applications not booked only
            assert not changed[with_draws.outcomes["booked"].to_numpy()].any()
            table, other = table.drop(columns="bad_12m_if_booked"), other.drop(columns="bad_12m_if_booked")
        pd.testing.assert_frame_equal(table, other, check_exact=True, obj=name)


def test_the_contract_and_the_quality_suite_accept_the_column(portfolio: Portfolio) -> None:
    from riskmodels.contract import TRUTH

    column = TRUTH.column("bad_12m_if_booked")
    assert (column.dtype, column.minimum, column.maximum, column.nullable) == ("int", 0, 1, False)
    assert check_table(portfolio.truth, "truth").passed
    broken = portfolio.truth.assign(bad_12m_if_booked=portfolio.truth["bad_12m_if_booked"].replace(1, 2))
    assert not check_table(broken, "truth").passed
