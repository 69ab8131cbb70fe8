"""The search's score statistic (Rao's) is statsmodels' score test, however its rows are chunked."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from riskmodels.scorecard import search


def _problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    woe = rng.normal(size=(n, 6))
    woe[:, 4] = 0.7 * woe[:, 0] + 0.3 * rng.normal(size=n)  # a proxy of a kept column
    log_odds = -2.0 + 0.8 * woe[:, 0] - 0.5 * woe[:, 1] + 0.3 * woe[:, 3]
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-log_odds))).astype(np.int64)
    return woe, y


def _statsmodels_score(woe: np.ndarray, y: np.ndarray, kept: list[int], candidate: int) -> float:
    fit = sm.GLM(y, sm.add_constant(woe[:, kept]), family=sm.families.Binomial()).fit()
    statistic = fit.score_test(exog_extra=woe[:, [candidate]])[0]
    return float(np.squeeze(statistic))


@pytest.mark.parametrize("chunk_rows", [97, 1 << 18])
def test_each_candidate_scores_as_statsmodels_score_test(monkeypatch: pytest.MonkeyPatch, chunk_rows: int) -> None:
    woe, y = _problem(3_000, seed=5)
    monkeypatch.setattr(search, "SCORE_CHUNK_ROWS", chunk_rows)
    kept, candidates = [0, 1], [2, 3, 4, 5]
    ours = search.score_statistics(woe, y, None, kept, candidates, C=np.inf)
    theirs = [_statsmodels_score(woe, y, kept, j) for j in candidates]
    # sklearn's fit of the kept columns stops at its tolerance (1e-4), statsmodels' later
    np.testing.assert_allclose(ours, theirs, rtol=1e-2)
    assert int(np.argmax(ours)) == 1  # the real signal (column 3) ranks first


def test_chunking_leaves_the_weighted_statistics_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    woe, y = _problem(2_000, seed=9)
    weight = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    whole = search.score_statistics(woe, y, weight, [0], [1, 2, 3, 4, 5], C=np.inf)
    monkeypatch.setattr(search, "SCORE_CHUNK_ROWS", 64)
    chunked = search.score_statistics(woe, y, weight, [0], [1, 2, 3, 4, 5], C=np.inf)
    np.testing.assert_allclose(chunked, whole, rtol=1e-9)
    empty_start = search.score_statistics(woe, y, weight, [], [0, 1, 2], C=np.inf)
    assert empty_start[0] > empty_start[2]  # with nothing kept, the strongest column leads
