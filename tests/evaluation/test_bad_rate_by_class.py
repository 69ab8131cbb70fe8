"""Monotone bad rate by risk class: what a broken rating scale is, and what is only noise."""

from __future__ import annotations

import numpy as np
import pytest

from riskmodels.evaluation.calibration import MIN_CLASS_ROWS, bad_rate_by_class


def _rows(*classes: tuple[str, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(class, rows, bads) triples -> targets and labels."""
    y = np.concatenate([np.r_[np.ones(b), np.zeros(n - b)] for _, n, b in classes])
    labels = np.concatenate([np.full(n, c, dtype=object) for c, n, _ in classes])
    return y, labels


def test_a_significant_reversal_between_populated_classes_breaks_the_scale() -> None:
    y, cls = _rows(("A", 500, 5), ("B", 500, 40), ("C", 500, 15), ("D", 500, 90))  # 8% above 3%
    result = bad_rate_by_class(y, cls, ["A", "B", "C", "D"])
    assert not result.monotone
    assert result.violations == result.reversals == (("B", "C"),)


def test_a_reversal_within_noise_is_listed_but_does_not_break_the_scale() -> None:
    # The demo's out-of-time months: 3 defaults in 484 class-A loans, 4 in 802 class-B ones.
    y, cls = _rows(("A", 484, 3), ("B", 802, 4), ("C", 1277, 32), ("D", 1142, 105))
    result = bad_rate_by_class(y, cls, ["A", "B", "C", "D"])
    assert result.monotone and result.violations == () and result.reversals == (("A", "B"),)
    assert not bad_rate_by_class(y, cls, ["A", "B", "C", "D"], alpha=None).monotone  # every reversal counts


def test_a_class_too_small_to_judge_is_tabulated_but_not_judged() -> None:
    # A well-separating fraud model leaves four rows in its review band, none of them fraud:
    # that says nothing about the scale, whose populated classes still rise.
    y, cls = _rows(("pass", 5000, 6), ("review", 4, 0), ("reject", 300, 260))
    result = bad_rate_by_class(y, cls, ["pass", "review", "reject"])
    assert result.monotone
    assert result.table.set_index("class").loc["review", "n"] == 4
    # With the threshold lowered to one row, the same four rows are judged: a reversal, within noise.
    judged = bad_rate_by_class(y, cls, ["pass", "review", "reject"], min_rows=1)
    assert judged.reversals == (("pass", "review"),) and judged.monotone
    assert not bad_rate_by_class(y, cls, ["pass", "review", "reject"], min_rows=1, alpha=None).monotone


def test_the_smallest_judged_class_is_the_documented_one() -> None:
    y, cls = _rows(("A", 1000, 10), ("B", MIN_CLASS_ROWS, 12), ("C", 1000, 50))
    assert not bad_rate_by_class(y, cls, ["A", "B", "C"]).monotone
    y, cls = _rows(("A", 1000, 10), ("B", MIN_CLASS_ROWS - 1, 12), ("C", 1000, 50))
    assert bad_rate_by_class(y, cls, ["A", "B", "C"]).monotone


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_min_rows_must_be_a_positive_integer(bad: object) -> None:
    y, cls = _rows(("A", 10, 1))
    with pytest.raises(ValueError, match="min_rows must be a positive integer"):
        bad_rate_by_class(y, cls, ["A"], min_rows=bad)  # type: ignore[arg-type]
