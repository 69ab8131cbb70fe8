"""What ``ScorecardModel.fit`` and its predictions accept, each refusal in "must be X; got Y"
words, and the warnings about inputs it takes: the columns (dates, empty, infinite, numbers held
as objects), a categorical's groups, the target and the options' errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.warning_site import outside_stacklevel

FloatArray = npt.NDArray[np.float64]


def check_values(X: pd.DataFrame, features: list[str]) -> None:
    """Columns the binning cannot take, each refused by name: dates, a column with no value,
    infinities."""
    if len(X) < 2:
        raise ValueError(f"X must have at least 2 rows to fit; got {len(X)}")
    check_not_dates(X, features)
    empty = [name for name in features if X[name].isna().all()]
    if empty:
        raise ValueError(f"features must each have a non-missing value; got none in {empty}")
    check_finite(X, [name for name in features if pd.api.types.is_numeric_dtype(X[name].dtype)])


def check_not_dates(X: pd.DataFrame, features: list[str]) -> None:
    # At prediction too: pandas reads a date as its nanoseconds, which would land in an end bin.
    dated = [name for name in features if pd.api.types.is_datetime64_any_dtype(X[name].dtype)
             or pd.api.types.is_timedelta64_dtype(X[name].dtype)]
    if dated:
        raise ValueError(f"features must be numbers or categories; got dates or durations in {dated} "
                         "(turn each into a number, such as months since the date)")


def numbers_as_numbers(X: pd.DataFrame, categorical: Sequence[str]) -> pd.DataFrame:
    """Object columns that hold only numbers (a database driver's Decimals, JSON's records) as
    numbers, as an array's are: binned as categories, each distinct amount would be a category
    of its own. A column declared categorical keeps its values."""
    numbers = [name for name in X.columns if X[name].dtype == object and name not in categorical
               and pd.api.types.infer_dtype(X[name], skipna=True) in _NUMBER_KINDS]
    return X.assign(**{name: pd.to_numeric(X[name]) for name in numbers}) if numbers else X


# pandas' infer_dtype names of columns holding numbers only (bools are categories here).
_NUMBER_KINDS = frozenset({"integer", "floating", "mixed-integer-float", "decimal"})


def check_groups(X: pd.DataFrame, cfg: ScorecardConfig) -> None:
    """A categorical's user splits are its bins exactly: every category of X must be in one
    (optbinning would bin the others on its own, against the groups the bank wrote)."""
    for name, splits in cfg.user_splits.items():
        if name not in cfg.categorical_features:
            continue
        placed = {category for group in splits for category in group}  # type: ignore[union-attr]
        # By value, type included: the text code "1" is not the number 1 (optbinning would
        # then find the bank's groups empty and call them "pure prebins").
        left = sorted((v.item() if isinstance(v, np.generic) else v for v in set(X[name].dropna().unique()) - placed),
                      key=repr)
        if left:
            kinds = sorted({type(c).__name__ for c in placed} ^ {type(v).__name__ for v in left})
            raise ValueError(f"user_splits of {name!r} must place every category of X in a group; "
                             f"not placed: {left[:10]}{' ...' if len(left) > 10 else ''}"
                             + (f" (the groups and X differ in type: {kinds})" if kinds else ""))


def check_finite(X: pd.DataFrame, features: list[str]) -> None:
    """Infinity refused by name: in a float column, and in text or objects of a numeric feature
    (``"inf"``, which the scorer would read as a number past every split)."""
    for name in features:
        column = X[name]
        if not pd.api.types.is_float_dtype(column.dtype) and not pd.api.types.is_numeric_dtype(column.dtype):
            column = pd.to_numeric(column, errors="coerce")
        if pd.api.types.is_float_dtype(column.dtype):
            infinite = int(np.isinf(column.to_numpy(dtype=float, na_value=np.nan)).sum())
            if infinite:
                raise ValueError(f"feature {name!r} must be finite or missing; got infinity in {infinite} row(s)")


class LogisticFitWarning(UserWarning):
    """What statsmodels said of the card's own logistic fit (separation, convergence)."""


class ManyCategoriesWarning(UserWarning):
    """A categorical feature with more categories than its smallest bin allows."""


def warn_many_categories(X: pd.DataFrame, categorical: list[str], min_bin_size: float) -> None:
    # optbinning orders the categories by event rate on the rows it bins, then groups them: with
    # many small categories that order is mostly noise, and the bins judge themselves.
    limit = math.floor(1 / min_bin_size)
    for name in categorical:
        count = X[name].nunique()
        if count > limit:
            warnings.warn(f"categorical feature {name!r} has {count} categories, more than 1 / min_bin_size "
                          f"({limit}): bins grouped by event rate on the rows they are judged on overstate its "
                          "information value; set fold_binning=True or group its categories first",
                          ManyCategoriesWarning, stacklevel=outside_stacklevel())


def config_problems(exc: ValidationError) -> str:
    """pydantic's errors of the configuration as "option must be X; got Y", one per line."""
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message.replace("Input should be", "must be", 1)
        lines.append(f"{where} {message}; got {error['input']!r}" if where and "input" in error
                     and message.startswith("must") else f"{where + ': ' if where else ''}{message}")
    return "\n".join(lines)


def encode_target(y: npt.ArrayLike, n_rows: int, weight: FloatArray | None
                   ) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
    """(the two classes in sorted order, 1 where y is the greater one: the event)."""
    values = column_or_1d(y, warn=True)
    if len(values) != n_rows:
        raise ValueError(f"X and y must have the same number of rows; got {n_rows} and {len(values)}")
    missing = int(pd.isna(values).sum())
    if missing:
        raise ValueError(f"y must have no missing values; got {missing}")
    check_classification_targets(values)
    kind = type_of_target(values, input_name="y")
    classes = np.unique(values)
    if kind != "binary":
        raise ValueError(f"Only binary classification is supported: y must hold two classes; got a {kind} "
                         f"target with {len(classes)} classes {classes[:10].tolist()}")
    # Rows of zero weight do not count: each class needs some weight.
    weighed = classes if weight is None else np.unique(values[weight > 0])
    if len(weighed) != 2:
        raise ValueError(f"y must hold two classes{'' if weight is None else ' of positive weight'} (the greater "
                         f"is the event); got {len(weighed)} class{'' if len(weighed) == 1 else 'es'}: {weighed.tolist()}")
    if weight is not None:
        # Frequencies: weights summing to under one row of a class leave nothing to bin (an
        # empty array deep inside optbinning), so they are refused here by name.
        for label in classes:
            total = float(weight[values == label].sum())
            if total < 1.0:
                shown = label.item() if isinstance(label, np.generic) else label
                raise ValueError("sample_weight are frequencies (a row of weight w counts as w rows): the weights of "
                                 f"class {shown!r} must sum to at least 1; got {total:.4g}")
    return classes, (values == classes[1]).astype(np.int64)
