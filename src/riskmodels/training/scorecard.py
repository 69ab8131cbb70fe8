"""Train, evaluate, log and register a scorecard: the steps the A, B and C cards share.

A pipeline prepares a ``ScorecardSample`` (features, target, dates, and the simulator's truth
when there is one); everything after that is the same for every scorecard.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from riskmodels import registry
from riskmodels.data.splits import SplitConfig, split_by_month
from riskmodels.evaluation import EvaluationResult, SplitData, earliest_per_account, evaluate_splits, validation_report
from riskmodels.models.specs import make_spec
from riskmodels.policy.risk_classes import RiskBands
from riskmodels.registry.gates import BankGates, judge, load_gates
from riskmodels.scorecard import ScorecardConfig, ScorecardModel
from riskmodels.scorecard.calibration import Basis, Calibration, Heterogeneity, Method, fit_calibration
from riskmodels.training.governance import DataRecord, Registration, log_datasets, register_with_governance
from riskmodels.training.steps import PipelineConfig, TrainingResult, data_fingerprint, flatten

log = logging.getLogger(__name__)

VALIDATION_REPORT = "report/validation_report.html"
SPLITS = ("train", "test", "oot")


class CalibrationConfig(BaseModel):
    """How the PDs are calibrated (``riskmodels.scorecard.calibration``): the method, the
    point-in-time or through-the-cycle choice, the folds of the held-out log-odds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method = "logistic"
    basis: Basis = Field(default="through_the_cycle", description="through_the_cycle: level = long-run average "
                         "default rate of every month with an outcome; point_in_time: of the last pit_months")
    pit_months: int = Field(default=6, ge=1, description="point_in_time: most recent months the level is anchored to")
    folds: int = Field(default=4, ge=2, le=10, description="k-fold refits that give every development row a held-out log-odds")
    heterogeneity: Heterogeneity = Field(default="none", description="auto: fit the logistic-normal average over the "
                                         "score's unseen risk, kept when its likelihood-ratio test rejects sigma = 0")
    alpha: float = Field(default=0.05, gt=0, lt=0.5, description="level of the heterogeneity test")
    seed: int = 0


class ScorecardPipelineConfig(PipelineConfig):
    """A scorecard pipeline's YAML: the common part plus the scorecard section."""

    scorecard: ScorecardConfig
    calibration: CalibrationConfig = Field(default_factory=lambda: CalibrationConfig.model_validate({}))
    event_value: int = Field(1, ge=0, le=1, description="Target value that is the bad event")
    date_column: str = Field("application_date", description="Calendar the split runs on")


EXAMPLE_ROWS = 5  # raw rows shown as the registered model's input example


