"""Back-testing: the model on outcomes it never saw, against its development values.

Every statistic is the evaluation package's (``evaluate_splits``): AUC, Gini, KS, DeLong's
one-sided drop test against the development value, Hosmer-Lemeshow on the current sample as an
independent one, Jeffreys and exact binomial tests per class, bad rate by class, Herfindahl.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from scipy import stats

from riskmodels.evaluation import EvaluationResult, SplitData, earliest_per_account, evaluate_splits, metrics
from riskmodels.evaluation.report import counted_rows
from riskmodels.monitoring.drift.checks import Check, Skipped, banded
from riskmodels.monitoring.drift.data import ScoredSample
from riskmodels.monitoring.drift.thresholds import DriftThresholds
from riskmodels.policy.risk_classes import RiskBands
from riskmodels.reporting.text import Bilingual


def _split(scored: ScoredSample) -> SplitData | None:
    sample = scored.sample
    seen = np.isfinite(sample.outcome)
    y = sample.outcome[seen]
    if len(np.unique(y)) < 2:
        return None
    # An account's rows (a B card's snapshots, a C card's cases) count once in the calibration and
    # class tests, as in the run's own evaluation: its earliest row with an outcome.
    independent = None
    if sample.account_column is not None and sample.dates is not None:
        independent = earliest_per_account(sample.rows[sample.account_column].to_numpy()[seen],
                                           sample.dates.to_numpy()[seen])
    return SplitData(y=y, pd=scored.pd[seen], score=scored.score[seen], independent=independent)


# The development value the drop is measured from: the run's out-of-sample (test) split.
REFERENCE_SPLIT = "test"


def _reference(recorded: Mapping[str, float],
               result: EvaluationResult) -> tuple[Bilingual, float, float, float] | None:
    """(where from, AUC, its DeLong SE, KS) of the development reference, or None."""
    names = [f"{REFERENCE_SPLIT}_{m}" for m in ("auc", "auc_se", "ks")]
    if all(n in recorded for n in names):
        auc, se, ks = (float(recorded[n]) for n in names)
        return Bilingual(f"训练记录的 {REFERENCE_SPLIT} 样本", f"the training run's {REFERENCE_SPLIT} split"), auc, se, ks
    if "baseline" in result.details:
        b = result.details["baseline"]
        return Bilingual("基准样本", "the baseline sample"), b.auc.auc, b.auc.se, b.ks.statistic
    return None


def _drop(auc_dev: float, se_dev: float, current: metrics.AucConfidence) -> metrics.AucDropTest:
    """DeLong's drop test between independent samples (``metrics.auc_drop_test``), from the
    development AUC and standard error as recorded rather than from its rows."""
    diff, se = auc_dev - current.auc, math.hypot(se_dev, current.se)
    z = diff / se if se > 0 else 0.0
    return metrics.AucDropTest(auc_dev, current.auc, float(z), float(stats.norm.sf(z)))


def backtest(baseline: ScoredSample, current: ScoredSample, bands: RiskBands,
             thresholds: DriftThresholds, recorded: Mapping[str, float]) -> tuple[EvaluationResult | None, list[Check], list[Skipped]]:
    """The back-testing checks, or why they could not run."""
    n = current.sample.n_outcomes
    if n < thresholds.min_outcomes:
        return None, [], [Skipped.of("backtest", Bilingual(
            f"当前样本仅有 {n:,} 笔有表现结果的记录；回溯测试至少需要 {thresholds.min_outcomes:,} 笔",
            f"the current sample has {n:,} rows with outcomes; back-testing needs at least "
            f"{thresholds.min_outcomes:,}"))]
    now = _split(current)
    if now is None:
        return None, [], [Skipped.of("backtest", Bilingual("当前样本的表现结果只有一类",
                                                           "the current sample's outcomes hold only one class"))]
    base = _split(baseline) if baseline.sample.n_outcomes >= thresholds.min_outcomes else None
    splits = {"baseline": base, "current": now} if base is not None else {"current": now}
    result = evaluate_splits(splits, bands=bands, baseline="baseline", psi_bins=thresholds.score_bins,
                             alpha=thresholds.class_test_alpha)
    e = result.details["current"]
    checks, skipped = [], []
    reference = _reference(recorded, result)
    if reference is not None:
        where, auc_dev, se_dev, ks_dev = reference
        drop = _drop(auc_dev, se_dev, e.auc)
        gini = f"Gini {2 * drop.auc_new - 1:.4f}"
        checks.append(banded("backtest.auc_drop", "backtest", drop.p_value, thresholds.auc_drop_pvalue, Bilingual(
            f"AUC {drop.auc_new:.4f}，{where.zh}为 {auc_dev:.4f}（{gini}，对比 {2 * auc_dev - 1:.4f}）；"
            f"DeLong 单侧下降检验 p 值（z {drop.z:.2f}）",
            f"AUC {drop.auc_new:.4f} against {auc_dev:.4f} on {where.en} ({gini} against "
            f"{2 * auc_dev - 1:.4f}); one-sided DeLong p-value of a drop (z {drop.z:.2f})")))
        relative = (ks_dev - e.ks.statistic) / ks_dev if ks_dev > 0 else 0.0
        checks.append(banded("backtest.ks_drop", "backtest", relative, thresholds.ks_relative_drop, Bilingual(
            f"KS {e.ks.statistic:.4f}，{where.zh}为 {ks_dev:.4f}（相对下降 {relative:.1%}）",
            f"KS {e.ks.statistic:.4f} against {ks_dev:.4f} on {where.en} (relative drop {relative:.1%})")))
    else:
        skipped.append(Skipped.of("backtest.auc_drop", Bilingual(
            "无开发期 AUC：训练记录中没有，基准样本的表现结果也不足",
            "no development AUC: the run recorded none and the baseline sample has too few outcomes")))
    hl = e.hosmer_lemeshow
    rows = counted_rows(e)
    counted = Bilingual(f"；{rows.zh}", f"; {rows.en}") if rows is not None else Bilingual("", "")
    checks.append(banded("backtest.hosmer_lemeshow", "backtest", hl.p_value, thresholds.hosmer_lemeshow_pvalue,
                         Bilingual(f"统计量 {hl.statistic:.2f}，自由度 {hl.dof}，共 {hl.groups} 个 PD 分组{counted.zh}",
                                   f"statistic {hl.statistic:.2f} on {hl.dof} dof over {hl.groups} PD groups{counted.en}")))
    for name, test, band in (("jeffreys", e.jeffreys, thresholds.jeffreys_failures),
                             ("binomial", e.binomial, thresholds.binomial_failures)):
        failed = ", ".join(str(c) for c in test.failures)
        checks.append(banded(f"backtest.{name}", "backtest", len(test.failures), band, Bilingual(
            f"在显著性水平 {test.alpha} 下 PD 疑似低估的等级：{failed or '无'}{counted.zh}",
            f"classes whose PD looks underestimated at alpha {test.alpha}: {failed or 'none'}{counted.en}")))
    monotone = e.bad_rates.monotone
    pairs = "; ".join(f"{a} -> {b}" for a, b in e.bad_rates.violations)
    detail = (Bilingual("坏账率从最优等级到最差等级递增（噪声范围内的逆转除外）",
                        "bad rate rises from the best class to the worst, reversals within noise aside")
              if monotone else Bilingual(f"坏账率在以下等级之间显著下降：{pairs}",
                                         f"bad rate falls significantly between {pairs}"))
    checks.append(Check("backtest.class_monotone", "backtest", "green" if monotone else thresholds.not_monotone,
                        float(monotone), None, None, detail.en, detail.zh))
    return result, checks, skipped


def development_values(metrics: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """The training run's AUC, Gini and KS per split, as recorded in MLflow."""
    out: dict[str, dict[str, float]] = {}
    for split in ("train", "test", "oot"):
        values = {m: metrics[f"{split}_{m}"] for m in ("auc", "gini", "ks", "bad_rate", "n")
                  if f"{split}_{m}" in metrics}
        if values:
            out[split] = values
    return out
