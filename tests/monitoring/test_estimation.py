"""CBPE on constructed PDs: the O(n log n) expected AUC against the pairwise definition, the
simulated intervals' coverage when the PDs are right, and the per-month comparison."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskmodels.evaluation import metrics
from riskmodels.monitoring.estimation import compare, estimate, expected_auc, expected_bad_rate, realised, simulate
from riskmodels.monitoring.estimation.report import HTML_NAME, JSON_NAME, write_estimate_report
from riskmodels.monitoring.estimation.run import EstimationRun
from riskmodels.registry import RegisteredVersion


def _pds(n: int, seed: int, intercept: float = -3.0, slope: float = 1.2) -> np.ndarray:
    """Logistic PDs around 6%, the A card's range."""
    z = np.random.default_rng(seed).standard_normal(n)
    return 1.0 / (1.0 + np.exp(-(intercept + slope * z)))


def _brute_force_auc(p: np.ndarray) -> float:
    """Every ordered pair (i as the bad, j as the good), each row against itself a tie: O(n^2)."""
    bad, good = p[:, None], (1.0 - p)[None, :]
    above = (p[:, None] > p[None, :]) + 0.5 * (p[:, None] == p[None, :])
    return float(np.sum(bad * good * above) / (p.sum() * (1.0 - p).sum()))


# PDs from a few distinct values too, so ties between rows are common. No subnormal floats: a
# PD of 5e-324 is below what either sum can resolve, and no model gives one.
_probability = st.one_of(st.floats(0.0, 1.0, allow_subnormal=False), st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.5, 1.0]))


@settings(max_examples=200, deadline=None)
@given(st.lists(_probability, min_size=1, max_size=60))
def test_the_sorted_expected_auc_equals_the_pairwise_sum(values: list[float]) -> None:
    p = np.array(values)
    if p.sum() == 0.0 or (1.0 - p).sum() == 0.0:  # no expected bad, or no expected good
        assert math.isnan(expected_auc(p))
    else:
        assert expected_auc(p) == pytest.approx(_brute_force_auc(p), rel=1e-9, abs=1e-12)


def test_the_expected_auc_is_the_mean_auc_the_simulation_realises() -> None:
    p = _pds(3_000, seed=1)
    rates, aucs = simulate(p, draws=400, seed=2)
    # Monte Carlo error of a mean of 400 draws, plus the O(1/n) gap of the self-pairs.
    assert np.mean(aucs) == pytest.approx(expected_auc(p), abs=4 * np.std(aucs) / 20 + 1e-3)
    assert np.mean(rates) == pytest.approx(expected_bad_rate(p), abs=4 * np.std(rates) / 20)
    assert 0.6 < expected_auc(p) < 0.9  # a real ranking, not a degenerate case


def test_the_simulation_is_seeded_and_blocked_draws_match_one_block() -> None:
    p = _pds(800, seed=4)
    first, again = estimate(p, draws=100, seed=9), estimate(p, draws=100, seed=9)
    assert first == again
    assert estimate(p, draws=100, seed=10).auc_interval != first.auc_interval


def test_the_intervals_cover_the_realised_figures_of_a_calibrated_model_about_95_percent() -> None:
    """Outcomes drawn from the PDs themselves, 200 times: the 95% intervals hold close to 95%."""
    p = _pds(600, seed=5)
    truth = np.random.default_rng(6)
    est = estimate(p, draws=500, seed=7)
    hits_rate = hits_auc = 0
    for _ in range(200):
        y = (truth.random(len(p)) < p).astype(float)
        r = realised(y, p)
        hits_rate += est.bad_rate_interval.contains(r.bad_rate)
        hits_auc += est.auc_interval.contains(r.auc)
    # Binomial(200, 0.95) lies in [180, 199] with probability > 0.999.
    assert 180 <= hits_rate <= 199 and 180 <= hits_auc <= 199


def test_pds_twice_too_high_put_the_realised_bad_rate_outside_the_interval() -> None:
    p = np.minimum(_pds(5_000, seed=8), 0.49)  # below one half, so doubling creates no tie at 1
    y = (np.random.default_rng(9).random(len(p)) < p).astype(float)
    right, doubled = compare(p, y, seed=1).overall, compare(np.minimum(2 * p, 1.0), y, seed=1).overall
    assert right.bad_rate_verdict == "inside"
    assert doubled.bad_rate_verdict == "outside"
    assert doubled.realised is not None and doubled.realised.bad_rate < doubled.estimate.bad_rate_interval.low
    # Doubling keeps the order: the ranking, and so the AUC realised, is unchanged.
    assert right.realised is not None and doubled.realised.auc == pytest.approx(right.realised.auc)


def test_a_shuffled_ranking_puts_the_realised_auc_below_the_interval() -> None:
    """Right bad rate, wrong order: only the AUC check can see it."""
    p = _pds(5_000, seed=10)
    y = (np.random.default_rng(11).random(len(p)) < p).astype(float)
    shuffled = np.random.default_rng(12).permutation(p)
    result = compare(shuffled, y, seed=1).overall
    assert result.auc_verdict == "outside" and result.bad_rate_verdict == "inside"
    assert result.realised is not None and result.realised.auc < result.estimate.auc_interval.low