@dataclass(frozen=True)
class ScorecardSample:
    """The development data of one scorecard, row-aligned.

    ``input_rows`` are the raw contract rows the registered model is judged on (the champion
    comparison scores the out-of-time ones through the spec) and shows as its input example.
    ``input_positions`` (sorted) says which rows it holds when it holds only those: a B card's
    snapshots are 7M rows at a million applications, and the three quarters outside the
    out-of-time months would be carried through every fit for nothing. None: every row."""

    features: pd.DataFrame
    event: np.ndarray  # 1 = the bad event the score ranks against
    dates: pd.Series
    input_rows: pd.DataFrame
    oracle_pd: np.ndarray | None = None  # the simulator's true probability of the event
    input_positions: np.ndarray | None = None
    # The account of each row, where rows repeat an account (a B card's monthly snapshots, a C
    # card's cases): the calibration tests then count one row per account (``independent_rows``).
    # None: rows are independent.
    accounts: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.features)
        held = n if self.input_positions is None else len(self.input_positions)
        if not (len(self.event) == len(self.dates) == n and len(self.input_rows) == held):
            raise ValueError("features, event and dates must have the same length, and input_rows one row per "
                             f"position it holds; got {n}, {len(self.event)}, {len(self.dates)}, "
                             f"{len(self.input_rows)} for {held}")
        if self.oracle_pd is not None and len(self.oracle_pd) != n:
            raise ValueError(f"oracle_pd must have {n} rows; got {len(self.oracle_pd)}")
        if self.accounts is not None and len(self.accounts) != n:
            raise ValueError(f"accounts must have {n} rows; got {len(self.accounts)}")

    def independent_rows(self, rows: np.ndarray) -> np.ndarray | None:
        """Of the rows where the boolean mask ``rows`` is true, those the calibration and class
        tests (Hosmer-Lemeshow, Jeffreys, binomial, the class order's Fisher) may count as
        independent draws: each account's earliest (None: every row, when rows do not repeat an
        account). An account's snapshots a month apart share most of its next six months, and its
        collection cases share the borrower, so they are not the independent draws the tests
        assume: on a 200k book's out-of-time snapshots, Hosmer-Lemeshow's p with the simulator's
        true PDs was 0.017 on every snapshot and 0.48 on one per account."""
        if self.accounts is None:
            return None
        return earliest_per_account(self.accounts[rows], self.dates.to_numpy()[rows])

    def input_example(self) -> pd.DataFrame:
        return self.input_rows.head(EXAMPLE_ROWS)

    def inputs(self, rows: np.ndarray) -> pd.DataFrame:
        """The raw contract rows where the boolean mask ``rows`` is true."""
        if self.input_positions is None:
            return self.input_rows[rows]
        wanted = np.flatnonzero(rows)
        at = np.searchsorted(self.input_positions, wanted)
        if (at >= len(self.input_positions)).any() or (self.input_positions[at] != wanted).any():
            raise ValueError("rows must be among the input rows the sample holds (its out-of-time months)")
        return self.input_rows.iloc[at]


@dataclass
class FittedScorecard:
    model: ScorecardModel
    split: pd.Series
    bands: RiskBands
    scores: np.ndarray
    pds: np.ndarray
    calibration: Calibration = Calibration.identity()
    uncalibrated_pds: np.ndarray | None = None  # the fitted line's PDs, for the before/after table
    model_event: np.ndarray | None = None  # the sample's bad event, row-aligned


# Row positions of a sample -> a scorecard fitted on them. The plain fit is the config's model on
# those rows; the A card's reject inference adds inferred rejects to each fit (training.application).
FitRows = Callable[[np.ndarray], ScorecardModel]


def plain_fit(sample: ScorecardSample, config: ScorecardConfig) -> FitRows:
    def fit(rows: np.ndarray) -> ScorecardModel:
        return ScorecardModel.from_config(config).fit(sample.features.iloc[rows], sample.event[rows])

    return fit


def held_out_log_odds(sample: ScorecardSample, development: np.ndarray, fit_rows: FitRows,
                      folds: int, seed: int) -> np.ndarray:
    """Log-odds of bad of every development row from a scorecard refitted without its fold
    (binning, selection and fit, as ``fit_rows`` fits), so each row is scored as a new applicant
    would be."""
    rows = np.flatnonzero(development)
    fold = np.random.default_rng(seed).permutation(len(rows)) % folds
    out = np.empty(len(rows))
    for k in range(folds):
        card = fit_rows(rows[fold != k])
        out[fold == k] = card.compiled_.log_odds_frame(sample.features.iloc[rows[fold == k]])
    return out


