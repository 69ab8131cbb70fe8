"""Evaluate a model on its samples once (metrics named for MLflow), and write the validation
report validators read: one self-contained HTML page with inline CSS and embedded plots, in
Chinese and English, from the template ``validation_report.html.j2`` (``riskmodels.reporting``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from markupsafe import Markup
from numpy.typing import ArrayLike

from riskmodels.evaluation import calibration, metrics, plots
from riskmodels.evaluation._checks import as_1d, check_lengths
from riskmodels.evaluation.metrics import AucDropTest, StabilityResult  # EvaluationResult.metrics hides the module
from riskmodels.reporting import (
    Badge,
    Bilingual,
    Block,
    Figure,
    Figures,
    Heading,
    Html,
    Label,
    Section,
    Table,
    Text,
    pct,
    render,
    style,
)

# Risk classes by score, best first: (label, lowest score of the class). Higher score = safer.
DEFAULT_BANDS: tuple[tuple[str, float], ...] = (("A", 80.0), ("B", 70.0), ("C", 60.0), ("D", -math.inf))
ClassesFn = Callable[[np.ndarray], ArrayLike]
TEMPLATE = "validation_report.html.j2"
TITLE = "Validation report"


@runtime_checkable
class BandsLike(Protocol):
    """Anything that assigns classes and lists them best first (e.g. ``risk_classes.RiskBands``)."""

    @property
    def names(self) -> list[str]: ...

    def assign(self, scores: np.ndarray) -> np.ndarray: ...


def assign_bands(score: ArrayLike, bands: Sequence[tuple[str, float]] = DEFAULT_BANDS) -> np.ndarray:
    """Each score's class: the first band (best first) whose lowest score it reaches; the last
    band also takes anything below its own minimum."""
    s = as_1d(score, "score")
    mins = [float(m) for _, m in bands]
    if not bands or mins != sorted(mins, reverse=True):
        raise ValueError(f"bands must run from best to worst with falling minimum scores; got {list(bands)}")
    if np.isnan(s).any():
        raise ValueError(f"score has {int(np.isnan(s).sum())} missing values; every row needs a class")
    out = np.full(s.shape, bands[-1][0], dtype=object)
    for label, low in reversed(bands[:-1]):
        out[s >= low] = label
    return out


def earliest_per_account(accounts: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """A boolean mask of each account's earliest row (the first of equal dates in row order): the
    rows the calibration and class tests count where an account has several (``SplitData.independent``)."""
    if len(accounts) != len(dates):
        raise ValueError(f"accounts and dates must have one value per row; got {len(accounts)} and {len(dates)}")
    order = np.lexsort((dates, accounts))  # stable: equal dates keep their row order
    first = order[np.r_[True, accounts[order][1:] != accounts[order][:-1]]] if len(order) else order
    out = np.zeros(len(accounts), dtype=bool)
    out[first] = True
    return out


@dataclass(frozen=True)
class SplitData:
    y: np.ndarray  # 1 = bad
    pd: np.ndarray  # probability of bad
    score: np.ndarray  # points, higher = safer
    oracle_pd: np.ndarray | None = None  # the true probability, when known (simulated data)
    # The rows the calibration and class tests may count as independent draws (a boolean mask):
    # one row per account where an account has several (a B card's months, a C card's cases;
    # ``earliest_per_account``). None: every row.
    independent: np.ndarray | None = None

    def __post_init__(self) -> None:
        # Positional arrays: a pandas index must not realign rows between y, pd and score.
        for name in ("y", "pd", "score", "oracle_pd"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, as_1d(getattr(self, name), name))
        arrays = {"y": self.y, "pd": self.pd, "score": self.score}
        check_lengths(**arrays, **({"oracle_pd": self.oracle_pd} if self.oracle_pd is not None else {}))
        if self.independent is not None:
            mask = np.asarray(self.independent)
            if mask.dtype != bool or mask.shape != self.y.shape:
                raise ValueError(f"independent must be a boolean mask of the {len(self.y)} rows; got dtype "
                                 f"{mask.dtype}, shape {mask.shape}")
            object.__setattr__(self, "independent", mask)

    def counted(self, values: np.ndarray) -> np.ndarray:
        """``values`` (one per row) on the rows the tests that assume independent draws count:
        Hosmer-Lemeshow, Jeffreys, the binomial test and the class order's Fisher test."""
        return values if self.independent is None else values[self.independent]


