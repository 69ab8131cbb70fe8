"""The drift report's statistics on samples whose truth is known: the PSI interval's coverage
and narrowing, the gains table's KS, and plots that draw Chinese glyphs, not boxes."""

from __future__ import annotations

import io
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats
from sklearn.metrics import roc_curve

from riskmodels.evaluation import metrics
from riskmodels.monitoring.drift.data import Sample, ScoredSample
from riskmodels.monitoring.drift.gains import gains_table, score_by_month
from riskmodels.monitoring.drift.plots import bi, psi_bins_plot
from riskmodels.monitoring.drift.psi_ci import psi_interval
from riskmodels.reporting import style

BASE = np.full(10, 0.1)
_RATIO = np.array([1.3, 1.2, 1.1, 1, 1, 1, 1, 0.9, 0.8, 0.8])
SHIFTED = BASE * _RATIO / (BASE * _RATIO).sum()


def _true_psi(p: np.ndarray, q: np.ndarray) -> float:
    return float(((q - p) * np.log(q / p)).sum())


@pytest.mark.parametrize("q", [BASE, SHIFTED], ids=["same population", "shifted"])
def test_the_psi_interval_covers_the_population_psi(q: np.ndarray) -> None:
    # 200 pairs of samples from two known populations: the 95% interval must hold the
    # population's PSI about 95% of the time (binomial noise of 200 intervals allows 89%).
    rng, truth = np.random.default_rng(3), _true_psi(BASE, q)
    hits = []
    for i in range(200):
        e, a = rng.multinomial(3000, BASE), rng.multinomial(3000, q)
        ci = psi_interval(e, a, seed=i)
        assert ci.lower <= ci.psi <= ci.upper  # the observed PSI is always inside
        assert ci.psi == pytest.approx(metrics.psi(np.repeat(np.arange(10), e), np.repeat(np.arange(10), a),
                                                   np.arange(9) + 0.5).total)
        hits.append(ci.lower <= truth <= ci.upper)
    assert np.mean(hits) >= 0.89


def test_the_psi_interval_narrows_with_more_rows() -> None:
    rng = np.random.default_rng(4)
    e, a = rng.multinomial(2000, BASE), rng.multinomial(2000, SHIFTED)
    small, large = psi_interval(e, a), psi_interval(e * 10, a * 10)
    assert large.psi == pytest.approx(small.psi)  # same shares, same PSI
    assert large.upper - large.lower < 0.5 * (small.upper - small.lower)
    assert large.noise == pytest.approx(small.noise / 10)
    with pytest.raises(ValueError, match="both samples must hold rows"):
        psi_interval(np.zeros(3), np.ones(3))


def _scored(score: np.ndarray, outcome: np.ndarray, dates: pd.Series | None = None) -> ScoredSample:
    rows = pd.DataFrame(index=range(len(score)))
    sample = Sample("current", "memory", rows, outcome, dates, "application_date" if dates is not None else None)
    return ScoredSample(sample, rows, score, 1 / (1 + np.exp(score / 10)), np.full(len(score), "A"), score)


def test_the_gains_table_ks_is_the_two_sample_ks() -> None:
    rng = np.random.default_rng(5)
    score = np.round(rng.normal(60, 12, 8000))  # rounded: ties, as clipped scores have
    bad = (rng.random(8000) < 1 / (1 + np.exp((score - 40) / 8))).astype(float)
    bad[::7] = np.nan  # outcome not yet observed: left out
    gains = gains_table(_scored(score, bad))
    assert gains is not None
    seen = np.isfinite(bad)
    s, y = score[seen], bad[seen].astype(int)
    assert gains.ks == pytest.approx(stats.ks_2samp(s[y == 1], s[y == 0]).statistic)
    fpr, tpr, _ = roc_curve(y, -s)  # a low score is risky
    assert gains.ks == pytest.approx(float(np.max(tpr - fpr)))
    t = gains.table
    assert t["n"].sum() == gains.n == seen.sum() and t["bads"].sum() == gains.bads == y.sum()
    assert t["cum_bad_capture"].iloc[-1] == pytest.approx(1.0) and t["cum_good_share"].iloc[-1] == pytest.approx(1.0)
    assert gains.banded_ks <= gains.ks + 1e-12 and gains.banded_ks > 0.8 * gains.ks
    assert t["bad_rate"].iloc[0] > 3 * t["bad_rate"].iloc[-1]  # the lowest scores are the riskiest
    assert gains_table(_scored(score, np.full(8000, np.nan))) is None


def test_score_by_month_counts_every_row_once() -> None:
    rng = np.random.default_rng(6)
    dates = pd.Series(pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 180, 5000), unit="D"))
    score = rng.normal(60, 10, 5000) + (dates.dt.month.to_numpy() - 1)  # one point a month higher
    table = score_by_month(_scored(score, np.full(5000, np.nan)), _scored(score, np.full(5000, np.nan), dates))
    assert set(table["sample"]) == {"current"}  # the first sample has no dates
    assert table["n"].sum() == 5000 and list(table["month"]) == sorted(table["month"])
    expected = pd.Series(score).groupby(dates.dt.to_period("M").astype(str).to_numpy()).median()
    assert np.allclose(table["p50"], expected.to_numpy())
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()


def test_plots_draw_chinese_glyphs_in_the_reports_one_style() -> None:
    assert style.cjk_font() is not None, "a CJK font must be installed (apt-get install fonts-wqy-microhei)"
    assert "分数" in bi("score", "分数")
    rng = np.random.default_rng(7)
    result = metrics.psi(rng.normal(0, 1, 2000), rng.normal(0.3, 1, 2000))
    before = dict(matplotlib.rcParams)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = psi_bins_plot(result)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing[:3]
    assert png.startswith(b"\x89PNG")
    assert dict(matplotlib.rcParams) == before  # drawn inside the style, nothing global changed
    # The shared style's size and resolution: the same pixels as every other report's plot.
    with Image.open(io.BytesIO(png)) as image:
        assert image.size[0] == round(style.SIZE[0] * style.DPI)