def calibrate(sample: ScorecardSample, split: pd.Series, fit_rows: FitRows, cfg: CalibrationConfig,
              fitted: ScorecardModel) -> Calibration:
    """The calibration line (``scorecard.calibration``).

    The slope comes from held-out log-odds of the development months (k-fold refits). The
    level comes from every month with an observed outcome, the out-of-time months included:
    the long-run average default rate is taken over the longest history there is, the most
    recent months with it (as the EBA's PD guidelines ask), and the economy's cycle moves the
    default rate by month, so a window that leaves its last months out anchors the level to a
    part of the cycle. The out-of-time rows are scored by ``fitted``, which never saw them; the
    out-of-time discrimination (AUC, KS) stays untouched by the calibration.
    """
    if cfg.method == "none":
        return Calibration.identity()
    development = (split != "oot").to_numpy()
    z_development = held_out_log_odds(sample, development, fit_rows, cfg.folds, cfg.seed)
    z = np.empty(len(development))
    z[development] = z_development
    z[~development] = fitted.compiled_.log_odds_frame(sample.features[~development])
    level = np.ones(len(z), dtype=bool)
    level_sample = ("every month with an observed outcome: held-out log-odds of the development months, "
                    "the final fit's of the out-of-time months")
    if cfg.basis == "point_in_time":
        months = sample.dates.dt.to_period("M")
        recent = np.sort(months.unique())[-cfg.pit_months:]
        level = months.isin(recent).to_numpy()
        level_sample = (f"the last {cfg.pit_months} months with an observed outcome ({recent[0]} to {recent[-1]}), "
                        "out-of-sample log-odds")
    return fit_calibration(z_development, sample.event[development], z[level], sample.event[level], cfg.method,
                           cfg.basis, slope_sample=f"held-out ({cfg.folds}-fold) log-odds of every development month",
                           level_sample=level_sample, heterogeneity=cfg.heterogeneity, alpha=cfg.alpha)


def fit_scorecard(sample: ScorecardSample, config: ScorecardConfig, split_config: SplitConfig,
                  bands: RiskBands | None = None, calibration: CalibrationConfig | None = None,
                  fit_rows: FitRows | None = None) -> FittedScorecard:
    """Fit on the training months; calibrate the PDs on held-out log-odds of the development
    months; score every row with the calibrated scorecard. The classes' development bad rates
    are recorded for the validator; the PDs the policy uses come from the master scale.
    ``fit_rows`` fits the card and each calibration refit (default ``plain_fit``); whatever it
    adds to a fit, everything judged here stays on the sample's own rows."""
    fit_rows = fit_rows or plain_fit(sample, config)
    split = split_by_month(sample.dates, split_config)
    train = (split == "train").to_numpy()
    log.info("fitting scorecard on %d training rows (%d candidates)", train.sum(), len(config.features))
    model = fit_rows(np.flatnonzero(train))
    uncalibrated = model.predict_pd(sample.features)
    line = calibrate(sample, split, fit_rows, calibration or CalibrationConfig.model_validate({}), model)
    if line.method != "none":
        model.compiled_ = model.compiled_.calibrated(line)
        log.info("calibrated (%s, %s): intercept %.4f, slope %.4f, heterogeneity %.3f (LR %.1f)", line.method,
                 line.basis, line.intercept, line.slope, line.heterogeneity, line.heterogeneity_lr)
    scores = model.predict_score(sample.features)
    development = (split != "oot").to_numpy()
    bands = (bands or RiskBands.default()).with_pds(sample.event[development], scores[development])
    return FittedScorecard(model, split, bands, scores, model.predict_pd(sample.features), line, uncalibrated,
                           sample.event)


def split_data(sample: ScorecardSample, split: pd.Series, pds: np.ndarray, scores: np.ndarray) -> dict[str, SplitData]:
    out = {}
    for name in ("train", "test", "oot"):
        mask = (split == name).to_numpy()
        oracle = sample.oracle_pd[mask] if sample.oracle_pd is not None else None
        out[name] = SplitData(y=sample.event[mask], pd=pds[mask], score=scores[mask], oracle_pd=oracle,
                              independent=sample.independent_rows(mask))
    return out


NOT_APPLICABLE = "—"


def bin_label(value: object) -> str:
    """A bin as a person reads it: a categorical bin's categories joined by commas
    (``catering, retail``); intervals, ``Special`` and ``Missing`` as optbinning writes them.

    optbinning holds a categorical bin as an array, which pandas 3 writes as
    ``<ArrowStringArray>[...]`` in a CSV cell.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray, pd.api.extensions.ExtensionArray, pd.Index)):
        return ", ".join(str(v) for v in value)
    return str(value)


def binning_artefacts(model: ScorecardModel) -> dict[str, pd.DataFrame]:
    """optbinning's binning table of every candidate, with readable bins, as logged."""
    tables = {}
    for name, table in model.binning_tables().items():
        flat = table.reset_index()
        tables[name] = flat.assign(Bin=flat["Bin"].map(bin_label))
    return tables