@dataclass(frozen=True)
class SplitEvaluation:
    n: int
    bad_rate: float
    mean_pd: float
    auc: metrics.AucConfidence
    ks: metrics.KSResult
    hosmer_lemeshow: calibration.HosmerLemeshowResult
    hosmer_lemeshow_shape: calibration.HosmerLemeshowResult  # the level set to the sample's (relevel)
    jeffreys: calibration.ClassTestResult
    binomial: calibration.ClassTestResult
    bad_rates: calibration.BadRateByClass
    herfindahl: float
    oracle_auc: float | None
    # The rows the calibration and class tests counted, when not every row (SplitData.independent);
    # n, AUC, KS, the mean PD and the Herfindahl index read every row.
    calibration_rows: int | None = None


@dataclass(frozen=True)
class EvaluationResult:
    metrics: dict[str, float]  # flat, ``{split}_{metric}``: ready for mlflow.log_metrics
    splits: dict[str, SplitData]
    details: dict[str, SplitEvaluation]
    stability: dict[str, StabilityResult]  # score PSI from the baseline to each other split
    auc_drops: dict[str, AucDropTest]  # AUC drop from the baseline to each other split
    class_order: tuple[object, ...]  # best to worst
    baseline: str | None


def _classifier(classes_fn: ClassesFn | Sequence[tuple[str, float]] | BandsLike | None,
                bands: Sequence[tuple[str, float]] | BandsLike | None) -> tuple[ClassesFn, list[object] | None]:
    if classes_fn is not None and bands is not None:
        raise ValueError("give the risk classes once: classes_fn or bands, not both")
    spec = classes_fn if classes_fn is not None else bands
    if spec is None:
        spec = DEFAULT_BANDS
    if isinstance(spec, BandsLike):
        return spec.assign, list(spec.names)
    if callable(spec):
        return spec, None
    band_list = [(label, float(low)) for label, low in spec]
    return (lambda s: assign_bands(s, band_list)), [label for label, _ in band_list]


def _order_by_score(classes: Mapping[str, np.ndarray], splits: Mapping[str, SplitData]) -> list[object]:
    """Best class first = highest mean score, when the caller's classifier gives no order."""
    frame = pd.DataFrame({"cls": np.concatenate([classes[k] for k in splits]),
                          "score": np.concatenate([splits[k].score for k in splits])})
    return frame.groupby("cls", sort=False)["score"].mean().sort_values(ascending=False).index.tolist()


def _evaluate_one(s: SplitData, cls: np.ndarray, order: list[object], external: bool,
                  alpha: float) -> SplitEvaluation:
    oracle = metrics.auc(s.y, s.oracle_pd) if s.oracle_pd is not None else None
    y, pd_, classes = s.counted(s.y), s.counted(s.pd), s.counted(cls)
    return SplitEvaluation(
        n=len(s.y), bad_rate=float(np.mean(s.y)), mean_pd=float(np.mean(s.pd)), auc=metrics.auc_confidence(s.y, s.pd), ks=metrics.ks(s.y, s.pd),
        hosmer_lemeshow=calibration.hosmer_lemeshow(y, pd_, external=external),
        hosmer_lemeshow_shape=calibration.hosmer_lemeshow(y, pd_, external=external, relevel=True),
        jeffreys=calibration.jeffreys_test(y, pd_, classes, order, alpha),
        binomial=calibration.binomial_test(y, pd_, classes, order, alpha),
        bad_rates=calibration.bad_rate_by_class(y, classes, order),
        herfindahl=calibration.herfindahl(cls), oracle_auc=oracle,
        calibration_rows=None if s.independent is None else int(s.independent.sum()))


def _flat(name: str, e: SplitEvaluation) -> dict[str, float]:
    out = {"n": e.n, "bad_rate": e.bad_rate, "mean_pd": e.mean_pd, "auc": e.auc.auc, "auc_se": e.auc.se, "auc_lower": e.auc.lower,
           "auc_upper": e.auc.upper, "gini": 2 * e.auc.auc - 1, "ks": e.ks.statistic,
           "hl_statistic": e.hosmer_lemeshow.statistic, "hl_pvalue": e.hosmer_lemeshow.p_value,
           "hl_shape_pvalue": e.hosmer_lemeshow_shape.p_value,
           "jeffreys_failures": len(e.jeffreys.failures), "binomial_failures": len(e.binomial.failures),
           "class_monotone": e.bad_rates.monotone, "herfindahl": e.herfindahl}
    flat = {f"{name}_{k}": float(v) for k, v in out.items()}
    if e.calibration_rows is not None:
        flat[f"{name}_calibration_rows"] = float(e.calibration_rows)
    if e.oracle_auc is not None:
        flat[f"oracle_{name}_auc"] = e.oracle_auc
        flat[f"{name}_auc_to_oracle"] = e.auc.auc / e.oracle_auc
    return flat


