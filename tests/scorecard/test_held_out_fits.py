"""The held-out search's own arithmetic: its criterion is scikit-learn's AUC and log-loss, and a
fit warm-started from the fit without its last column reaches that column set's optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

from riskmodels.scorecard import held_out


@st.composite
def scored_rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Labels with both classes, probabilities with many ties (WoE sums take few values), and
    sometimes weights."""
    n = draw(st.integers(2, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    levels = draw(st.integers(1, 50))
    prob = rng.integers(0, levels + 1, n) / levels  # 0 and 1 included: the log-loss clips them
    weight = rng.uniform(0.1, 3.0, n) if draw(st.booleans()) else None
    return y, prob, weight


@given(rows=scored_rows())
@settings(max_examples=200, deadline=None)
def test_the_criterion_is_scikit_learns_auc_and_log_loss(rows: tuple[np.ndarray, np.ndarray, np.ndarray | None]) -> None:
    y, prob, weight = rows
    assert held_out.criterion("roc_auc", y, prob, weight) == pytest.approx(
        roc_auc_score(y, prob, sample_weight=weight), abs=1e-12)
    assert held_out.criterion("neg_log_loss", y, prob, weight) == pytest.approx(
        -log_loss(y, prob, sample_weight=weight, labels=[0, 1]), rel=1e-12, abs=1e-12)


def _woe_book(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    woe = np.round(rng.normal(size=(n, 4)), 1)  # binned: few distinct values per column
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(1.2 + woe @ np.array([0.8, 0.5, 0.3, 0.0])))).astype(np.int64)
    return woe, y


@pytest.mark.parametrize("C", [math.inf, 0.5])
def test_a_warm_started_fit_reaches_the_cold_fits_optimum(C: float) -> None:
    woe, y = _woe_book(4_000, seed=3)
    train, test = np.arange(3_000), np.arange(3_000, 4_000)
    coef3, intercept3, _ = held_out.held_out_fit(C, woe[train][:, :3], y[train], None, woe[test][:, :3])
    warm = held_out.held_out_fit(C, woe[train], y[train], None, woe[test], start=(coef3, intercept3))
    cold = LogisticRegression(C=C, l1_ratio=0.0, solver="newton-cholesky", tol=1e-10, max_iter=200).fit(
        woe[train], y[train])
    np.testing.assert_allclose(warm[0], cold.coef_[0], atol=1e-6)
    assert warm[1] == pytest.approx(cold.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(warm[2], cold.predict_proba(woe[test])[:, 1], atol=1e-7)


def test_a_column_with_one_value_on_a_fold_carries_nothing_there() -> None:
    """Whether a column varies is judged on each fold's training rows, once: a column constant
    on one fold's training rows counts 0 there, and its held-out value is the fit without it."""
    woe, y = _woe_book(2_000, seed=5)
    folds = [(np.arange(1_000, 2_000), np.arange(0, 1_000)), (np.arange(0, 1_000), np.arange(1_000, 2_000))]
    woe[1_000:, 3] = 0.7  # constant on the first fold's training rows
    judge = held_out.HeldOut(np.asfortranarray(woe), y, None, folds, "roc_auc", math.inf)
    values, coef = judge.fold_values([0, 3])
    alone, _ = judge.fold_values([0])
    assert values[0] == alone[0]
    assert coef[1] == pytest.approx(judge.fits[(1, (0, 3))][0][1] / 2)