def readable_scorecard_table(model: ScorecardModel) -> pd.DataFrame:
    """The scorecard table as logged: categorical bins written as their categories."""
    table = cast(pd.DataFrame, model.scorecard_table_)
    table = table.assign(bin=table["bin"].map(bin_label))
    calibration = model.compiled_.calibration
    if calibration.method == "none":
        return table
    # The points scored are the calibrated ones (the compiled spec's); the fit's stay beside them.
    slope, share = model.compiled_.calibration_share(calibration)
    return table.assign(points_fitted=table["points"], points=slope * table["points"] + share)


def report_sections(model: ScorecardModel, inferred_rows: int = 0) -> list[tuple[str, str]]:
    """The validation report's tables of the model: selection, coefficients, scorecard.

    An undefined cell (the intercept's VIF, a variable dropped before VIF was computed) is a
    dash, not "NaN", which reads as a failed computation.
    """
    def table_html(frame: pd.DataFrame, digits: int) -> str:
        # pandas takes a %-format string for float_format; pandas-stubs list only the callable form.
        page: str = frame.to_html(index=False, float_format=f"%.{digits}f",  # type: ignore[call-overload]
                                  na_rep=NOT_APPLICABLE)
        return page

    # With reject inference (``inferred_rows`` > 0) the card is fitted on weighted rows, and
    # optbinning's counts are the weights' sums, each bin's cut to a whole number: the title says so.
    card_title = ("Scorecard" if not inferred_rows else
                  f"Scorecard (counts weighted: the booked rows and {inferred_rows:,} rows reject inference adds "
                  "for rejects, each at its weight, every bin's sum cut to a whole number; not the booked rows' "
                  "counts)")
    card = readable_scorecard_table(model)
    return [("Variable selection", table_html(model.selection_table_, 4)),
            ("Selection path (forward or stepwise entry, held-out criterion)", table_html(model.selection_path_, 5)),
            ("Coefficients (Wald statistics, VIF)", table_html(model.coef_table_, 4)),
            (card_title, table_html(card, 3))]


def log_scorecard_evidence(fitted: FittedScorecard, evaluation: EvaluationResult, model_name: str,
                           extra_sections: list[tuple[str, str]] | None = None, inferred_rows: int = 0) -> None:
    """Every table and plot a validator asks for, as artefacts of the active MLflow run."""
    model = fitted.model
    registry.log_artifact_frame(model.selection_table_, "selection/variable_selection.csv")
    registry.log_artifact_frame(model.selection_path_, "selection/selection_path.csv")
    registry.log_artifact_frame(model.coef_table_, "model/coefficients.csv")
    registry.log_artifact_frame(readable_scorecard_table(model), "model/scorecard_table.csv")
    scale = model.compiled_.scale
    bounds = [scale.max_score, *(b.min_score for b in fitted.bands.bands[:-1]), scale.min_score]
    registry.log_artifact_text(
        pd.DataFrame([{"class": b.name, "min_score": b.min_score, "pd": b.pd,
                       "pd_low": float(model.compiled_.pd_from_points(high)),
                       "pd_high": float(model.compiled_.pd_from_points(low))}
                      for b, high, low in zip(fitted.bands.bands, bounds[:-1], bounds[1:], strict=True)])
        .to_csv(index=False), "model/risk_classes.csv")
    log_calibration(fitted)
    with tempfile.TemporaryDirectory() as tmp:  # one upload for every candidate's table
        for name, table in binning_artefacts(model).items():
            table.to_csv(Path(tmp) / f"{name}.csv", index=False)
            (Path(tmp) / f"{name}.html").write_text(table.to_html(index=False, na_rep=NOT_APPLICABLE),
                                                    encoding="utf-8")
        registry.log_artifact_folder(Path(tmp), "binning")
    sections = [*report_sections(model, inferred_rows), *(extra_sections or [])]
    html = validation_report(evaluation, title=f"Validation report: {model_name}", sections=sections)
    registry.log_artifact_text(html, VALIDATION_REPORT)