def evaluate_splits(splits: Mapping[str, SplitData],
                    classes_fn: ClassesFn | Sequence[tuple[str, float]] | BandsLike | None = None, *,
                    bands: Sequence[tuple[str, float]] | BandsLike | None = None,
                    class_order: Sequence[object] | None = None, baseline: str = "train",
                    psi_bins: int | ArrayLike = 10, alpha: float = 0.05) -> EvaluationResult:
    """Every metric of every split, computed once.

    Risk classes come from ``classes_fn`` (a callable score -> labels, a band list of
    ``(label, min_score)`` best first, or an object with ``assign``/``names``) or, equivalently,
    ``bands``; default A >= 80, B 70-80, C 60-70, D < 60. ``class_order`` (best first) overrides
    the order; a bare callable without it is ordered by mean score. The ``baseline`` split
    (fitted on) fixes the PSI bins and is the reference of the AUC drop tests; the other splits
    are treated as independent samples (Hosmer-Lemeshow with ``groups`` dof)."""
    if not splits:
        raise ValueError("splits is empty; give at least one split")
    assign, order = _classifier(classes_fn, bands)
    classes = {name: np.asarray(assign(s.score), dtype=object) for name, s in splits.items()}
    for name, cls in classes.items():
        check_lengths(score=splits[name].score, classes=cls)
    order = list(class_order) if class_order is not None else order or _order_by_score(classes, splits)
    details = {name: _evaluate_one(s, classes[name], order, name != baseline, alpha) for name, s in splits.items()}
    flat: dict[str, float] = {}
    for name, e in details.items():
        flat.update(_flat(name, e))
    stability, drops = {}, {}
    if baseline in splits:
        base = splits[baseline]
        for name, s in splits.items():
            if name == baseline:
                continue
            stability[name] = metrics.psi(base.score, s.score, psi_bins)
            drops[name] = metrics.auc_drop_test(base.y, base.pd, s.y, s.pd)
            flat[f"psi_{baseline}_{name}"] = stability[name].total
            flat[f"{name}_auc_drop_z"] = drops[name].z
            flat[f"{name}_auc_drop_pvalue"] = drops[name].p_value
    return EvaluationResult(flat, dict(splits), details, stability, drops, tuple(order),
                            baseline if baseline in splits else None)


def _summary(result: EvaluationResult) -> Section:
    with_oracle = any(e.oracle_auc is not None for e in result.details.values())
    columns = ["split 样本", "n 样本数", "bad rate 坏样本率", "AUC", "AUC 95% CI 置信区间", "Gini 基尼系数", "KS",
               "AUC drop p (vs baseline) AUC 下降检验 p 值"]
    columns += ["oracle AUC 真值 AUC", "AUC / oracle AUC 与真值之比"] if with_oracle else []
    rows = []
    for name, e in result.details.items():
        drop = result.auc_drops.get(name)
        row: list[object] = [name, e.n, pct(e.bad_rate), e.auc.auc, f"{e.auc.lower:.4f} – {e.auc.upper:.4f}",
                             2 * e.auc.auc - 1, e.ks.statistic, drop.p_value if drop else None]
        if with_oracle:
            row += [e.oracle_auc, e.auc.auc / e.oracle_auc if e.oracle_auc else None]
        rows.append(row)
    note = Text(Bilingual("AUC 置信区间与下降检验使用 DeLong 标准误；下降检验为单侧（p 值小说明 AUC 显著下降）。"
                          "真值 AUC：同一批样本上真实 PD 的 AUC，是任何模型所能达到的上限。",
                          "AUC interval and drop test use DeLong's standard error; the drop test is one-sided (a "
                          "small p-value means the AUC fell significantly). Oracle AUC: the true PD on the same "
                          "rows, the ceiling any model can reach."), note=True)
    return Section(Bilingual("区分能力", "Discrimination"), (Table.of(columns, rows), note))