def test_months_are_judged_on_their_own_rows_and_unmatured_rows_are_left_out() -> None:
    n = 3_000
    p = _pds(n, seed=13)
    dates = np.array(["2024-01-15", "2024-02-10", "2024-03-05"], dtype="datetime64[ns]")[np.arange(n) % 3]
    y = (np.random.default_rng(14).random(n) < p).astype(float)
    y[(np.arange(n) % 3 == 2) & (np.arange(n) % 2 == 0)] = np.nan  # March half matured
    y[np.arange(n) % 3 == 1] = np.nan  # February: no outcome yet
    result = compare(p, y, dates, draws=200, seed=3)
    jan, feb, mar = result.months
    assert [m.segment for m in result.months] == ["2024-01", "2024-02", "2024-03"]
    assert jan.estimate.n == feb.estimate.n == mar.estimate.n == n // 3
    assert jan.observed_estimate is jan.estimate  # every row matured: one estimate
    assert feb.realised is None and feb.bad_rate_verdict == feb.auc_verdict == "not judged"
    assert mar.realised is not None and mar.observed_estimate is not None
    assert mar.realised.n == mar.observed_estimate.n == n // 6
    assert mar.observed_estimate.bad_rate == pytest.approx(float(np.mean(p[2::3][1::2])))  # odd indices matured
    assert result.overall.realised is not None and result.overall.realised.n == n // 3 + n // 6
    table = result.table()
    assert list(table["segment"]) == ["2024-01", "2024-02", "2024-03", "overall"]
    # A month's interval depends on its own rows and seed only, not on the other months.
    alone = compare(p[0::3], y[0::3], dates[0::3], draws=200, seed=3).months[0]
    assert alone.estimate == jan.estimate


def test_realised_auc_is_the_evaluation_package_s() -> None:
    p = _pds(1_000, seed=15)
    y = (np.random.default_rng(16).random(len(p)) < p).astype(float)
    assert realised(y, p).auc == pytest.approx(metrics.auc(y, p))
    assert math.isnan(realised(np.zeros(5), p[:5]).auc)  # one class: no AUC, not a crash


@pytest.mark.parametrize(("pds", "message"), [
    ([], "pd must hold at least one probability"),
    ([0.1, 1.2], "pd must hold probabilities in [0, 1]"),
    ([0.1, float("nan")], "pd must hold probabilities in [0, 1]"),
])
def test_pds_outside_zero_one_are_refused(pds: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        estimate(pds)


def test_the_estimate_refuses_too_few_draws_and_a_level_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="draws must be at least 20"):
        estimate([0.1, 0.2], draws=5)
    with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
        estimate([0.1, 0.2], level=1.0)
    with pytest.raises(ValueError, match="outcome must have one value per PD"):
        compare([0.1, 0.2], [1.0])


def test_the_report_is_bilingual_with_its_plot_and_its_json_holds_the_same_figures(tmp_path: Path) -> None:
    n = 2_400
    p = _pds(n, seed=17)
    dates = np.array(["2024-01-31", "2024-02-29"], dtype="datetime64[ns]")[np.arange(n) % 2]
    y = (np.random.default_rng(18).random(n) < p).astype(float)
    comparison = compare(p, y, dates, draws=200, seed=5)
    version = RegisteredVersion("sme-application-scorecard", "3", "run-abc", ("champion",), {})
    run = EstimationRun(version, "books/2024", "bad_12m", "booked loans", n + 100, comparison, p, y, dates)
    html_path, json_path = write_estimate_report(run, tmp_path)
    assert (html_path.name, json_path.name) == (HTML_NAME, JSON_NAME)
    page = html_path.read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in page and "预估坏账率" in page and "expected bad rate" in page
    assert page.count("data:image/png;base64,") == 1
    summary = json.loads(json_path.read_text(encoding="utf-8"))
    assert summary["model"] == {"name": "sme-application-scorecard", "version": "3", "run_id": "run-abc"}
    assert summary["method"]["draws"] == 200 and summary["method"]["level"] == 0.95
    assert [s["segment"] for s in summary["segments"]] == ["2024-01", "2024-02", "overall"]
    overall = summary["segments"][-1]
    assert overall["expected_bad_rate"] == pytest.approx(float(p.mean()))
    assert overall["realised_auc"] == pytest.approx(metrics.auc(y, p))
    assert overall["bad_rate_low"] <= overall["expected_bad_rate"] <= overall["bad_rate_high"]
    assert f"{overall['expected_auc']:.4f}" in page


def test_the_report_renders_in_a_browser_with_its_plot_and_chinese_glyphs(tmp_path: Path) -> None:
    import _browser as browser

    browser.require_chromium()
    n = 4_800
    p = _pds(n, seed=19)
    dates = np.array([f"2024-{m:02d}-15" for m in range(1, 13)], dtype="datetime64[ns]")[np.arange(n) % 12]
    y = (np.random.default_rng(20).random(n) < p).astype(float)
    run = EstimationRun(RegisteredVersion("sme-application-scorecard", "1", None, (), {}), "book", "bad_12m",
                        "booked loans", n, compare(p, y, dates, draws=200, seed=2), p, y, dates)
    html_path, _ = write_estimate_report(run, tmp_path)
    page = html_path.read_text(encoding="utf-8")
    shot = browser.screenshot(html_path, tmp_path / "estimate.png", height=1600)
    browser.assert_not_blank(shot, min_colours=20, what="estimate report")
    (plot,) = browser.embedded_pngs(page)
    browser.assert_not_blank(plot, min_colours=20, min_chroma=0.002, what="estimate plot")
    browser.assert_chinese_draws(page, ("预估与实际对比", "表现期前的模型"), tmp_path)
