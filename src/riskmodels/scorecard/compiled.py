"""The compiled scorecard: a versioned, JSON-able spec and a scorer needing only numpy/pandas.

Spec (``spec_version`` 1)::

    {"spec_version": 1, "kind": "woe_logistic_scorecard",
     "scale": {"base_points": 60, "base_odds": 20, "pdo": 10, "min_score": 0, "max_score": 100},
     "intercept": -1.84,                # the logistic fit's log-odds of bad, before scaling
     "calibration": {"method": "logistic", "basis": "through_the_cycle", "intercept": -0.05,
                     "slope": 0.9, ...},  # optional: baked into every bin's points (see below)
     "unseen_category": "missing_bin",  # or "worst_bin", "error"; specs without the key: missing_bin
     "split_rule": "a value equal to a split point falls in the bin to its right",
     "features": [
       {"name": "overdue_days_max", "type": "numeric", "coef": -0.97, "splits": [3.0, 30.0],
        "bins": [{"label": "(-inf, 3)", "points": 21.3, "woe": 0.61, "count": 812, "event_rate": 0.05}, ...],
        "special_bins": [{"label": "never overdue", "codes": [-1.0], "points": 24.0, ...}],
        "missing_bin": {"label": "Missing", "points": 14.5, "woe": 0.0, "count": 0, "event_rate": null},
        "mean_points": 15.2, "max_points": 24.0},
       {"name": "industry", "type": "categorical", "bins": [{"categories": ["retail", "food"], ...}], ...}]}

Rules, as in optbinning's ``Scorecard.score``: a missing value (None, NaN) scores the missing
bin; a special code scores its special bin; a numeric value equal to a split falls in the bin to
its right. Points of a characteristic already carry its even share of the intercept, so the
score is their sum.

A category not seen in development follows the spec's ``unseen_category``: ``missing_bin``
scores the missing bin (optbinning's rule, and the only one of specs written before the key had
a choice; that bin is often empty, with WoE 0), ``worst_bin`` the lowest-scoring bin of the
development categories, ``error`` fails with a ``ValueError`` naming the feature and values.
Whenever one is scored, an ``UnseenCategoryWarning`` counts them.

Calibration (``scorecard.calibration``): a calibrated spec's points are ``slope * p + shift / n``
of the fitted points ``p`` (n characteristics, ``shift = (1 - slope) * offset - factor *
intercept``), so their sum is ``offset + factor * ln(calibrated odds of good)``. The PD is always
read from that **unclipped** sum (``pd_from_points``), never from the clipped 0-100 score.
"""

from __future__ import annotations

import copy
import json
import warnings
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from riskmodels.scorecard.calibration import Calibration
from riskmodels.scorecard.scaling import ArrayOrFloat, ScoreScale
from riskmodels.scorecard.warning_site import outside_stacklevel

SPEC_VERSION = 1
SpecDict = dict[str, Any]
# A config's unseen_category -> the spec's (missing_bin is the value specs have always carried).
UNSEEN_POLICIES = {"missing": "missing_bin", "worst": "worst_bin", "error": "error"}
_UNSEEN_LABELS = {"missing_bin": "the missing bin", "worst_bin": "the worst bin"}
FloatArray = npt.NDArray[np.float64]
# Above this many splits a binary search beats one comparison pass per split.
_MAX_COMPARED_SPLITS = 64


@dataclass(frozen=True)
class Contribution:
    """One characteristic's part in one score. ``shap`` is points minus the development mean
    (the exact SHAP value of an additive model); ``points_lost`` is best-bin points minus points."""

    characteristic: str
    points: float
    shap: float
    points_lost: float


class UnseenCategoryWarning(UserWarning):
    """Values of a categorical feature that development never saw were scored by the spec's
    ``unseen_category`` rule."""


def _is_missing(value: Any) -> bool:
    # value != value: NaN of any float type, and NaT.
    return value is None or value is pd.NA or value != value


