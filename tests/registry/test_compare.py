"""The paired DeLong test and the comparison of two models on the same rows
(``riskmodels.evaluation.compare``), against DeLong's definition computed pair by pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from riskmodels.evaluation.calibration import hosmer_lemeshow, jeffreys_test
from riskmodels.evaluation.compare import ScoredRows, compare_models, delong_covariance, delong_paired
from riskmodels.evaluation.metrics import auc_confidence, psi


def _delong_by_definition(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """DeLong, DeLong & Clarke-Pearson (1988) as written: the kernel psi(x, y) = 1 if x > y, 1/2
    if equal, 0 otherwise, over every (bad, good) pair; (AUC a, AUC b, variance of a - b)."""
    def components(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        bad, good = score[y == 1], score[y == 0]
        kernel = (bad[:, None] > good[None, :]) + 0.5 * (bad[:, None] == good[None, :])
        return kernel.mean(axis=1), kernel.mean(axis=0)  # V10 per bad, V01 per good

    v10_a, v01_a = components(a)
    v10_b, v01_b = components(b)
    m, n = len(v10_a), len(v01_a)
    s10 = np.cov(np.vstack([v10_a, v10_b]))
    s01 = np.cov(np.vstack([v01_a, v01_b]))
    cov = s10 / m + s01 / n
    return float(v10_a.mean()), float(v10_b.mean()), float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])


def _two_models(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcomes and two correlated risk scores, rounded so that ties occur."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(2.0 - 1.2 * latent))).astype(int)
    a = np.round(latent + rng.normal(scale=0.8, size=n), 1)
    b = np.round(latent + rng.normal(scale=1.2, size=n), 1)
    return y, a, b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_delong_equals_the_definition_pair_by_pair(seed: int) -> None:
    y, a, b = _two_models(600, seed)
    auc_a, auc_b, variance = _delong_by_definition(y, a, b)
    result = delong_paired(y, a, b)
    assert result.auc_a == pytest.approx(auc_a, abs=1e-12) and result.auc_b == pytest.approx(auc_b, abs=1e-12)
    assert result.diff == pytest.approx(auc_a - auc_b, abs=1e-12)
    assert result.se == pytest.approx(math.sqrt(variance), rel=1e-9)
    z = (auc_a - auc_b) / math.sqrt(variance)
    assert result.z == pytest.approx(z, rel=1e-9)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_one_models_variance_is_the_single_auc_delong_error() -> None:
    y, a, _ = _two_models(800, 3)
    aucs, cov = delong_covariance(y, [a])
    single = auc_confidence(y, a)
    assert aucs[0] == pytest.approx(single.auc, abs=1e-12)
    assert math.sqrt(cov[0, 0]) == pytest.approx(single.se, rel=1e-9)


def test_identical_scores_differ_by_nothing() -> None:
    y, a, _ = _two_models(500, 4)
    result = delong_paired(y, a, a.copy())
    assert (result.diff, result.se, result.z, result.p_value) == (0.0, 0.0, 0.0, 1.0)


def test_swapping_the_models_negates_the_difference_only() -> None:
    y, a, b = _two_models(700, 5)
    ab, ba = delong_paired(y, a, b), delong_paired(y, b, a)
    assert ba.diff == pytest.approx(-ab.diff) and ba.z == pytest.approx(-ab.z)
    assert ba.p_value == pytest.approx(ab.p_value) and ba.se == pytest.approx(ab.se)


def test_a_clearly_better_model_is_significantly_better() -> None:
    y, a, _ = _two_models(3000, 6)
    noise = np.random.default_rng(7).normal(size=len(y))
    result = delong_paired(y, a, noise)
    assert result.diff > 0.15 and result.p_value < 1e-6


def test_delong_needs_both_outcomes() -> None:
    with pytest.raises(ValueError, match="at least 2 bads and 2 goods; got 1 and 3"):
        delong_paired(np.array([1, 0, 0, 0]), np.arange(4.0), np.arange(4.0))


def test_comparison_reads_points_for_stability_and_pds_for_the_rest() -> None:
    rng = np.random.default_rng(8)
    n = 2000
    pd_new, pd_old = rng.uniform(0.01, 0.3, n), rng.uniform(0.01, 0.3, n)
    y = (rng.random(n) < pd_new).astype(int)
    order = ("A", "B", "C")
    classes_new = np.where(pd_new < 0.1, "A", np.where(pd_new < 0.2, "B", "C"))
    classes_old = np.where(pd_old < 0.1, "A", np.where(pd_old < 0.2, "B", "C"))
    new = ScoredRows(pd_new, 100 - 300 * pd_new, classes_new, order)
    old = ScoredRows(pd_old, 100 - 300 * pd_old, classes_old, order)
    result = compare_models(y, new, old)
    assert result.n == n and result.events == int(y.sum())
    assert result.auc == delong_paired(y, pd_new, pd_old)
    assert result.score_psi == pytest.approx(psi(old.score, new.score).total)
    assert result.challenger.hl_pvalue == pytest.approx(hosmer_lemeshow(y, pd_new, external=True).p_value)
    assert result.champion.jeffreys_failures == len(jeffreys_test(y, pd_old, classes_old, order).failures)
    # Without points on either side, the stability is of the PDs; without classes, no Jeffreys.
    pds_only = compare_models(y, ScoredRows(pd_new), old)
    assert pds_only.score_psi == pytest.approx(psi(pd_old, pd_new).total)
    assert pds_only.challenger.jeffreys_failures is None
    with pytest.raises(ValueError, match=f"champion must be scored on the {n} compared rows; got 10"):
        compare_models(y, new, ScoredRows(pd_old[:10]))
