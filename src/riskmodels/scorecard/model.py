"""``ScorecardModel``: WoE binning, variable selection, logistic fit and points, as one
sklearn estimator trained on any table with a binary target (1 = bad / event)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from optbinning import BinningProcess, Scorecard
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from riskmodels.scorecard import binning
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution
from riskmodels.scorecard.config import MonotonicTrend, ScorecardConfig, SpecialCode, UserSplits
from riskmodels.scorecard.export import spec_from_scorecard
from riskmodels.scorecard.logistic import (
    WoeLogisticRegression,
    check_sample_weight,
    coefficient_table,
    variance_inflation,
)
from riskmodels.scorecard.scaling import ScoreScale
from riskmodels.scorecard.selection import select_variables

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class ScorecardModel(BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """A WoE-binned logistic scorecard. Parameters mirror ``ScorecardConfig`` (which checks
    them at ``fit``); ``features=None`` takes every column of X.

    Fitted attributes: ``config_``, ``binning_process_`` (all candidates), ``selection_table_``,
    ``selected_features_``, ``scorecard_`` (the final ``optbinning.Scorecard``),
    ``coef_table_``, ``scorecard_table_`` and ``compiled_`` (the ``CompiledScorecard`` that
    every ``predict_*`` method scores with).
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        categorical_features: Sequence[str] = (),
        default_monotonic_trend: MonotonicTrend | None = "auto_asc_desc",
        monotonic_trends: Mapping[str, MonotonicTrend | None] | None = None,
        min_bin_size: float = 0.05,
        special_codes: Mapping[str, Mapping[SpecialCode, str]] | None = None,
        user_splits: Mapping[str, UserSplits] | None = None,
        iv_min: float = 0.02,
        max_corr: float = 0.7,
        max_vif: float = 5.0,
        scale: ScoreScale | None = None,
    ) -> None:
        self.features = features
        self.categorical_features = categorical_features
        self.default_monotonic_trend = default_monotonic_trend
        self.monotonic_trends = monotonic_trends
        self.min_bin_size = min_bin_size
        self.special_codes = special_codes
        self.user_splits = user_splits
        self.iv_min = iv_min
        self.max_corr = max_corr
        self.max_vif = max_vif
        self.scale = scale

    @classmethod
    def from_config(cls, cfg: ScorecardConfig) -> ScorecardModel:
        return cls(**{name: getattr(cfg, name) for name in ScorecardConfig.model_fields})

    def fit(self, X: pd.DataFrame, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None) -> ScorecardModel:
        """``sample_weight`` (None: every row weighs one) weighs the binning, its WoE and IV, and
        the logistic fit. The selection's correlation, VIF and sign checks count rows, not weights:
        ``selection.select_variables`` takes none (a fuzzy-augmented reject's good and bad rows
        are two rows there)."""
        cfg = self._config(X)
        target = _check_target(y, len(X))
        weight = check_sample_weight(sample_weight, len(X))
        self.config_ = cfg
        self.feature_names_in_ = np.asarray(cfg.features, dtype=object)
        self.n_features_in_ = len(cfg.features)

        self.binning_process_ = (binning.fit_binning_process(X, target, cfg, cfg.features) if weight is None
                                 else _fit_weighted_binning(X, target, cfg, weight))
        woe = binning.woe_frame(self.binning_process_, X, cfg.features, cfg)
        iv = binning.information_values(self.binning_process_, cfg.features)
        status = {name: binning.binning_status(self.binning_process_, name) for name in cfg.features}
        selection = select_variables(iv, woe, target, cfg, status)
        self.selection_table_ = selection.table
        self.selected_features_ = selection.selected
        if not selection.selected:
            raise ValueError("no variable passed selection; see selection_table_:\n"
                             + selection.table.to_string(index=False))

        self.scorecard_ = self._fit_scorecard(X, target, cfg, selection.selected, weight)
        final_woe = binning.woe_frame(self.scorecard_.binning_process_, X, selection.selected, cfg)
        if not np.allclose(final_woe, woe[selection.selected], rtol=0, atol=1e-12):
            # Only a solver stopped by its time limit could bin the same data differently.
            logger.warning("final binning differs from the candidate binning; selection "
                           "statistics refer to the candidate binning")
        self.coef_table_ = coefficient_table(self.scorecard_.estimator_, selection.selected,
                                             variance_inflation(final_woe))
        self.scorecard_table_ = _scorecard_table(self.scorecard_.table(style="detailed"))
        self.compiled_ = CompiledScorecard.from_spec(spec_from_scorecard(self.scorecard_, cfg.scale))
        logger.info("scorecard fitted on %d rows (bad rate %.4f): %d of %d characteristics",
                    len(target), np.average(target, weights=weight), len(selection.selected), len(cfg.features))
        return self

    def _config(self, X: pd.DataFrame) -> ScorecardConfig:
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame; got {type(X).__name__}")
        features = list(X.columns) if self.features is None else list(self.features)
        missing = [name for name in features if name not in X.columns]
        if missing:
            raise ValueError(f"features must be columns of X; missing {missing}")
        return ScorecardConfig(
            features=features,
            categorical_features=list(self.categorical_features),
            default_monotonic_trend=self.default_monotonic_trend,
            monotonic_trends=dict(self.monotonic_trends or {}),
            min_bin_size=self.min_bin_size,
            special_codes={k: dict(v) for k, v in (self.special_codes or {}).items()},
            user_splits=dict(self.user_splits or {}),
            iv_min=self.iv_min, max_corr=self.max_corr, max_vif=self.max_vif,
            scale=self.scale or ScoreScale())

    @staticmethod
    def _fit_scorecard(X: pd.DataFrame, y: npt.NDArray[np.int64], cfg: ScorecardConfig,
                       selected: list[str], weight: FloatArray | None = None) -> Scorecard:
        # optbinning rebins the selected variables (same options, same data: same bins) and
        # fits our logistic regression on their WoE; its table then holds the points.
        scorecard = Scorecard(
            binning_process=binning.make_binning_process(cfg, selected),
            estimator=WoeLogisticRegression(),
            scaling_method="pdo_odds",
            scaling_method_params=cfg.scale.optbinning_params(),
            rounding=False,
        )
        with binning.optbinning_pandas_deprecations():
            # optbinning hands sample_weight to both the binning and our estimator's fit.
            return scorecard.fit(binning.as_binning_input(X, selected, cfg), y, sample_weight=weight,
                                 metric_special=binning.EMPIRICAL, metric_missing=binning.EMPIRICAL)

    # -- prediction ------------------------------------------------------------------------
    def predict_score(self, X: pd.DataFrame) -> FloatArray:
        """Final score in points, clipped to the scale's range."""
        check_is_fitted(self, "compiled_")
        return self.compiled_.score_frame(X)

    def predict_pd(self, X: pd.DataFrame) -> FloatArray:
        """Probability of default (event), from the unclipped score."""
        check_is_fitted(self, "compiled_")
        return self.compiled_.pd_frame(X)

    def predict_proba(self, X: pd.DataFrame) -> FloatArray:
        pd_bad = self.predict_pd(X)
        return np.column_stack([1.0 - pd_bad, pd_bad])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per row and characteristic: points, shap (points - dev mean), points_lost."""
        check_is_fitted(self, "compiled_")
        return self.compiled_.contributions(X)

    def contributions_one(self, row: Mapping[str, object]) -> list[Contribution]:
        check_is_fitted(self, "compiled_")
        return self.compiled_.contributions_one(row)

    def binning_tables(self, selected_only: bool = False) -> dict[str, pd.DataFrame]:
        """optbinning's binning table of every candidate (or selected) variable, for reports."""
        check_is_fitted(self, "binning_process_")
        variables = self.selected_features_ if selected_only else None
        return binning.binning_tables(self.binning_process_, variables)


