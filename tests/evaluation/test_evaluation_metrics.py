"""Discrimination and stability metrics against independent implementations and hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _evaluation_samples import simulate
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from riskmodels.evaluation import metrics


@pytest.mark.parametrize("rounding", [None, 2], ids=["continuous", "heavily-tied"])
def test_auc_gini_ks_equal_sklearn_and_scipy(sample, rounding) -> None:
    y, p = sample
    p = p if rounding is None else np.round(p, rounding)
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)
    assert metrics.ks(y, p).statistic == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


def test_ks_threshold_is_where_the_gap_is(sample) -> None:
    y, p = sample
    result = metrics.ks(y, p)
    above = p >= result.threshold
    gap = above[y == 1].mean() - above[y == 0].mean()
    assert gap == pytest.approx(result.statistic, abs=1e-12)


def test_pandas_series_are_read_by_position(sample) -> None:
    y, p = sample
    shuffled_index = np.random.default_rng(0).permutation(len(y))
    ys, ps = pd.Series(y, index=shuffled_index), pd.Series(p, index=shuffled_index[::-1])
    assert metrics.auc(ys, ps) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_delong_standard_error_matches_the_bootstrap() -> None:
    y, p = simulate(3_000, seed=8)
    rng = np.random.default_rng(5)
    boot = [metrics.auc(y[i], p[i]) for i in (rng.integers(0, y.size, y.size) for _ in range(300))]
    result = metrics.auc_confidence(y, p)
    assert result.se == pytest.approx(np.std(boot, ddof=1), rel=0.15)
    assert result.lower < result.auc < result.upper
    assert result.upper - result.lower == pytest.approx(2 * 1.959964 * result.se, rel=1e-4)


def test_auc_drop_test_flags_a_degraded_model_only(sample) -> None:
    y, p = sample
    y_new, p_new = simulate(6_000, seed=4)
    noisy = p_new * np.exp(np.random.default_rng(1).normal(0, 1.5, p_new.size))
    assert metrics.auc_drop_test(y, p, y_new, noisy).p_value < 0.01
    same = metrics.auc_drop_test(y, p, y, p)
    assert same.z == 0 and same.p_value == pytest.approx(0.5)
    assert metrics.auc_drop_test(y_new, noisy, y, p).p_value > 0.99  # it improved


def test_auc_drop_test_has_its_nominal_size() -> None:
    # Two independent samples of the same model: about 5% of tests reject at 5%.
    p_values = [metrics.auc_drop_test(*simulate(800, 2 * k), *simulate(800, 2 * k + 1)).p_value for k in range(150)]
    assert 0.01 <= np.mean(np.array(p_values) < 0.05) <= 0.10


def test_psi_is_zero_for_the_same_sample_and_grows_with_the_shift() -> None:
    base = np.random.default_rng(2).normal(60, 10, 20_000)
    assert metrics.psi(base, base).total == pytest.approx(0.0, abs=1e-12)
    values = [metrics.psi(base, base + shift).total for shift in (1, 3, 6, 12)]
    assert 0 < values[0] < values[1] < values[2] < values[3]


def test_psi_bins_are_fixed_on_the_baseline() -> None:
    rng = np.random.default_rng(4)
    base, current = rng.normal(0, 1, 10_000), rng.normal(1, 1.5, 7_000)
    result = metrics.psi(base, current, 10)
    deciles = np.quantile(base, np.linspace(0.1, 0.9, 9))
    np.testing.assert_allclose(result.edges, deciles)
    # Deciles of the baseline: every bin holds a tenth of it, whatever the current sample is.
    np.testing.assert_allclose(result.table["expected_share"], 0.1, atol=1e-3)
    np.testing.assert_allclose(metrics.psi(base, current + 5, 10).edges, deciles)

    def by_hand(edges: np.ndarray) -> float:
        e = np.bincount(np.searchsorted(edges, base, side="right"), minlength=10) / base.size
        a = np.bincount(np.searchsorted(edges, current, side="right"), minlength=10) / current.size
        return float(np.sum((a - e) * np.log(a / e)))

    assert result.total == pytest.approx(by_hand(deciles), rel=1e-9)
    # Re-binning on the pooled data would give another answer (and edges that move with the shift).
    pooled = np.quantile(np.r_[base, current], np.linspace(0.1, 0.9, 9))
    assert abs(by_hand(pooled) - result.total) > 0.05


def test_psi_on_the_scorecards_own_cut_points_with_outliers_and_missing() -> None:
    base = np.array([55.0, 65, 65, 75, 85, 85, 85, 95])
    current = np.array([10.0, 65, 75, 75, 85, 200, np.nan, np.nan])
    result = metrics.psi(base, current, [60, 70, 80])
    table = result.table.set_index("bin")
    assert table["expected_n"].tolist() == [1, 2, 1, 4, 0]
    assert table["actual_n"].tolist() == [1, 1, 2, 2, 2]  # 10 -> lowest bin, 200 -> highest, NaN -> missing
    assert table.index[-1] == metrics.MISSING and np.isfinite(result.total)
    assert result.total == pytest.approx(table["psi"].sum())


def test_csi_on_categorical_bin_labels() -> None:
    expected = pd.Categorical(["low", "low", "high", "high"], categories=["low", "mid", "high"])
    actual = pd.Series(["low", "high", "high", "high"])
    result = metrics.csi(expected, actual)
    assert result.table["bin"].tolist() == ["low", "high"]  # category order; empty bins dropped
    by_hand = (0.25 - 0.5) * np.log(0.25 / 0.5) + (0.75 - 0.5) * np.log(0.75 / 0.5)
    assert result.total == pytest.approx(by_hand)
    assert metrics.csi(actual, actual).total == 0.0
    new_bin = metrics.csi(["a", "a", "b"], ["a", "b", "c"])  # a category unseen at development
    assert "c" in new_bin.table["bin"].tolist() and new_bin.total > metrics.csi(["a", "a", "b"], ["a", "b", "b"]).total
    with pytest.raises(ValueError, match=r"bins not in labels_order: \['c'\]"):
        metrics.csi(["a", "b"], ["a", "c"], labels_order=["a", "b"])


@pytest.mark.parametrize(("value", "band"), [(0.0, "green"), (0.0999, "green"), (0.1, "amber"),
                                             (0.2499, "amber"), (0.25, "red"), (3.0, "red")])
def test_psi_band_default_thresholds(value, band) -> None:
    assert metrics.psi_band(value) == band


def test_psi_band_is_configurable() -> None:
    assert metrics.psi_band(0.06, amber=0.05, red=0.2) == "amber"
    assert metrics.psi_band(0.2, amber=0.05, red=0.2) == "red"
    with pytest.raises(ValueError, match="amber < red"):
        metrics.psi_band(0.1, amber=0.3, red=0.2)


def test_errors_name_the_rule() -> None:
    with pytest.raises(ValueError, match=r"y must be binary 0/1; got values \[0, 1, 2\]"):
        metrics.auc(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="lengths must match; got 10 and 12"):
        metrics.auc(pd.Series([0, 1] * 5), np.linspace(0, 1, 12))
    with pytest.raises(ValueError, match="both goods"):
        metrics.ks(np.zeros(4), np.linspace(0, 1, 4))
    with pytest.raises(ValueError, match="must be finite"):
        metrics.auc(np.array([0, 1]), np.array([0.1, np.nan]))