def _stability(result: EvaluationResult, current: str) -> Section | None:
    if not result.stability:
        return None
    bands = {name: metrics.psi_band(r.total) for name, r in result.stability.items()}
    rows = [[f"{result.baseline} → {name}", r.total, Badge(bands[name], bands[name])]
            for name, r in result.stability.items()]
    body: list[Block] = [
        Text(Bilingual("分数 PSI 的分箱取自基准样本（其分数的十分位）；green < 0.10 ≤ amber < 0.25 ≤ red。",
                       "Score PSI on bins fixed from the baseline sample (deciles of its scores); green < 0.10 ≤ "
                       "amber < 0.25 ≤ red."), note=True),
        Table.of(["samples 样本", "PSI", "band 区间"], rows)]
    if current in result.stability:
        r = result.stability[current]
        base_name = str(result.baseline)
        body += [Heading(Bilingual(f"各分箱 PSI，{base_name} → {current}", f"PSI by bin, {base_name} → {current}")),
                 Table.frame(r.table.set_axis(["bin 分箱", "baseline n 基准样本数", "current n 当前样本数",
                                               "baseline share 基准占比", "current share 当前占比", "PSI"], axis=1))]
        base, now = result.splits[base_name].score, result.splits[current].score
        drift = plots.score_distribution_plot({base_name: base, current: now}, style.title("分数漂移", "Score drift"))
        body.append(Figures((Figure(plots.psi_plot(r), "PSI by bin"), Figure(drift, "drift"))))
    return Section(Bilingual("稳定性", "Stability"), tuple(body))


def counted_rows(e: SplitEvaluation) -> Bilingual | None:
    """Which rows the calibration and class tests counted, when not every row (an account's once)."""
    if e.calibration_rows is None:
        return None
    return Bilingual(f"每个账户一行：{e.n:,} 行中的 {e.calibration_rows:,} 行",
                     f"one row per account: {e.calibration_rows:,} of {e.n:,} rows")


def _counted(e: SplitEvaluation) -> str:
    counted = counted_rows(e)
    return "" if counted is None else f"{counted.en} · {counted.zh}"


def _calibration(result: EvaluationResult, current: str) -> Section:
    hl_rows = [[name, e.hosmer_lemeshow.statistic, e.hosmer_lemeshow.dof, e.hosmer_lemeshow.p_value,
                Badge.verdict(e.hosmer_lemeshow.p_value >= 0.05)] for name, e in result.details.items()]
    e = result.details[current]
    jt = e.jeffreys.table
    bt = e.binomial.table
    class_rows = [[r["class"], r["n"], r["bads"], r["mean_pd"], r["bad_rate"], r["p_value"],
                   Badge.verdict(bool(r["passed"])), bp, Badge.verdict(bool(bpass))]
                  for (_, r), bp, bpass in zip(jt.iterrows(), bt["p_value"], bt["passed"], strict=True)]
    png = plots.calibration_plot(jt["class"].tolist(), jt["mean_pd"], jt["bad_rate"], jt["lower"], jt["upper"],
                                 style.title(f"各等级校准（{current}）", f"Calibration by class ({current})"))
    alpha = e.jeffreys.alpha
    return Section(Bilingual("校准", "Calibration"), (
        Heading(Bilingual("Hosmer-Lemeshow 检验（PD 十分位）", "Hosmer-Lemeshow (PD deciles)"),
                aside="; ".join(f"{name}: {_counted(d)}" for name, d in result.details.items() if _counted(d))),
        Table.of(["split 样本", "statistic 统计量", "dof 自由度", "p-value p 值", "p ≥ 0.05"], hl_rows),
        Heading(Bilingual(f"{current} 样本上的各等级检验", f"Per class on {current}"), aside=_counted(e)),
        Text(Bilingual(f"单侧检验，原假设“该等级 PD 未被低估”，显著性水平 α = {alpha}：Jeffreys 检验"
                       "（Beta(d+½, n−d+½) 后验，欧洲央行方法）与精确二项检验。",
                       f"One-sided tests of H0 \"the class PD is not underestimated\" at α = {alpha}: Jeffreys "
                       "(Beta(d+½, n−d+½) posterior, ECB) and exact binomial."), note=True),
        Table.of(["class 等级", "n 样本数", "bads 坏样本", "mean PD 平均 PD", "bad rate 坏样本率", "Jeffreys p",
                  "Jeffreys", "binomial p 二项检验 p", "binomial 二项检验"], class_rows),
        Figures((Figure(png, "calibration by class"),))))


