"""Input checks shared by the metrics and the calibration tests, with sklearn-style messages."""

from __future__ import annotations

from numbers import Real
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import ArrayLike


def _shown(values: np.ndarray, limit: int = 10) -> list[Any]:
    """Distinct values as a short, readable list (ints shown as ints)."""
    shown = values[:limit]
    if np.issubdtype(shown.dtype, np.floating) and np.all(np.isfinite(shown)) and np.all(shown == np.round(shown)):
        shown = shown.astype(int)
    out: list[Any] = shown.tolist()
    return out + ["..."] if len(values) > limit else out


def is_real(value: object) -> TypeGuard[float]:
    """``isinstance(value, numbers.Real)`` (a Python or numpy int or float, a Fraction, ...), in a
    form mypy can narrow: typeshed registers neither int nor float with ``numbers.Real``."""
    return isinstance(value, Real)


def as_1d(values: ArrayLike, name: str) -> np.ndarray:
    """A 1-D float array from a numpy array, a pandas Series or a list (positional, index ignored)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {arr.shape}")
    return arr


def check_lengths(**arrays: np.ndarray) -> None:
    sizes = [len(a) for a in arrays.values()]
    if len(set(sizes)) > 1:
        raise ValueError(f"lengths must match; got {' and '.join(str(s) for s in sizes)}")


def binary_target(y: ArrayLike) -> np.ndarray:
    arr = as_1d(y, "y")
    values = np.unique(arr)  # NaN, if any, sorts last and is not 0/1
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"y must be binary 0/1; got values {_shown(values)}")
    return arr


def target_and_pd(y: ArrayLike, pd_: ArrayLike, *, probability: bool, both_classes: bool,
                  pd_name: str = "pd") -> tuple[np.ndarray, np.ndarray]:
    """Checked (y, pd). ``probability`` requires pd in [0, 1]; ranking metrics accept any
    finite score where higher means riskier. ``both_classes`` is needed by AUC and KS."""
    y_arr, p = binary_target(y), as_1d(pd_, pd_name)
    check_lengths(y=y_arr, pd=p)
    if len(y_arr) == 0:
        raise ValueError("y is empty; at least one row is needed")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{pd_name} must be finite; got {int((~np.isfinite(p)).sum())} NaN or infinite values")
    if probability and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{pd_name} must be a probability in [0, 1]; got range [{p.min():.4g}, {p.max():.4g}]")
    if both_classes and len(np.unique(y_arr)) < 2:
        raise ValueError(f"y must contain both goods (0) and bads (1); got only {_shown(np.unique(y_arr))}")
    return y_arr, p


def labels(values: ArrayLike, name: str = "classes") -> np.ndarray:
    """Class or bin labels as an object array (categorical labels are kept as they are)."""
    arr = np.asarray(values, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {arr.shape}")
    return arr
