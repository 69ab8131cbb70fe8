"""``ScorecardModel``: WoE binning, variable selection, logistic fit and points, as one
scikit-learn binary classifier trained on any table with a two-class target.

The event (the "bad" the scorecard ranks against) is the greater of the two classes, as in
scikit-learn: 1 of {0, 1}, True of {False, True}. X is a DataFrame, or an array whose columns
are named ``x0, x1, ...``; non-numeric columns (``category``, ``object``, ``str``) are
categorical whether or not ``categorical_features`` names them. Missing values score their own
bin, so NaN is accepted; infinity, dates and a column with no value at all are refused by name.
A fit that fails leaves the estimator unfitted.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from optbinning import BinningProcess, Scorecard
from pydantic import ValidationError
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from riskmodels.scorecard import binning, separation
from riskmodels.scorecard.choice import ChoiceRow, choice_table, choose_penalty, choose_trend
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution
from riskmodels.scorecard.config import (
    C_GRID,
    MonotonicTrend,
    Penalty,
    ScorecardConfig,
    SelectionMethod,
    SelectionMetric,
    SpecialCode,
    UnseenCategory,
    UserSplits,
)
from riskmodels.scorecard.export import spec_from_scorecard
from riskmodels.scorecard.inputs import (
    LogisticFitWarning,
    check_finite,
    check_groups,
    check_not_dates,
    check_values,
    config_problems,
    encode_target,
    numbers_as_numbers,
    warn_many_categories,
)
from riskmodels.scorecard.logistic import (
    WoeLogisticRegression,
    check_sample_weight,
    coefficient_table,
    variance_inflation,
)
from riskmodels.scorecard.scaling import ScoreScale
from riskmodels.scorecard.selection import select_variables
from riskmodels.scorecard.warning_site import outside_stacklevel

logger = logging.getLogger(__name__)
# Decimals of a numeric bin's edges in the scorecard table (optbinning shows 2).
BIN_LABEL_DIGITS = 6

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class ScorecardModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """A WoE-binned logistic scorecard. Parameters mirror ``ScorecardConfig`` (which checks
    them at ``fit``); ``features=None`` takes every column of X.

    Fitted attributes: ``classes_`` (the two labels; the event is ``classes_[1]``),
    ``n_features_in_`` and ``feature_names_in_`` (X's columns at fit), ``config_`` (the checked
    config, with the categorical features found and the default trend chosen), ``binning_process_``
    (all candidates), ``selection_table_``, ``selection_path_`` (the search's steps, then the
    trend and penalty chosen), ``selected_features_``, ``monotonic_trend_`` (the default trend the
    card is binned under), ``penalty_`` ("none" or "l2") and ``C_`` (NaN when unpenalised) of the
    card's fit, ``choices_`` (every option the held-out choices of ``scorecard.choice`` tried),
    ``scorecard_`` (the final ``optbinning.Scorecard``), ``coef_table_``, ``scorecard_table_``
    and ``compiled_`` (the ``CompiledScorecard`` that every prediction method scores with).

    With ``penalty="auto"`` and L2 chosen, ``coef_table_`` holds the card's shrunk coefficients
    (``coef``) beside the unpenalised refit's (``coef_unpenalised``), whose standard errors and
    Wald p-values it reports: selection kept only characteristics significant in that refit.
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        categorical_features: Sequence[str] = (),
        default_monotonic_trend: MonotonicTrend | None | Sequence[MonotonicTrend | None] = "auto_asc_desc",
        monotonic_trends: Mapping[str, MonotonicTrend | None] | None = None,
        min_bin_size: float = 0.05,
        special_codes: Mapping[str, Mapping[SpecialCode, str]] | None = None,
        user_splits: Mapping[str, UserSplits] | None = None,
        iv_min: float = 0.02,
        max_corr: float = 0.7,
        max_vif: float = 5.0,
        selection_method: SelectionMethod = "forward",
        max_features: int | None = 15,
        selection_metric: SelectionMetric = "log_loss",
        cv_folds: int = 5,
        min_gain: float = 0.0,
        fold_binning: bool = False,
        sign_rule: bool = True,
        p_max: float | None = 0.05,
        penalty: Penalty = "none",
        C: float = 1.0,
        C_grid: Sequence[float] = C_GRID,
        random_state: int | np.random.RandomState | None = 0,
        unseen_category: UnseenCategory = "missing",
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
        self.selection_method = selection_method
        self.max_features = max_features
        self.selection_metric = selection_metric
        self.cv_folds = cv_folds
        self.min_gain = min_gain
        self.fold_binning = fold_binning
        self.sign_rule = sign_rule
        self.p_max = p_max
        self.penalty = penalty
        self.C = C
        self.C_grid = C_grid
        self.random_state = random_state
        self.unseen_category = unseen_category
        self.scale = scale

    @classmethod
    def from_config(cls, cfg: ScorecardConfig) -> ScorecardModel:
        return cls(**{name: getattr(cfg, name) for name in ScorecardConfig.model_fields})

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # a missing value scores the missing bin
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: pd.DataFrame | npt.ArrayLike, y: npt.ArrayLike,
            sample_weight: npt.ArrayLike | None = None) -> ScorecardModel:
        """``sample_weight`` (None: every row weighs one) weighs the binning, its WoE and IV, the
        held-out search, and the logistic fits. The weights are frequencies: a row of weight 2
        counts as two rows, so the Wald p-values and the smallest bin read the weights' sum, and
        weights scaled down make every characteristic less significant (and the weights of each
        class must sum to at least one row: weights normalised to sum to one are refused). A row
        of weight 0 is left out. The correlation and VIF filters count rows, not weights (a fuzzy-augmented
        reject's good and bad rows are two rows there)."""
        self._forget()  # a fit that fails leaves no part of an earlier model to predict with
        frame = self._validated_frame(X, reset=True)
        cfg = self._config(frame)
        weight = check_sample_weight(sample_weight, len(frame))
        self.classes_, target = encode_target(y, len(frame), weight)
        if weight is not None and not weight.all():
            # A row of zero weight is a row absent (scikit-learn's rule). Kept, it would turn
            # statsmodels' Newton step, and with it every coefficient, into NaN.
            kept = weight > 0
            frame, target, weight = frame.loc[kept].reset_index(drop=True), target[kept], weight[kept]
        # Bins fitted inside held-out folds, kept for the whole fit: the choices and the search share them.
        fold_binnings = binning.FoldBinnings(frame, target, weight)
        trend, trend_choices = choose_trend(fold_binnings, cfg)
        cfg = cfg.with_default_trend(trend)
        self.config_ = cfg
        self.monotonic_trend_ = trend

        self.binning_process_ = (binning.fit_binning_process(frame, target, cfg, cfg.features) if weight is None
                                 else _fit_weighted_binning(frame, target, cfg, weight))
        woe = binning.woe_frame(self.binning_process_, frame, cfg.features, cfg)
        iv = binning.information_values(self.binning_process_, cfg.features)
        status = {name: binning.binning_status(self.binning_process_, name) for name in cfg.features}

        def fold_woe(variables: list[str], folds: list[tuple[IntArray, IntArray]]
                     ) -> list[tuple[FloatArray, FloatArray]]:
            return fold_binnings.woe(cfg, variables, folds)

        selection = select_variables(iv, woe, target, cfg, status, weight, fold_woe if cfg.fold_binning else None)
        del woe  # every candidate's WoE of every row: the largest matrix of the fit, read by selection only
        pure = separation.pure_groups(frame, target, cfg)
        self.selection_table_ = separation.explained(selection.table, pure)
        self.selected_features_ = selection.selected
        if pure:
            warnings.warn(separation.warning_text(pure, selection.selected), separation.SeparationWarning,
                          stacklevel=outside_stacklevel())
        if not selection.selected:
            raise ValueError("no variable passed selection; see selection_table_:\n"
                             + self.selection_table_.to_string(index=False))
        penalty_choices: list[ChoiceRow] = []
        if cfg.penalty == "auto":
            chosen_C, penalty_choices = choose_penalty(fold_binnings, cfg, selection.selected)
            self.penalty_, self.C_ = ("none", math.nan) if chosen_C is None else ("l2", chosen_C)
        else:
            self.penalty_, self.C_ = cfg.penalty, cfg.C if cfg.penalty == "l2" else math.nan
        self.choices_ = choice_table([*trend_choices, *penalty_choices])
        self.selection_path_ = _with_choice_rows(selection.path, trend_choices, penalty_choices)

        estimator = (WoeLogisticRegression(penalty="l2", C=self.C_) if self.penalty_ == "l2"
                     else WoeLogisticRegression())
        self.scorecard_ = self._fit_scorecard(frame, target, cfg, selection.selected, estimator, weight)
        final_woe = binning.woe_frame(self.scorecard_.binning_process_, frame, selection.selected, cfg)
        if not binning.same_bins(self.binning_process_, self.scorecard_.binning_process_, selection.selected):
            # Only a solver stopped by its time limit could bin the same data differently.
            logger.warning("final binning differs from the candidate binning; selection "
                           "statistics refer to the candidate binning")
        # penalty auto with L2 chosen: the inference is the unpenalised refit's (class docstring).
        inference = (WoeLogisticRegression().fit(final_woe, target, sample_weight=weight)
                     if cfg.penalty == "auto" and self.penalty_ == "l2" else None)
        noted = self.scorecard_.estimator_.fit_warnings_
        if noted:  # the search's fits keep theirs (``logistic._recorded``); the card's own are told
            warnings.warn(f"the card's logistic fit warned: {'; '.join(noted)}", LogisticFitWarning, stacklevel=outside_stacklevel())
        self.coef_table_ = coefficient_table(self.scorecard_.estimator_, selection.selected,
                                             variance_inflation(final_woe), inference)
        self.scorecard_table_ = _scorecard_table(self.scorecard_.table(style="detailed"))
        self.compiled_ = CompiledScorecard.from_spec(
            spec_from_scorecard(self.scorecard_, cfg.scale, cfg.unseen_category))
        logger.info("scorecard fitted on %d rows (event rate %.4f): %d of %d characteristics",
                    len(target), np.average(target, weights=weight), len(selection.selected), len(cfg.features))
        return self

    def _forget(self) -> None:
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)

    def _validated_frame(self, X: pd.DataFrame | npt.ArrayLike, reset: bool) -> pd.DataFrame:
        """X as a DataFrame. A frame passes as it is: the scorecard reads its features by name,
        so extra or reordered columns are fine. An array's columns take the names seen at fit
        (``x0, x1, ...`` when the fit had an array too)."""
        if isinstance(X, pd.DataFrame) and not reset and not hasattr(self, "feature_names_in_"):
            # Fitted on an array: as scikit-learn does, warn (validate_data) and read the columns
            # by position.
            validate_data(self, X, reset=False, skip_check_array=True)
            X = X.to_numpy()
        if isinstance(X, pd.DataFrame):
            if not all(isinstance(name, str) for name in X.columns):
                X = X.set_axis([str(name) for name in X.columns], axis=1)
            repeated = sorted({str(name) for name in X.columns[X.columns.duplicated()]})
            if repeated:
                raise ValueError(f"X must have each column name once; repeated {repeated}")
            if reset:
                validate_data(self, X, reset=True, skip_check_array=True)
            return numbers_as_numbers(X, self.categorical_features)
        array = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_samples=1 if not reset else 2)
        validate_data(self, array, reset=reset, skip_check_array=True)
        names = (list(self.feature_names_in_) if hasattr(self, "feature_names_in_")
                 else [f"x{i}" for i in range(array.shape[1])])
        # An object array holds numbers and text alike: numeric columns become numbers again.
        return pd.DataFrame(array, columns=names).infer_objects()

    def _config(self, X: pd.DataFrame) -> ScorecardConfig:
        for option in ("features", "categorical_features"):
            if isinstance(getattr(self, option), str):
                raise ValueError(f"{option} must be a list of column names; got the string {getattr(self, option)!r}")
        # Column labels are read as text (a frame's integer labels too), so the options naming
        # them are as well: features=[0, 1] names the columns labelled 0 and 1.
        features = [str(name) for name in (X.columns if self.features is None else self.features)]
        missing = [name for name in features if name not in X.columns]
        if missing:
            raise ValueError(f"features must be columns of X; missing {missing}")
        check_values(X, features)
        declared = [str(name) for name in self.categorical_features]
        found = [name for name in features
                 if name not in declared and not pd.api.types.is_numeric_dtype(X[name].dtype)]
        if found:
            logger.info("non-numeric columns binned as categorical: %s", found)
        try:
            cfg = self._checked_config(features, declared + found)
        except ValidationError as exc:
            raise ValueError(config_problems(exc)) from None
        if not cfg.fold_binning:
            warn_many_categories(X, cfg.categorical_features, cfg.min_bin_size)
        check_groups(X, cfg)
        return cfg

    def _checked_config(self, features: list[str], categorical: list[str]) -> ScorecardConfig:
        # scikit-learn's random_state: an int, None or a RandomState; the config keeps an int.
        random_state = (int(self.random_state) if isinstance(self.random_state, int | np.integer)
                        else int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max)))
        return ScorecardConfig(
            features=features,
            categorical_features=categorical,
            default_monotonic_trend=(self.default_monotonic_trend
                                     if self.default_monotonic_trend is None or isinstance(self.default_monotonic_trend, str)
                                     else list(self.default_monotonic_trend)),
            monotonic_trends={str(k): v for k, v in (self.monotonic_trends or {}).items()},
            min_bin_size=self.min_bin_size,
            special_codes={str(k): dict(v) for k, v in (self.special_codes or {}).items()},
            user_splits={str(k): v for k, v in (self.user_splits or {}).items()},
            iv_min=self.iv_min, max_corr=self.max_corr, max_vif=self.max_vif,
            selection_method=self.selection_method, max_features=self.max_features,
            selection_metric=self.selection_metric, cv_folds=self.cv_folds, min_gain=self.min_gain,
            fold_binning=self.fold_binning,
            sign_rule=self.sign_rule, p_max=self.p_max, penalty=self.penalty, C=self.C, C_grid=list(self.C_grid),
            random_state=random_state, unseen_category=self.unseen_category,
            scale=self.scale or ScoreScale())

    @staticmethod
    def _fit_scorecard(X: pd.DataFrame, y: npt.NDArray[np.int64], cfg: ScorecardConfig, selected: list[str],
                       estimator: WoeLogisticRegression, weight: FloatArray | None = None) -> Scorecard:
        # optbinning rebins the selected variables (same options, same data: same bins) and
        # fits our logistic regression on their WoE; its table then holds the points.
        scorecard = Scorecard(
            binning_process=binning.make_binning_process(cfg, selected),
            estimator=estimator,
            scaling_method="pdo_odds",
            scaling_method_params=cfg.scale.optbinning_params(),
            rounding=False,
        )
        with binning.optbinning_pandas_deprecations():
            # optbinning hands sample_weight to both the binning and our estimator's fit.
            # Six decimals in the table's bin labels: at optbinning's two, a tax rate's bins read
            # "[0.01, 0.01)" and "[0.02, 0.02)" in the reports (the spec keeps the exact edges).
            return scorecard.fit(binning.as_binning_input(X, selected, cfg), y, sample_weight=weight,
                                 metric_special=binning.EMPIRICAL, metric_missing=binning.EMPIRICAL,
                                 show_digits=BIN_LABEL_DIGITS)

    # -- prediction ------------------------------------------------------------------------
    def _scoring_frame(self, X: pd.DataFrame | npt.ArrayLike) -> pd.DataFrame:
        check_is_fitted(self, "compiled_")
        frame = self._validated_frame(X, reset=False)
        present = [name for name in self.selected_features_ if name in frame.columns]
        check_not_dates(frame, present)
        check_finite(frame, [c.name for c in self.compiled_.characteristics if c.numeric and c.name in present])
        return frame

    def predict_score(self, X: pd.DataFrame | npt.ArrayLike) -> FloatArray:
        """Final score in points, clipped to the scale's range."""
        frame = self._scoring_frame(X)
        return self.compiled_.score_frame(frame)

    def predict_pd(self, X: pd.DataFrame | npt.ArrayLike) -> FloatArray:
        """Probability of the event (default), from the unclipped score."""
        frame = self._scoring_frame(X)
        return self.compiled_.pd_frame(frame)

    def decision_function(self, X: pd.DataFrame | npt.ArrayLike) -> FloatArray:
        """Log-odds of the event (``classes_[1]``), from the unclipped score; positive means
        ``predict`` says the event."""
        frame = self._scoring_frame(X)
        return self.compiled_.log_odds_frame(frame)

    def predict_proba(self, X: pd.DataFrame | npt.ArrayLike) -> FloatArray:
        """Columns in ``classes_`` order: no event, event."""
        pd_event = self.predict_pd(X)
        return np.column_stack([1.0 - pd_event, pd_event])

    def predict(self, X: pd.DataFrame | npt.ArrayLike) -> npt.NDArray[Any]:
        """The more likely class: the event where its PD exceeds one half."""
        event = self.decision_function(X) > 0
        return np.asarray(self.classes_[event.astype(np.intp)])

    def contributions(self, X: pd.DataFrame | npt.ArrayLike) -> pd.DataFrame:
        """Per row and characteristic: points, shap (points - dev mean), points_lost."""
        return self.compiled_.contributions(self._scoring_frame(X))

    def contributions_one(self, row: Mapping[str, object]) -> list[Contribution]:
        """``contributions`` of one row given as a mapping of feature name to value."""
        check_is_fitted(self, "compiled_")
        if not isinstance(row, Mapping):
            raise TypeError(f"row must be a mapping of feature name to value; got {type(row).__name__}")
        check_finite(pd.DataFrame({c.name: [row.get(c.name)] for c in self.compiled_.characteristics if c.numeric}),
                      [c.name for c in self.compiled_.characteristics if c.numeric])
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


def _with_choice_rows(path: pd.DataFrame, trend: list[ChoiceRow], penalty: list[ChoiceRow]) -> pd.DataFrame:
    """The search's path between the held-out choices: a ``trend`` row first (step 0, when one
    was chosen), a ``penalty`` row last; each names the option chosen and its held-out criterion."""
    def row(step: int, action: str, choices: list[ChoiceRow]) -> list[dict[str, object]]:
        chosen = [c for c in choices if c.chosen and not math.isnan(c.held_out)]
        return [{"step": step, "action": action, "variable": c.option, "held_out": c.held_out,
                 "score_statistic": math.nan} for c in chosen]
    last = int(path["step"].max()) + 1 if len(path) else 1
    rows = [*row(0, "trend", trend), *path.to_dict("records"), *row(last, "penalty", penalty)]
    return pd.DataFrame(rows, columns=list(path.columns))


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