def calibration_table(fitted: FittedScorecard) -> pd.DataFrame:
    """Per split: observed default rate against the mean PD before and after calibration."""
    rows = []
    for name in ("train", "test", "oot"):
        mask = (fitted.split == name).to_numpy()
        before = fitted.uncalibrated_pds[mask] if fitted.uncalibrated_pds is not None else fitted.pds[mask]
        rows.append({"split": name, "n": int(mask.sum()), "default_rate": float(fitted.model_event[mask].mean())
                     if fitted.model_event is not None else float("nan"),
                     "mean_pd_fitted": float(before.mean()), "mean_pd_calibrated": float(fitted.pds[mask].mean())})
    return pd.DataFrame(rows)


def log_calibration(fitted: FittedScorecard) -> None:
    """The calibration line, its basis (point in time or through the cycle) and its effect."""
    line = fitted.calibration
    registry.set_tags({"calibration.method": line.method, "calibration.basis": line.basis})
    registry.log_params({"calibration.intercept": f"{line.intercept:.6f}", "calibration.slope": f"{line.slope:.6f}",
                         "calibration.sigma": f"{line.heterogeneity:.6f}",
                         "calibration.sigma_lr": f"{line.heterogeneity_lr:.3f}"})
    registry.log_artifact_text(json.dumps(line.to_dict(), indent=1), "model/calibration.json")
    registry.log_artifact_frame(calibration_table(fitted), "model/calibration_table.csv")


def register_scorecard(fitted: FittedScorecard, sample: ScorecardSample, model_name: str, input_table: str,
                       metrics: dict[str, float], data: DataRecord, bank: BankGates,
                       oot_independent: np.ndarray | None = None) -> Registration:
    """Log the compiled spec as a pyfunc model and register it, judged by the bank's gates and
    compared with the champion on the out-of-time rows (``training.governance``), Hosmer-Lemeshow
    and Jeffreys on the rows the run's own evaluation counted (``oot_independent``)."""
    spec = make_spec("scorecard", input_table, fitted.model.compiled_.to_spec(), fitted.bands)
    registry.log_artifact_text(json.dumps(spec, ensure_ascii=False, indent=1), "model/compiled_spec.json")
    oot = (fitted.split == "oot").to_numpy()
    return register_with_governance(model_name, spec, sample.input_example(), metrics,
                                    sample.inputs(oot), sample.event[oot], data, bank, oot_independent)


def split_frames(sample: ScorecardSample, split: pd.Series) -> dict[str, pd.DataFrame]:
    """Each split's features with the bad event (1 = bad): the run's input datasets."""
    return {name: sample.features[(split == name).to_numpy()].assign(event=sample.event[(split == name).to_numpy()])
            for name in SPLITS}


def log_quality_reports(paths: list[Path]) -> None:
    """The data-quality reports the run was allowed to start on, under ``quality/``."""
    for path in paths:
        registry.log_artifact_file(path, "quality")


def html_reports(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.suffix == ".html"]


def training_result(kind: str, model_name: str, run_id: str, metrics: dict[str, float], registration: Registration,
                    quality_reports: list[Path], validation_report: str,
                    related: list[TrainingResult] | None = None) -> TrainingResult:
    return TrainingResult(kind, model_name, run_id, registration.version, metrics, gates=registration.gates,
                          comparison=registration.comparison, quality_reports=html_reports(quality_reports),
                          validation_report=validation_report, related=related or [])