class _Characteristic:
    """One feature of the spec, in the forms the two scoring paths want."""

    def __init__(self, spec: Mapping[str, Any], unseen: str = "missing_bin") -> None:
        self.name = str(spec["name"])
        self.unseen = unseen
        self.numeric = spec["type"] == "numeric"
        if spec["type"] not in ("numeric", "categorical"):
            raise ValueError(f"feature {self.name!r}: unknown type {spec['type']!r}")
        self.bin_points = np.array([b["points"] for b in spec["bins"]], dtype=float)
        self.missing_points = float(spec["missing_bin"]["points"])
        self.special_bins = [(list(b["codes"]), float(b["points"])) for b in spec["special_bins"]]
        self.specials = {code: points for codes, points in self.special_bins for code in codes}
        self.mean_points = float(spec["mean_points"])
        self.max_points = float(spec["max_points"])
        # The fewest points any value scores: the regular, special and missing bins' least.
        self.min_points = float(min(self.bin_points.min(initial=np.inf), self.missing_points,
                                    *(points for _, points in self.special_bins)))
        if self.numeric:
            self.splits = [float(s) for s in spec["splits"]]
            if len(self.bin_points) != len(self.splits) + 1 or any(
                    a >= b for a, b in pairwise(self.splits)):
                raise ValueError(f"feature {self.name!r}: splits must increase and number bins - 1")
            self._split_array = np.array(self.splits)
            self._points_list: list[float] = self.bin_points.tolist()
            # One lookup table for the frame path: the bins, then missing, then each special bin.
            self._table = np.array([*self.bin_points, self.missing_points,
                                    *(points for _, points in self.special_bins)])
        else:
            self.category_bin = {c: i for i, b in enumerate(spec["bins"]) for c in b["categories"]}
            self._points_of_category = {c: float(self.bin_points[i]) for c, i in self.category_bin.items()}
            self.unseen_points = (float(self.bin_points.min()) if unseen == "worst_bin" else self.missing_points)
            # Specials win over categories, as in points_one.
            self._known = {**self._points_of_category, **self.specials}
            self._known_text = ([str(k) for k in self._known] if all(isinstance(k, str) for k in self._known)
                                else None)
            # The frame path's lookup: the known values, then missing, then unseen.
            self._known_table = np.array([*self._known.values(), self.missing_points, self.unseen_points])

    def points_frame(self, column: pd.Series) -> FloatArray:
        if not self.numeric:
            return self._categorical_points(column)
        values = _as_float(column, self.name)
        if len(self.splits) <= _MAX_COMPARED_SPLITS:
            # Counting the splits at or below each value (one vectorised compare per split) is
            # the bin index, with "equal goes right"; several times faster than searchsorted's
            # branchy binary search. NaN compares False everywhere and is fixed below.
            below = np.zeros(len(values), np.uint8)
            for split in self.splits:
                np.add(below, np.greater_equal(values, split).view(np.uint8), out=below)
            index = below.astype(np.intp)
        else:
            index = np.searchsorted(self._split_array, values, side="right")
        n_bins = len(self.bin_points)
        for k, (codes, _) in enumerate(self.special_bins):
            np.copyto(index, n_bins + 1 + k, where=np.isin(values, codes))
        np.copyto(index, n_bins, where=np.isnan(values))
        return self._table.take(index)

    def _categorical_points(self, column: pd.Series) -> FloatArray:
        n_known = len(self._known)
        dtype = column.dtype
        if (self._known_text is not None and isinstance(dtype, pd.StringDtype)
                and dtype.storage == "pyarrow"):
            # Arrow-backed text (pandas' default str): one hash lookup per row in Arrow.
            import pyarrow as pa
            import pyarrow.compute as pc

            text = pa.array(column.array)
            found = pc.index_in(text, value_set=pa.array(self._known_text, type=text.type))
            slot = pc.fill_null(found, n_known).to_numpy().astype(np.intp, copy=False)  # pyarrow: untyped
            unseen = np.asarray(pc.and_(pc.is_null(found), pc.is_valid(text)))
            if unseen.any():
                values = pc.unique(pc.filter(text, pa.array(unseen))).to_pylist()
                self._warn_unseen(values, int(unseen.sum()))
                slot[unseen] = n_known + 1
            return cast(FloatArray, self._known_table.take(slot))
        # Any other dtype: look each distinct value up once, then spread.
        codes, distinct = pd.factorize(column, use_na_sentinel=True)
        points = [self.missing_points if _is_missing(value) else self._known.get(value) for value in distinct]
        unseen_codes = [i for i, value in enumerate(points) if value is None]
        if unseen_codes:
            counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
            self._warn_unseen([distinct[i] for i in unseen_codes], int(counts[unseen_codes].sum()))
        lookup = [self.unseen_points if value is None else value for value in points]
        return np.array([*lookup, self.missing_points])[codes]  # -1: missing

    def _warn_unseen(self, values: list[Any], count: int) -> float:
        """Apply the unseen-category rule to ``count`` rows holding ``values``; their points."""
        shown = [v.item() if isinstance(v, np.generic) else v for v in values[:5]]
        if self.unseen == "error":
            raise ValueError(f"feature {self.name!r} must take a category seen in development; got unseen "
                             f"{shown}{' ...' if len(values) > 5 else ''} in {count} row(s)")
        warnings.warn(f"feature {self.name!r}: {count} row(s) with {len(values)} unseen categor"
                      f"{'y' if len(values) == 1 else 'ies'} {shown} scored as {_UNSEEN_LABELS[self.unseen]}",
                      UnseenCategoryWarning, stacklevel=outside_stacklevel())
        return self.unseen_points

    def points_one(self, value: Any) -> float:
        if _is_missing(value):
            return self.missing_points
        if self.specials and value in self.specials:
            return self.specials[value]
        if not self.numeric:
            points = self._points_of_category.get(value)
            return self._warn_unseen([value], 1) if points is None else points
        try:
            return self._points_list[bisect_right(self.splits, value)]
        except TypeError:
            return self.points_one(_to_float(value, self.name))