def _classes(result: EvaluationResult, current: str) -> Section:
    body: list[Block] = []
    for name, e in result.details.items():
        t = e.bad_rates.table
        verdict = Badge.verdict(e.bad_rates.monotone, "monotone", "NOT monotone")
        noise = [f"{a} → {b}" for a, b in e.bad_rates.reversals if (a, b) not in e.bad_rates.violations]
        within = f"; reversal within noise (Fisher p ≥ 0.05): {', '.join(noise)}" if noise else ""
        title = Markup('{}: <span class="badge {}">{}</span>').format(name, verdict.kind, verdict.text)
        counted = f"; bad rates {_counted(e)}" if _counted(e) else ""
        body += [Heading(title, aside=f"Herfindahl {e.herfindahl:.3f}{within}{counted}"),
                 Table.of(["class 等级", "n 样本数", "share 占比", "bads 坏样本", "bad rate 坏样本率"],
                          [[r["class"], r["n"], pct(r["share"]), r["bads"], pct(r["bad_rate"])]
                           for _, r in t.iterrows()])]
    br = result.details[current].bad_rates
    png = plots.bad_rate_plot(br.table, br.violations, style.title(f"各等级坏账率（{current}）",
                                                                   f"Bad rate by class ({current})"))
    body.append(Figures((Figure(png, "bad rate by class"),)))
    return Section(Bilingual("各风险等级坏账率（由优到劣）", "Bad rate by risk class (best to worst)"), tuple(body))


def _plots(result: EvaluationResult, current: str) -> Section:
    s = result.splits[current]
    figures = (Figure(plots.roc_plot({name: (d.y, d.pd) for name, d in result.splits.items()}), "ROC"),
               Figure(plots.ks_plot(s.y, s.score, style.title(f"KS 曲线（{current}）", f"KS ({current})")), "KS"),
               Figure(plots.score_distribution_plot({"goods": s.score[s.y == 0], "bads": s.score[s.y == 1]},
                                                    style.title(f"好坏样本分数分布（{current}）",
                                                                f"Score distribution ({current})")), "goods vs bads"))
    return Section(Bilingual("区分能力图", "Discrimination plots"), (Figures(figures),))


def _title(title: Label) -> Label:
    """A title in both languages: a plain English one ("Validation report: NAME", as the training
    runs give it) gets its Chinese counterpart."""
    if not isinstance(title, str):
        return title
    rest = title.removeprefix(TITLE)
    if rest == title:
        return Bilingual("验证报告", title)
    return Bilingual("验证报告" + ("：" + rest[1:].strip() if rest.startswith(":") else rest), title)


def validation_report(result: EvaluationResult, title: Label = TITLE,
                      sections: Sequence[tuple[Label, str | pd.DataFrame]] | None = None, *,
                      model_name: str | None = None, model_version: str | None = None,
                      current: str = "oot") -> str:
    """One self-contained HTML page (template ``validation_report.html.j2``): metrics per split,
    PSI, calibration, classes, plots, then the extra ``sections`` as (title, body) pairs. A
    DataFrame body is rendered and escaped; a str body is an HTML fragment inserted as is (e.g.
    ``DataFrame.to_html()``, which escapes its cells). ``current`` is the split the detailed
    tables and plots describe (OOT by default). Titles may be plain text or ``Bilingual``."""
    if current not in result.splits:
        current = list(result.splits)[-1]
    intro: list[Block] = []
    model = [(en, zh, value) for en, zh, value in (("Model", "模型", model_name), ("version", "版本", model_version))
             if value is not None]
    if model:
        intro.append(Text(Bilingual("，".join(f"{zh} {value}" for _, zh, value in model),
                                    Markup(" ").join(Markup("<b>{}</b> {}").format(en, value)
                                                     for en, _, value in model))))
    names = ", ".join(result.splits)
    intro.append(Text(Bilingual(f"样本：{names}。约定：y = 1 为坏；PD 为坏的概率；分数越高越安全。",
                                f"Splits: {names}. Conventions: y = 1 is bad; PD is the probability of bad; score "
                                "points, higher = safer."), note=True))
    parts = [_summary(result), _stability(result, current), _calibration(result, current),
             _classes(result, current), _plots(result, current)]
    for heading, body in sections or []:
        block = Table.frame(body) if isinstance(body, pd.DataFrame) else Html(Markup(body))
        parts.append(Section(heading, (block,)))
    return render(TEMPLATE, title=_title(title), intro=intro, sections=[p for p in parts if p is not None])