def train_and_register(kind: str, cfg: ScorecardPipelineConfig, sample: ScorecardSample, input_table: str,
                       quality_reports: list[Path], data_hash: str,
                       challenger_pd: Callable[[FittedScorecard], tuple[np.ndarray, TrainingResult]] | None = None,
                       bands: RiskBands | None = None, fit_rows: FitRows | None = None,
                       extra_evidence: Callable[[FittedScorecard], tuple[dict[str, float], dict[str, object]]]
                       | None = None, data_dir: Path | None = None, gates: BankGates | None = None) -> TrainingResult:
    """Fit, evaluate on train/test/OOT, log every artefact, register (as ``challenger`` when the
    bank's gates pass).

    ``challenger_pd`` (A card) fits a challenger on the same training rows and returns its
    PD for every row and its own training result; both models are then reported side by side.
    ``fit_rows``: how the card is fitted (``fit_scorecard``); ``extra_evidence``: more metrics
    and params for the run, from the fitted card (the A card's through-the-door measurement).
    ``data_dir``: where the data came from (the run's input datasets name it); ``gates``: the
    bank's gates (default ``registry.gates.load_gates()``, read before anything is fitted).
    """
    bank = gates or load_gates()
    bank.for_model(cfg.model_name)  # a model the bank has no gates for fails now, not after the fit
    fitted = fit_scorecard(sample, cfg.scorecard, cfg.split, bands, cfg.calibration, fit_rows)
    evaluation = evaluate_splits(split_data(sample, fitted.split, fitted.pds, fitted.scores), bands=fitted.bands)
    metrics = dict(evaluation.metrics)
    extra_params: dict[str, object] = {}
    if extra_evidence is not None:
        extra_metrics, extra_params = extra_evidence(fitted)
        metrics.update(extra_metrics)
    sections: list[tuple[str, str]] = []
    related: list[TrainingResult] = []
    if challenger_pd is not None:
        other_pd, other_result = challenger_pd(fitted)
        related.append(other_result)
        other = evaluate_splits(split_data(sample, fitted.split, other_pd, cfg.scorecard.scale.to_points(other_pd)),
                                bands=fitted.bands)
        metrics.update({f"challenger_{k}": v for k, v in other.metrics.items() if k.endswith("_auc")})
        table = pd.DataFrame([{"sample": s, "scorecard AUC": metrics[f"{s}_auc"],
                               "LightGBM AUC": other.metrics[f"{s}_auc"]} for s in ("train", "test", "oot")])
        sections.append(("Champion (scorecard) vs challenger (LightGBM)", table.to_html(index=False)))
    # The gates' verdicts in the validation report too: the figure each judged (the Hosmer-Lemeshow
    # gate's shape p-value where the gates relevel it) is not always one of the report's tables.
    # The same judgement registration makes (``governance.judge``) on the same metrics.
    verdicts = pd.DataFrame([{"gate": r.gate, "verdict": "pass" if r.passed else "FAIL", "what was judged": r.detail}
                             for r in judge(cfg.model_name, metrics, bank).results])
    sections.append(("Promotion gates: each verdict on this run", verdicts.to_html(index=False)))
    data = DataRecord(data_hash, {s: int((fitted.split == s).sum()) for s in SPLITS})
    with registry.training_run(kind, registry.run_name(f"{kind} scorecard", data.total, data_hash)) as run_id:
        registry.log_params({**flatten("", cfg), "data.hash": data_hash,
                             **{f"rows.{s}": n for s, n in data.rows.items()}, **extra_params})
        registry.log_metrics(metrics)
        log_datasets(split_frames(sample, fitted.split), cfg.model_name, data_dir or "unknown", "event",
                     data_fingerprint)
        log_quality_reports(quality_reports)
        log_scorecard_evidence(fitted, evaluation, cfg.model_name, sections,
                               int(str(extra_params.get("reject_inference.rows", 0))))
        registration = register_scorecard(fitted, sample, cfg.model_name, input_table, metrics, data, bank,
                                          evaluation.splits["oot"].independent)
        report = registry.artifact_location(VALIDATION_REPORT)
    log.info("%s v%s: oot_auc %.4f", cfg.model_name, registration.version, metrics["oot_auc"])
    return training_result(kind, cfg.model_name, run_id, metrics, registration, quality_reports, report, related)
