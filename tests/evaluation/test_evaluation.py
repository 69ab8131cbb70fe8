"""Metrics and calibration tests against independent implementations and known truths."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from riskmodels.evaluation import SplitData, evaluate_splits, validation_report
from riskmodels.evaluation import calibration, metrics
from riskmodels.risk_classes import RiskBands


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    true_pd = 1 / (1 + np.exp(-(-3.0 + 1.2 * rng.standard_normal(20_000))))
    return (rng.random(true_pd.size) < true_pd).astype(int), true_pd


def test_auc_and_ks_equal_independent_implementations(sample) -> None:
    y, p = sample
    assert metrics.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.ks(y, p).statistic == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)
    assert metrics.gini(y, p) == pytest.approx(2 * roc_auc_score(y, p) - 1, abs=1e-12)


def test_delong_standard_error_matches_the_bootstrap(sample) -> None:
    y, p = sample
    rng = np.random.default_rng(5)
    boot = [metrics.auc(y[i], p[i]) for i in (rng.integers(0, y.size, y.size) for _ in range(200))]
    assert metrics.auc_standard_error(y, p) == pytest.approx(np.std(boot), rel=0.2)


def test_auc_drop_test_flags_a_degraded_model(sample) -> None:
    y, p = sample
    noisy = p * np.exp(np.random.default_rng(1).normal(0, 1.5, p.size))
    assert metrics.auc_drop_test(y, p, y, noisy).p_value < 0.01
    assert metrics.auc_drop_test(y, p, y, p).p_value == pytest.approx(0.5)


def test_psi_is_zero_for_the_same_sample_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(60, 10, 50_000)
    assert metrics.psi(base, base) == pytest.approx(0.0, abs=1e-12)
    small, large = metrics.psi(base, base + 2), metrics.psi(base, base + 8)
    assert 0 < small < large
    assert metrics.stability_band(large) in ("amber", "red")


def test_psi_uses_bins_fixed_on_the_baseline() -> None:
    # The whole population moved above the baseline's top decile: on fixed baseline bins
    # that is a huge shift; bins re-fitted on the current data alone would see none.
    rng = np.random.default_rng(4)
    base = rng.normal(0, 1, 20_000)
    current = rng.normal(0, 1, 20_000) + 10
    assert metrics.psi(base, current) > 5
    refitted = metrics.baseline_edges(current)
    assert metrics.psi(current, current, refitted) == pytest.approx(0.0, abs=1e-12)


def test_hosmer_lemeshow_accepts_true_pds_and_rejects_shifted_ones(sample) -> None:
    y, p = sample
    assert calibration.hosmer_lemeshow(y, p).p_value > 0.01
    assert calibration.hosmer_lemeshow(y, p * 0.5).p_value < 1e-6


def test_jeffreys_flags_an_underestimated_class_only(sample) -> None:
    y, p = sample
    classes = np.where(p > np.median(p), "risky", "safe")
    honest = calibration.class_tests(y, p, classes, ["safe", "risky"])
    assert honest["passed"].all()
    under = np.where(classes == "risky", p * 0.6, p)
    flagged = calibration.class_tests(y, under, classes, ["safe", "risky"]).set_index("class")
    assert not flagged.loc["risky", "passed"] and flagged.loc["safe", "passed"]


def test_monotonicity_and_concentration() -> None:
    assert calibration.is_monotone([0.01, 0.02, 0.05, 0.2])
    assert not calibration.is_monotone([0.01, 0.03, 0.02, 0.2])
    assert calibration.herfindahl(np.array(["A"] * 4)) == 1.0
    assert calibration.herfindahl(np.array(["A", "B", "C", "D"])) == pytest.approx(0.25)


def test_errors_name_the_rule() -> None:
    with pytest.raises(ValueError, match="y must be binary 0/1"):
        metrics.auc(np.array([0, 1, 2]), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="lengths must match; got 2 and 3"):
        metrics.auc(np.array([0, 1]), np.array([0.1, 0.2, 0.3]))


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "img":
            src = dict(attrs)["src"]
            assert src.startswith("data:image/png;base64,") and len(src) > 2000
            self.images += 1
        elif tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag) -> None:
        assert self.stack.pop() == tag


def test_validation_report_is_self_contained_html(sample) -> None:
    y, p = sample
    score = 60 + 10 / np.log(2) * (np.log((1 - p) / p) - np.log(20))
    splits = {name: SplitData(y[sl], p[sl], score[sl], p[sl])
              for name, sl in (("train", slice(0, 12_000)), ("test", slice(12_000, 16_000)), ("oot", slice(16_000, None)))}
    result = evaluate_splits(splits, RiskBands.default())
    assert result.metrics["oot_auc_to_oracle"] == pytest.approx(1.0)
    assert result.metrics["oot_class_monotone"] == 1.0
    html = validation_report(result, "Validation <A card>", [("Extra", "<p>x</p>")])
    checker = _Checker()
    checker.feed(html)
    assert checker.images >= 4 and checker.stack == []
    assert "Validation &lt;A card&gt;" in html and "oracle AUC" in html and "http" not in html.split("<body>")[1]