def _fit_weighted_binning(X: pd.DataFrame, y: npt.NDArray[np.int64], cfg: ScorecardConfig,
                          weight: FloatArray) -> BinningProcess:
    """``binning.fit_binning_process`` with row weights (optbinning weighs the bins' counts)."""
    process = binning.make_binning_process(cfg, cfg.features)
    with binning.optbinning_pandas_deprecations():
        process.fit(binning.as_binning_input(X, cfg.features, cfg), y, sample_weight=weight)
    for name in cfg.features:
        status = binning.binning_status(process, name)
        if status not in binning.SOLVED:
            logger.warning("binning of %r ended %s; it is left with a single bin", name, status)
    return process


def _check_target(y: npt.ArrayLike, n_rows: int) -> npt.NDArray[np.int64]:
    values = pd.Series(np.asarray(y).ravel())
    if len(values) != n_rows:
        raise ValueError(f"X and y must have the same number of rows; got {n_rows} and {len(values)}")
    if values.isna().any():
        raise ValueError("y must be binary 0/1; it has missing values")
    found = sorted(pd.unique(values).tolist())
    if not set(found) <= {0, 1}:
        raise ValueError(f"y must be binary 0/1; got values {found}")
    if len(found) < 2:
        raise ValueError(f"y must hold both classes 0 and 1; got only {found}")
    return values.to_numpy(dtype=np.int64)


def _scorecard_table(detailed: pd.DataFrame) -> pd.DataFrame:
    """variable, bin, count, event_rate, woe, iv, points; event rate from the counts, since
    optbinning shows 0 for a bin with no goods or no bads."""
    count = detailed["Count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins: event rate undefined
        event_rate = np.where(count > 0, detailed["Event"].to_numpy(dtype=float) / count, np.nan)
    return pd.DataFrame({
        "variable": detailed["Variable"].astype(str).to_numpy(),
        "bin": [b if isinstance(b, str) else list(b) for b in detailed["Bin"]],
        # A weighted fit's counts are sums of weights: rounded, not truncated, to whole rows.
        "count": np.rint(detailed["Count"].to_numpy(dtype=float)).astype(np.int64),
        "event_rate": event_rate,
        "woe": detailed["WoE"].to_numpy(dtype=float),
        "iv": detailed["IV"].to_numpy(dtype=float),
        "points": detailed["Points"].to_numpy(dtype=float),
    })
