"""The tests that assume independent draws (Hosmer-Lemeshow, Jeffreys, binomial, the class
order's Fisher test) count only the rows that are (one snapshot per account), in a run's
evaluation and in its comparison with the champion alike; the rest of the evaluation keeps every
row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit

from riskmodels.evaluation import SplitData, earliest_per_account, evaluate_splits
from riskmodels.evaluation.calibration import bad_rate_by_class, binomial_test, hosmer_lemeshow, jeffreys_test
from riskmodels.evaluation.compare import ScoredRows, compare_models
from riskmodels.evaluation.report import validation_report

BANDS = [("A", 80.0), ("B", 60.0), ("C", 40.0), ("D", -np.inf)]  # on the test score, 100 - 300 PD


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


def _classes(pd_: np.ndarray) -> np.ndarray:
    score = 100 - 300 * pd_
    return np.select([score >= low for _, low in BANDS[:-1]], [name for name, _ in BANDS[:-1]], "D")


def test_the_evaluation_counts_only_the_independent_rows_in_its_calibration_and_class_tests() -> None:
    y, pd_, first = _accounts_book(3)
    every = SplitData(y=y, pd=pd_, score=100 - 300 * pd_)
    one_each = SplitData(y=y, pd=pd_, score=100 - 300 * pd_, independent=first)
    plain = evaluate_splits({"train": every, "oot": every}, bands=BANDS)
    counted = evaluate_splits({"train": every, "oot": one_each}, bands=BANDS)
    got, oot = counted.metrics, counted.details["oot"]
    assert got["oot_hl_pvalue"] == hosmer_lemeshow(y[first], pd_[first], external=True).p_value
    assert got["oot_hl_shape_pvalue"] == hosmer_lemeshow(y[first], pd_[first], external=True,
                                                         relevel=True).p_value
    order = list(counted.class_order)
    cls = _classes(pd_)
    assert oot.jeffreys.table.equals(jeffreys_test(y[first], pd_[first], cls[first], order).table)
    assert oot.binomial.table.equals(binomial_test(y[first], pd_[first], cls[first], order).table)
    assert oot.bad_rates.table.equals(bad_rate_by_class(y[first], cls[first], order).table)
    assert got["oot_calibration_rows"] == first.sum() and "oot_calibration_rows" not in plain.metrics
    # Everything else still reads every row.
    assert got["oot_n"] == len(y) and got["oot_auc"] == plain.metrics["oot_auc"]
    assert got["oot_herfindahl"] == plain.metrics["oot_herfindahl"]
    # Four copies of each draw make the tests four times as sure: the plain p-values are the smaller.
    assert plain.metrics["oot_hl_pvalue"] < got["oot_hl_pvalue"]
    # So do Jeffreys' for a class with more bads than its PD says (p below one half).
    every_p, counted_p = plain.details["oot"].jeffreys.table["p_value"], oot.jeffreys.table["p_value"]
    short = every_p < 0.5
    assert short.any() and (every_p[short] < counted_p[short]).all()


def test_the_report_says_which_rows_the_tests_counted() -> None:
    y, pd_, first = _accounts_book(6, accounts=500)
    every = SplitData(y=y, pd=pd_, score=100 - 300 * pd_)
    page = validation_report(evaluate_splits({"train": every, "oot": SplitData(y=y, pd=pd_, score=every.score,
                                                                              independent=first)}, bands=BANDS))
    assert "oot: one row per account: 500 of 2,000 rows" in page  # beside Hosmer-Lemeshow
    assert page.count("one row per account: 500 of 2,000 rows") == 3  # and beside the class tests and bad rates
    plain = validation_report(evaluate_splits({"train": every, "oot": every}, bands=BANDS))
    assert "one row per account" not in plain


def test_the_champion_comparison_counts_the_same_rows() -> None:
    y, pd_, first = _accounts_book(4)
    # A champion whose PDs are too low by a fifth: Jeffreys fails some of its classes.
    champion = ScoredRows(pd_ * 0.8, classes=_classes(pd_), class_order=tuple(n for n, _ in BANDS))
    challenger = ScoredRows(pd_, classes=_classes(pd_), class_order=champion.class_order)
    result = compare_models(y, challenger, champion, independent=first)
    assert result.challenger.hl_pvalue == hosmer_lemeshow(y[first], pd_[first], external=True).p_value
    assert result.champion.hl_pvalue == hosmer_lemeshow(y[first], champion.pd[first], external=True).p_value
    counted = jeffreys_test(y[first], champion.pd[first], _classes(pd_)[first], champion.class_order)
    every = jeffreys_test(y, champion.pd, _classes(pd_), champion.class_order)
    assert result.champion.jeffreys_failures == len(counted.failures) < len(every.failures)
    assert result.n == len(y)  # the AUC test and the PSI keep every row


def test_the_mask_must_be_boolean_and_one_per_row() -> None:
    y, pd_, first = _accounts_book(5, accounts=10)
    with pytest.raises(ValueError, match="independent must be a boolean mask of the 40 rows"):
        SplitData(y=y, pd=pd_, score=pd_, independent=first.astype(int))
    with pytest.raises(ValueError, match="independent must be a boolean mask of the 40 rows"):
        SplitData(y=y, pd=pd_, score=pd_, independent=first[:-1])


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=40))
def test_the_counted_rows_are_one_per_account_at_its_earliest_date(rows: list[tuple[int, int]]) -> None:
    accounts = np.array([f"A{a}" for a, _ in rows], dtype=object)
    dates = np.array([np.datetime64("2025-01-31") + np.timedelta64(31 * m, "D") for _, m in rows],
                     dtype="datetime64[D]")
    mask = earliest_per_account(accounts, dates)
    assert sorted(accounts[mask]) == sorted(set(accounts))  # every account once
    for account, date in zip(accounts[mask], dates[mask], strict=True):
        assert date == dates[accounts == account].min()
    # Of an account's rows on its earliest date, the first in row order.
    for i in np.flatnonzero(mask):
        same = np.flatnonzero((accounts == accounts[i]) & (dates == dates[i]))
        assert i == same[0]
