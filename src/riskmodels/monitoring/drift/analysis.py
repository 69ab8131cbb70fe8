"""Drift and back-testing of a registered scorecard: the monthly report validators open.

    result = run_drift("sme-application-scorecard@champion", Path("dev/"), Path("new/"))

Score PSI is counted on the development (baseline) sample's fixed score bins, the credit
convention, and CSI on each characteristic's own scorecard bins; then missing-value and
special-code shares, the class distribution (or the migration matrix when the same rows are
scored in both samples), PSI by month, and back-testing when outcomes are known. Every check has
a status from the typed thresholds (``drift_config``); the overall status is the worst of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from riskmodels import registry
from riskmodels.contract import table as contract_table
from riskmodels.evaluation import EvaluationResult, calibration, metrics
from riskmodels.models.specs import ScorecardScorer, scorer_from_spec
from riskmodels.monitoring.drift import bins as drift_bins
from riskmodels.monitoring.drift.backtest import backtest, development_values
from riskmodels.monitoring.drift.checks import Check, Skipped, banded
from riskmodels.monitoring.drift.data import ScoredSample, load_sample, row_keys, score_sample
from riskmodels.monitoring.drift.thresholds import DriftThresholds, Status, load_thresholds, worst
from riskmodels.monitoring.drift.views import ValidatorViews, validator_views
from riskmodels.reporting.text import Bilingual


@dataclass(frozen=True)
class DriftResult:
    model: registry.RegisteredVersion
    baseline: ScoredSample
    current: ScoredSample
    class_order: list[str]
    checks: list[Check]
    skipped: list[Skipped]
    score_psi: metrics.StabilityResult
    csi: dict[str, metrics.StabilityResult]
    data_changes: pd.DataFrame  # characteristic, missing and special shares in both samples
    class_shift: metrics.StabilityResult
    migration: pd.DataFrame | None  # baseline class (rows) x current class (columns), counts
    monthly: pd.DataFrame  # month, n, psi, judged, status
    backtest: EvaluationResult | None
    views: ValidatorViews  # characteristic analysis, score by month, gains, PSI intervals
    development: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def overall(self) -> Status:
        return worst([c.status for c in self.checks])

    def summary(self) -> dict[str, Any]:
        """The JSON summary: model, samples, overall status and every check."""
        counts = {s: sum(c.status == s for c in self.checks) for s in ("green", "amber", "red")}
        return {"model": {"name": self.model.name, "version": self.model.version, "run_id": self.model.run_id},
                "baseline": {"source": self.baseline.sample.source, "rows": len(self.baseline.score),
                             "rows_with_outcome": self.baseline.sample.n_outcomes},
                "current": {"source": self.current.sample.source, "rows": len(self.current.score),
                            "rows_with_outcome": self.current.sample.n_outcomes},
                "overall": self.overall, "counts": counts,
                "checks": [c.to_dict() for c in self.checks],
                "skipped": [{"name": s.name, "reason": s.reason, "reason_zh": s.reason_zh} for s in self.skipped],
                **self.views.summary()}


def _stability(base: ScoredSample, now: ScoredSample, features: list[Mapping[str, Any]],
               t: DriftThresholds) -> tuple[metrics.StabilityResult, dict[str, metrics.StabilityResult], list[Check]]:
    score = metrics.psi(base.score, now.score, t.score_bins)
    checks = [banded("score_psi", "stability", score.total, t.score_psi,
                     Bilingual(f"在基准样本固定的 {len(score.table)} 个分数分箱上计算的分数 PSI",
                               f"score PSI on the baseline's {len(score.table)} fixed score bins"))]
    csi = {}
    for f in features:
        name, order = str(f["name"]), drift_bins.bin_order(f)
        csi[name] = metrics.csi(drift_bins.bin_labels(f, base.features[name]),
                                drift_bins.bin_labels(f, now.features[name]), order)
        top = csi[name].table.sort_values("psi", ascending=False).iloc[0]
        shares = f"{top['expected_share']:.1%} -> {top['actual_share']:.1%}"
        checks.append(banded(f"csi.{name}", "stability", csi[name].total, t.csi, Bilingual(
            f"基于评分卡的 {len(order)} 个分箱；变化最大的分箱为 {top['bin']}（{shares}）",
            f"on the scorecard's {len(order)} bins; largest shift in {top['bin']} ({shares})")))
    return score, csi, checks


def _data_changes(base: ScoredSample, now: ScoredSample, features: list[Mapping[str, Any]], input_table: str,
                  t: DriftThresholds) -> tuple[pd.DataFrame, list[Check]]:
    rows, checks = [], []
    for f in features:
        name = str(f["name"])
        m0, m1 = drift_bins.missing_share(base.features[name]), drift_bins.missing_share(now.features[name])
        s0, s1 = drift_bins.special_share(f, base.features[name]), drift_bins.special_share(f, now.features[name])
        rows.append({"characteristic": name, "baseline_missing": m0, "current_missing": m1,
                     "baseline_special": s0, "current_special": s1})
        checks.append(banded(f"missing_rate.{name}", "data", abs(m1 - m0), t.missing_rate_change,
                             Bilingual(f"缺失率 {m0:.1%} -> {m1:.1%}", f"missing {m0:.1%} -> {m1:.1%}")))
        if s0 is not None and s1 is not None:
            checks.append(banded(f"special_codes.{name}", "data", abs(s1 - s0), t.special_code_change,
                                 Bilingual(f"特殊值占比 {s0:.1%} -> {s1:.1%}", f"special codes {s0:.1%} -> {s1:.1%}")))
    # The contract's special codes of raw columns too, for those no characteristic carries.
    for column in contract_table(input_table).columns:
        if not column.special_codes or f"special_codes.{column.name}" in {c.name for c in checks}:
            continue
        codes = list(column.special_codes)
        s0, s1 = (float(x.sample.rows[column.name].isin(codes).mean()) for x in (base, now))
        rows.append({"characteristic": f"{column.name} (raw input)", "baseline_missing": None,
                     "current_missing": None, "baseline_special": s0, "current_special": s1})
        checks.append(banded(f"special_codes.{column.name}", "data", abs(s1 - s0), t.special_code_change,
                             Bilingual(f"原始输入特殊值 {codes} 占比 {s0:.1%} -> {s1:.1%}",
                                       f"raw input special codes {codes} {s0:.1%} -> {s1:.1%}")))
    return pd.DataFrame(rows), checks


def _classes(base: ScoredSample, now: ScoredSample, order: list[str], key: list[str],
             t: DriftThresholds) -> tuple[metrics.StabilityResult, pd.DataFrame | None, list[Check], list[Skipped]]:
    shift = metrics.csi(base.classes, now.classes, order)
    checks = [banded("class_distribution_psi", "classes", shift.total, t.class_distribution_psi,
                     Bilingual("风险等级占比的 PSI", "PSI of the risk-class shares")),
              banded("herfindahl", "classes", calibration.herfindahl(now.classes), t.herfindahl, Bilingual(
                  f"当前样本等级集中度（基准 {calibration.herfindahl(base.classes):.3f}；均匀分布为 1/{len(order)}）",
                  f"concentration of the current classes (baseline "
                  f"{calibration.herfindahl(base.classes):.3f}; 1/{len(order)} = even)"))]
    left = pd.DataFrame({"key": row_keys(base, key), "baseline": base.classes})
    right = pd.DataFrame({"key": row_keys(now, key), "current": now.classes})
    matched = left.drop_duplicates("key").merge(right.drop_duplicates("key"), on="key", how="inner")
    overlap = len(matched) / len(right)
    if overlap < t.migration_min_overlap:
        return shift, None, checks, [Skipped.of("class_migration", Bilingual(
            f"当前样本中仅 {overlap:.1%} 的记录也在基准样本中（{'+'.join(key)} 与日期相同）；迁移矩阵需要 "
            f"{t.migration_min_overlap:.0%}",
            f"{overlap:.1%} of the current rows are in the baseline (same {'+'.join(key)} and date); the "
            f"migration matrix needs {t.migration_min_overlap:.0%}"))]
    matrix = pd.crosstab(pd.Categorical(matched["baseline"], order), pd.Categorical(matched["current"], order),
                         dropna=False).rename_axis(index="baseline class", columns="current class")
    moved = 1.0 - float(np.trace(matrix.to_numpy())) / len(matched)
    rank = {c: i for i, c in enumerate(order)}
    far = float(np.mean(np.abs(matched["baseline"].map(rank) - matched["current"].map(rank)) >= 2))
    checks.append(banded("class_migration", "classes", moved, t.class_migration,
                         Bilingual(f"{len(matched):,} 笔记录在两个样本中均有评分；{moved:.1%} 等级发生变化，"
                                   f"{far:.1%} 变化两级及以上",
                                   f"{len(matched):,} rows scored in both samples; {moved:.1%} changed class, "
                                   f"{far:.1%} by two classes or more")))
    return shift, matrix, checks, []


def _monthly(base: ScoredSample, now: ScoredSample, edges: np.ndarray | None,
             t: DriftThresholds) -> tuple[pd.DataFrame, list[Check], list[Skipped]]:
    dates = now.sample.dates
    if dates is None or dates.dt.to_period("M").nunique() < 2:
        return pd.DataFrame(columns=["month", "n", "psi", "judged", "status"]), [], [
            Skipped.of("monthly_psi", Bilingual("当前样本跨度不足两个月",
                                                "the current sample does not span two months or more"))]
    months = dates.dt.to_period("M").to_numpy()
    rows = []
    for month in sorted(set(months)):
        mask = months == month
        value = metrics.psi(base.score, now.score[mask], edges if edges is not None else t.score_bins).total
        enough = int(mask.sum()) >= t.min_rows_per_month
        rows.append({"month": str(month), "n": int(mask.sum()), "psi": value, "judged": enough,
                     "status": t.monthly_psi.status(value) if enough else "not judged"})
    table = pd.DataFrame(rows)
    judged = table[table["judged"]]
    if judged.empty:
        return table, [], [Skipped.of("monthly_psi", Bilingual(f"没有任何月份的样本数达到 {t.min_rows_per_month:,}",
                                                               f"no month has {t.min_rows_per_month:,} rows or more"))]
    # idxmax gives a label of the frame's RangeIndex, so .loc gives that one row (a Series).
    top = cast("pd.Series[Any]", judged.loc[cast(int, judged["psi"].idxmax())])
    worst_month, n = top.loc["month"], int(top.loc["n"])
    return table, [banded("monthly_psi", "stability", float(top.loc["psi"]), t.monthly_psi, Bilingual(
        f"{len(judged)} 个月中最差的月份：{worst_month}（样本数 {n:,}）",
        f"worst of {len(judged)} months: {worst_month} (n={n:,})"))], []


def _scorecard(spec: Mapping[str, Any]) -> ScorecardScorer:
    scorer = scorer_from_spec(dict(spec))
    if not isinstance(scorer, ScorecardScorer):
        raise ValueError(f"model must be a scorecard (PSI, CSI on its bins); got model_type {spec.get('model_type')!r}")
    return scorer


def compute_drift(version: registry.RegisteredVersion, spec: Mapping[str, Any], baseline: ScoredSample,
                  current: ScoredSample, thresholds: DriftThresholds) -> DriftResult:
    """Every check on two already scored samples."""
    scorer = _scorecard(spec)
    features = list(spec["model"]["features"])
    order = list(scorer.bands.names)
    key = list(contract_table(spec["input_table"]).key)
    score, csi, checks = _stability(baseline, current, features, thresholds)
    changes, data_checks = _data_changes(baseline, current, features, spec["input_table"], thresholds)
    shift, matrix, class_checks, skipped = _classes(baseline, current, order, key, thresholds)
    monthly, month_checks, month_skipped = _monthly(baseline, current, score.edges, thresholds)
    result, back_checks, back_skipped = backtest(baseline, current, scorer.bands, thresholds, version.metrics)
    return DriftResult(version, baseline, current, order,
                       [*checks, *month_checks, *data_checks, *class_checks, *back_checks],
                       [*skipped, *month_skipped, *back_skipped], score, csi, changes, shift, matrix,
                       monthly, result, validator_views(features, baseline, current, score, csi),
                       development_values(version.metrics))


def run_drift(model: str, baseline: Path, current: Path, thresholds: DriftThresholds | None = None) -> DriftResult:
    """Load the registered scorecard (``NAME``, ``NAME@alias`` or ``NAME:VERSION``), read and
    score both samples, and run every check. ``registry.ModelNotFound`` for an unknown model."""
    ref = registry.parse_model_ref(model)
    spec, version = registry.load_spec(ref.name, ref.version_or_alias)
    params = registry.run_params(version.run_id) if version.run_id else {}
    target, date_column = params.get("target"), params.get("date_column")
    scorer = _scorecard(spec)
    samples = [score_sample(load_sample(name, path, spec["input_table"], target, date_column), scorer)
               for name, path in (("baseline", baseline), ("current", current))]
    return compute_drift(version, spec, samples[0], samples[1], thresholds or load_thresholds())
