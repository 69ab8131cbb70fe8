"""Hosmer-Lemeshow counts only the rows that are independent draws (one snapshot per account),
in a run's evaluation and in its comparison with the champion alike; the rest of the evaluation
keeps every row."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from riskmodels.evaluation import SplitData, evaluate_splits
from riskmodels.evaluation.calibration import hosmer_lemeshow
from riskmodels.evaluation.compare import ScoredRows, compare_models


def _accounts_book(seed: int, accounts: int = 3_000, months: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, pd, first month of each account): an account's months share its outcome, so its rows
    are not independent draws."""
    rng = np.random.default_rng(seed)
    log_odds = rng.normal(-3.0, 1.2, accounts)
    bad = (rng.random(accounts) < expit(log_odds)).astype(int)
    y = np.repeat(bad, months)
    pd_ = np.repeat(expit(log_odds), months) * rng.uniform(0.98, 1.02, accounts * months)
    first = np.zeros(accounts * months, dtype=bool)
    first[::months] = True
    return y, pd_, first


def test_the_evaluation_counts_only_the_independent_rows_for_hosmer_lemeshow() -> None:
    y, pd_, first = _accounts_book(3)
    every = SplitData(y=y, pd=pd_, score=100 - 300 * pd_)
    one_each = SplitData(y=y, pd=pd_, score=100 - 300 * pd_, independent=first)
    plain = evaluate_splits({"train": every, "oot": every}).metrics
    counted = evaluate_splits({"train": every, "oot": one_each}).metrics
    assert counted["oot_hl_pvalue"] == hosmer_lemeshow(y[first], pd_[first], external=True).p_value
    assert counted["oot_hl_shape_pvalue"] == hosmer_lemeshow(y[first], pd_[first], external=True,
                                                             relevel=True).p_value
    assert counted["oot_hl_rows"] == first.sum() and "oot_hl_rows" not in plain
    # Everything else still reads every row.
    assert counted["oot_n"] == len(y) and counted["oot_auc"] == plain["oot_auc"]
    # Four copies of each draw make the test four times as sure: the plain p is the smaller.
    assert plain["oot_hl_pvalue"] < counted["oot_hl_pvalue"]


def test_the_champion_comparison_counts_the_same_rows() -> None:
    y, pd_, first = _accounts_book(4)
    champion = ScoredRows(np.clip(pd_ * 1.1, 0, 1))
    result = compare_models(y, ScoredRows(pd_), champion, independent=first)
    assert result.challenger.hl_pvalue == hosmer_lemeshow(y[first], pd_[first], external=True).p_value
    assert result.champion.hl_pvalue == hosmer_lemeshow(y[first], champion.pd[first], external=True).p_value
    assert result.n == len(y)  # the AUC test and the PSI keep every row


def test_the_mask_must_be_boolean_and_one_per_row() -> None:
    y, pd_, first = _accounts_book(5, accounts=10)
    with pytest.raises(ValueError, match="independent must be a boolean mask of the 40 rows"):
        SplitData(y=y, pd=pd_, score=pd_, independent=first.astype(int))
    with pytest.raises(ValueError, match="independent must be a boolean mask of the 40 rows"):
        SplitData(y=y, pd=pd_, score=pd_, independent=first[:-1])
