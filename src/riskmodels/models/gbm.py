"""Calibrated LightGBM binary models on catalogue features: the base of the fraud model and
of the A-card challenger.

Sized for the live API: at most 150 trees of at most 15 leaves and depth 5, so one row's
prediction and its SHAP contributions (``pred_contrib``, whose cost grows with tree depth)
stay well under a millisecond. Trees grow on one part of the data, early stopping watches a
second, and a Platt map fitted on a third turns the raw log-odds into probabilities.

Why Platt rather than isotonic: at a 0.3-2% fraud rate the calibration part holds a few
dozen to a few hundred positives, too few for isotonic regression's free step function (it
overfits, and its flat steps tie applicants the trees had ranked apart). Platt has two
parameters, and being affine in log-odds it keeps the SHAP contributions exact: calibrated
log-odds = slope x (sum of contributions) + intercept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self, cast

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.base import BaseEstimator

from riskmodels.features.catalogue import FEATURES
from riskmodels.models.tree_shap import ShapTables, tables_for

FORMAT_VERSION = 1
Rows = pd.DataFrame | Mapping[str, Any]  # a feature frame, or one row as a dict of scalars (live API)


def monotone_direction(name: str) -> int:
    """LightGBM monotone constraint for a feature: its catalogue risk direction where that holds
    over the whole range (numeric, no special codes such as -1 = never), else 0."""
    info = FEATURES.get(name)
    if info is None or info.kind != "numeric" or info.special_codes:
        return 0
    return info.risk_direction


def fit_platt(margin: np.ndarray, y: np.ndarray, max_iterations: int = 100) -> np.ndarray:
    """Platt scaling: (slope, intercept) of P(y=1) = expit(slope * margin + intercept).

    Newton's method on the log-loss with Platt's smoothed targets, which keep a sample with
    few positives (fraud at 0.3-2%) from driving the map to 0 and 1.
    """
    positives = float(y.sum())
    negatives = len(y) - positives
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    design = np.column_stack([margin, np.ones_like(margin)])

    def loss(coef: np.ndarray) -> float:
        z = design @ coef
        return float(-(target * log_expit(z) + (1 - target) * log_expit(-z)).sum())

    coef = np.array([1.0, 0.0])  # start from LightGBM's own probabilities
    current = loss(coef)
    for _ in range(max_iterations):
        p = expit(design @ coef)
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, design.T @ (p - target))
        shrink, candidate = 1.0, coef - step
        while (new := loss(candidate)) > current and shrink > 1e-6:
            shrink /= 2  # backtrack: a plain Newton step can overshoot on flat data
            candidate = coef - shrink * step
        if new > current:  # no step improves: at the optimum to numerical precision
            return coef
        coef, improvement, current = candidate, current - new, new
        if improvement < 1e-12 * max(1.0, current):
            return coef
    raise RuntimeError(f"Platt calibration must converge in {max_iterations} iterations; got loss {current}")


def _binary_target(y: Any, n_rows: int) -> np.ndarray:
    try:
        values = np.asarray(y, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y must be binary (0/1); got non-numeric labels of type {type(y).__name__}") from exc
    if len(values) != n_rows:
        raise ValueError(f"y must have one label per row of X ({n_rows}); got {len(values)}")
    labels = set(np.unique(values).tolist())
    if not labels <= {0.0, 1.0}:
        raise ValueError(f"y must be binary (0/1); got values {sorted(labels)[:10]}")
    return values.astype(np.int8)


def _stratified_parts(y: np.ndarray, shares: tuple[float, float], seed: int) -> list[np.ndarray]:
    """Row indices of (fit, early stopping, calibration), each with the same bad rate."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in (0, 1):
        rows = rng.permutation(np.flatnonzero(y == label))
        stop_end = int(round(len(rows) * shares[0]))
        calibration_end = stop_end + int(round(len(rows) * shares[1]))
        for part, chunk in zip(parts, (rows[calibration_end:], rows[:stop_end], rows[stop_end:calibration_end]), strict=True):
            part.append(chunk)
    return [np.sort(np.concatenate(chunks)) for chunks in parts]


def _is_number(value: Any) -> bool:
    try:
        float(np.nan if value is None else value)
    except (TypeError, ValueError):
        return False
    return True