def _as_float(column: pd.Series, name: str) -> FloatArray:
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    try:
        return pd.to_numeric(column, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"feature {name!r} is numeric; {exc}") from exc


def _to_float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"feature {name!r} is numeric; got {value!r}") from exc


class CompiledScorecard:
    """Score rows with a spec (see the module docstring); build one with ``from_spec``."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        if spec.get("spec_version") != SPEC_VERSION:
            raise ValueError(f"spec_version must be {SPEC_VERSION}; got {spec.get('spec_version')!r}")
        self._spec: SpecDict = copy.deepcopy(dict(spec))
        self.scale = ScoreScale(**spec["scale"])
        self.intercept = float(spec["intercept"])
        self.unseen_category = str(spec.get("unseen_category", "missing_bin"))
        if self.unseen_category not in (*_UNSEEN_LABELS, "error"):
            raise ValueError(f"unseen_category must be one of {[*_UNSEEN_LABELS, 'error']}; "
                             f"got {self.unseen_category!r}")
        self.characteristics = [_Characteristic(f, self.unseen_category) for f in spec["features"]]
        self.features = [c.name for c in self.characteristics]
        cal = spec.get("calibration")
        self.calibration = Calibration.from_dict(cal) if cal else Calibration.identity()

    def calibration_share(self, calibration: Calibration) -> tuple[float, float]:
        """(slope, share): a characteristic's calibrated points are ``slope * points + share``."""
        shift = (1.0 - calibration.slope) * self.scale.offset - self.scale.factor * calibration.intercept
        return calibration.slope, shift / len(self.characteristics)

    def calibrated(self, calibration: Calibration) -> CompiledScorecard:
        """This scorecard with ``calibration`` baked into its points (module docstring); the
        fitted points must not be calibrated twice."""
        if "calibration" in self._spec:
            raise ValueError("this scorecard is calibrated already; calibrate the fitted one")
        slope, share = self.calibration_share(calibration)
        spec = copy.deepcopy(self._spec)

        def move(entry: dict[str, Any], key: str = "points") -> None:
            entry[key] = slope * float(entry[key]) + share

        for feature in spec["features"]:
            for entry in [*feature["bins"], *feature["special_bins"], feature["missing_bin"]]:
                move(entry)
            move(feature, "mean_points")
            move(feature, "max_points")
        spec["calibration"] = calibration.to_dict()
        return CompiledScorecard(spec)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> CompiledScorecard:
        return cls(spec)

    @classmethod
    def from_json(cls, text: str) -> CompiledScorecard:
        return cls(json.loads(text))

    def to_spec(self) -> SpecDict:
        return copy.deepcopy(self._spec)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self._spec, ensure_ascii=False, indent=indent)

    @property
    def mean_points(self) -> dict[str, float]:
        return {c.name: c.mean_points for c in self.characteristics}

    @property
    def max_points(self) -> dict[str, float]:
        return {c.name: c.max_points for c in self.characteristics}

    # -- many rows -----------------------------------------------------------------------
    def characteristic_points(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points of every characteristic (columns) for every row; they sum to the score."""
        self._check_columns(frame)
        return pd.DataFrame({c.name: c.points_frame(frame[c.name]) for c in self.characteristics},
                            index=frame.index)

    def score_frame(self, frame: pd.DataFrame, clip: bool = True) -> FloatArray:
        self._check_columns(frame)
        # Summed characteristic by characteristic, in spec order, as score_one sums them: no
        # frame of points is built, and both paths round alike.
        points = np.zeros(len(frame))
        for characteristic in self.characteristics:
            points += characteristic.points_frame(frame[characteristic.name])
        return self.scale.clip(points) if clip else points

    def pd_frame(self, frame: pd.DataFrame) -> FloatArray:
        """Probability of default of every row (from the unclipped score)."""
        return self.pd_from_points(self.score_frame(frame, clip=False))

    def log_odds_frame(self, frame: pd.DataFrame) -> FloatArray:
        """Log-odds of bad of every row, from the unclipped points (calibrated if the spec is):
        the line's, before any logistic-normal average (``pd_frame`` has the PD)."""
        return self.scale.to_log_odds_bad(self.score_frame(frame, clip=False))

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Long table: row (index label), characteristic, points, shap, points_lost."""
        wide = self.characteristic_points(frame)
        # Melted from plain positions, not the names: a characteristic may be called "row" or
        # "points" itself, which pandas would take for the long table's own columns.
        names = list(wide.columns)
        long = pd.DataFrame({  # melt's order: a characteristic's rows, then the next one's
            "row": np.tile(wide.index.to_numpy(), len(names)),
            "characteristic": np.repeat(np.asarray(names, dtype=object), len(wide)),
            "points": wide.to_numpy(dtype=float).ravel(order="F")})
        long["shap"] = long["points"] - long["characteristic"].map(self.mean_points)
        long["points_lost"] = long["characteristic"].map(self.max_points) - long["points"]
        return long

    # -- one row (serving fast path: plain Python, no numpy) -----------------------------
    def characteristic_points_one(self, row: Mapping[str, Any]) -> dict[str, float]:
        return {c.name: c.points_one(self._value(row, c.name)) for c in self.characteristics}

    def score_one(self, row: Mapping[str, Any], clip: bool = True) -> float:
        total = 0.0
        for characteristic in self.characteristics:
            total += characteristic.points_one(self._value(row, characteristic.name))
        if clip:
            return min(max(total, self.scale.min_score), self.scale.max_score)
        return total

    def contributions_one(self, row: Mapping[str, Any]) -> list[Contribution]:
        points = self.characteristic_points_one(row)
        return [Contribution(c.name, points[c.name], points[c.name] - c.mean_points,
                             c.max_points - points[c.name]) for c in self.characteristics]

    @overload
    def pd_from_points(self, points: float) -> float: ...
    @overload
    def pd_from_points(self, points: FloatArray) -> FloatArray: ...
    def pd_from_points(self, points: ArrayOrFloat) -> ArrayOrFloat:
        """The PD of **unclipped** points (``score_*(..., clip=False)``, or the sum of the
        characteristics' points). Never pass a clipped score: at 0 or 100 it has lost the
        log-odds the PD is read from. With a logistic-normal calibration the PD is the average
        over the score's unseen risk (``Calibration.pd``), not the plain logistic of the points."""
        if self.calibration.heterogeneity == 0:
            return self.scale.to_pd(points)
        return self.calibration.pd(self.scale.to_log_odds_bad(points))

    def _check_columns(self, frame: pd.DataFrame) -> None:
        missing = [name for name in self.features if name not in frame.columns]
        if missing:
            raise ValueError(f"features must be columns of the frame; missing {missing}")

    @staticmethod
    def _value(row: Mapping[str, Any], name: str) -> Any:
        try:
            return row[name]
        except KeyError as exc:
            raise ValueError(f"row has no value for feature {name!r}") from exc