class CalibratedGBM(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """LightGBM binary classifier, monotone where the catalogue knows the direction, with a
    Platt-calibrated probability. Subclasses fix the default features and the model kind."""

    default_features: ClassVar[tuple[str, ...]] = ()
    kind: ClassVar[str] = "gbm"

    def __init__(self, features: Sequence[str] | None = None, n_estimators: int = 150, num_leaves: int = 15,
                 max_depth: int = 5, learning_rate: float = 0.1, min_child_samples: int = 50,
                 early_stopping_rounds: int = 20, stop_share: float = 0.2, calibration_share: float = 0.2,
                 monotone: bool = True, seed: int = 7, num_threads: int = 2) -> None:
        self.features = features
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.stop_share = stop_share
        self.calibration_share = calibration_share
        self.monotone = monotone
        self.seed = seed
        self.num_threads = num_threads

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any) -> Self:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame of features; got {type(X).__name__}")
        self._check_params()
        target = _binary_target(y, len(X))
        self.features_ = list(self.features if self.features is not None else self.default_features)
        self._require_features(X)
        categorical = [f for f in self.features_ if f in FEATURES and FEATURES[f].kind == "categorical"]
        # Levels seen in training, in a fixed order: LightGBM sees their codes, unseen ones are missing.
        self.levels_ = {f: sorted(X[f].dropna().astype(str).unique()) for f in categorical}
        matrix = self._encode(X)
        fit_rows, stop_rows, calibration_rows = _stratified_parts(
            target, (self.stop_share, self.calibration_share), self.seed)
        for name, rows in (("fit", fit_rows), ("early-stopping", stop_rows), ("calibration", calibration_rows)):
            if len(np.unique(target[rows])) < 2:
                raise ValueError(f"y must have both classes in the {name} part; got {int(target.sum())} "
                                 f"positives in {len(target)} rows")
        params = self._lightgbm_params()
        train = lgb.Dataset(matrix[fit_rows], target[fit_rows], feature_name=self.features_,
                            categorical_feature=[self.features_.index(f) for f in self.levels_], params=params)
        stop = lgb.Dataset(matrix[stop_rows], target[stop_rows], reference=train)
        booster = lgb.train(params, train, num_boost_round=self.n_estimators, valid_sets=[stop],
                            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)])
        # Keep only the trees early stopping chose, in the text form persistence will store.
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
        self.calibration_ = fit_platt(self._raw(matrix[calibration_rows]), target[calibration_rows])
        if self.calibration_[0] <= 0:
            raise ValueError(f"calibration slope must be positive (scores ranking bads higher); got "
                             f"{self.calibration_[0]:.4g}: the model has no signal on the calibration part")
        self.n_trees_ = self.booster_.num_trees()
        return self

    def _check_params(self) -> None:
        shares = (self.stop_share, self.calibration_share)
        if not (min(shares) > 0 and sum(shares) < 1):
            raise ValueError(f"stop_share and calibration_share must be positive and sum below 1; got "
                             f"{self.stop_share} and {self.calibration_share}")

    def _lightgbm_params(self) -> dict[str, Any]:
        return {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "max_depth": self.max_depth, "min_data_in_leaf": self.min_child_samples,
            "monotone_constraints": [monotone_direction(f) if self.monotone else 0 for f in self.features_],
            "monotone_constraints_method": "intermediate",
            "seed": self.seed, "deterministic": True, "force_row_wise": True,
            "num_threads": self.num_threads, "verbosity": -1,
        }

    # -- scoring ---------------------------------------------------------------------------
    def _require_features(self, X: Rows) -> None:
        missing = [f for f in self.features_ if f not in X]
        if missing:
            raise ValueError(f"X must have every model feature; got none for {missing}")

    def _encode(self, X: Rows) -> np.ndarray:
        """Rows -> float matrix in ``features_`` order; categories as level codes, NaN if unseen."""
        self._require_features(X)
        codes = {name: {level: float(i) for i, level in enumerate(levels)} for name, levels in self.levels_.items()}
        if not isinstance(X, pd.DataFrame):  # one row: a single conversion keeps the live path fast
            row = [codes[name].get(X[name], np.nan) if name in codes else X[name] for name in self.features_]
            try:
                return np.array([row], dtype=float)
            except (TypeError, ValueError) as exc:
                bad = [name for name, value in zip(self.features_, row, strict=True) if not _is_number(value)]
                if not bad:
                    raise
                raise ValueError(f"{bad[0]} must be numeric; got {X[bad[0]]!r}") from exc
        columns = []
        for name in self.features_:
            if name in codes:
                columns.append(X[name].map(codes[name]).to_numpy(dtype=float, na_value=np.nan))
                continue
            try:
                columns.append(X[name].to_numpy(dtype=float, na_value=np.nan))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{name} must be numeric; got dtype {X[name].dtype}") from exc
        return np.column_stack(columns)

    def _raw(self, matrix: np.ndarray) -> np.ndarray:
        # A dense matrix in, so a dense array out (not one of the sparse forms predict may return).
        return cast(np.ndarray, self.booster_.predict(matrix, raw_score=True, num_threads=self.num_threads))

    def predict_raw(self, X: Rows) -> np.ndarray:
        """LightGBM's raw log-odds (before calibration)."""
        return self._raw(self._encode(X))

    def calibrated_logit(self, raw: np.ndarray) -> np.ndarray:
        slope, intercept = self.calibration_
        return cast(np.ndarray, slope * raw + intercept)

    def predict_bad_probability(self, X: Rows) -> np.ndarray:
        return cast(np.ndarray, expit(self.calibrated_logit(self.predict_raw(X))))

    def predict_proba(self, X: Rows) -> np.ndarray:
        """scikit-learn form: columns P(good), P(bad)."""
        bad = self.predict_bad_probability(X)
        return np.column_stack([1 - bad, bad])

    def contribution_matrix(self, X: Rows) -> np.ndarray:
        """SHAP values in raw log-odds, one column per feature then the bias (expected value):
        path-dependent TreeSHAP, LightGBM's ``pred_contrib`` to rounding (``tree_shap``).

        Rows sum to ``predict_raw`` (to rounding). The calibrated log-odds are ``slope * raw + intercept``
        with a positive slope, so the ranking of reasons is the same in either space.
        """
        return self._contributions_of(self._encode(X))

    def _shap_tables(self) -> ShapTables | None:
        """The booster's TreeSHAP tables, built on first use (None: splits they don't cover)."""
        cached = getattr(self, "_tables", None)
        if cached is None or cached[0] is not self.booster_:
            cached = self._tables = (self.booster_, tables_for(self.booster_))
        tables: ShapTables | None = cached[1]
        return tables

    def _contributions_of(self, matrix: np.ndarray) -> np.ndarray:
        """TreeSHAP of encoded rows: from the tables, else from LightGBM's ``pred_contrib``."""
        tables = self._shap_tables()
        if tables is not None:
            return tables.contributions(matrix)
        contributions = self.booster_.predict(matrix, pred_contrib=True, num_threads=self.num_threads)
        return cast(np.ndarray, contributions)  # dense input, so a dense array

    def contributions(self, X: Rows) -> pd.DataFrame:
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(self.contribution_matrix(X), columns=[*self.features_, "bias"], index=index)

    # -- persistence (plain JSON-able data: no pickle) ---------------------------------------
    def to_dict(self) -> dict[str, Any]:
        params = self.get_params()
        params["features"] = list(self.features_)
        return {
            "kind": self.kind, "format_version": FORMAT_VERSION, "params": params,
            "features": list(self.features_), "levels": {k: list(v) for k, v in self.levels_.items()},
            "calibration": {"method": "platt", "slope_intercept": self.calibration_.tolist()},
            "lightgbm_model": self.booster_.model_to_string(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        if data.get("kind") != cls.kind or data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"data must be a {cls.kind!r} model of format {FORMAT_VERSION}; got "
                             f"{data.get('kind')!r} format {data.get('format_version')!r}")
        model = cls(**data["params"])
        model._check_params()
        model.features_ = list(data["features"])
        model.levels_ = {k: list(v) for k, v in data["levels"].items()}
        model.calibration_ = np.asarray(data["calibration"]["slope_intercept"], dtype=float)
        model.booster_ = lgb.Booster(model_str=data["lightgbm_model"])
        model.n_trees_ = model.booster_.num_trees()
        return model
