"""Evaluate a model on its samples once (metrics named for MLflow), and write the validation
report validators read: one self-contained HTML page with inline CSS and embedded plots."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from riskmodels.evaluation import _html, calibration, metrics, plots
from riskmodels.evaluation._checks import as_1d, check_lengths
from riskmodels.evaluation.metrics import AucDropTest, StabilityResult  # EvaluationResult.metrics hides the module

# Risk classes by score, best first: (label, lowest score of the class). Higher score = safer.
DEFAULT_BANDS: tuple[tuple[str, float], ...] = (("A", 80.0), ("B", 70.0), ("C", 60.0), ("D", -math.inf))
ClassesFn = Callable[[np.ndarray], ArrayLike]


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


@dataclass(frozen=True)
class SplitData:
    y: np.ndarray  # 1 = bad
    pd: np.ndarray  # probability of bad
    score: np.ndarray  # points, higher = safer
    oracle_pd: np.ndarray | None = None  # the true probability, when known (simulated data)

    def __post_init__(self) -> None:
        # Positional arrays: a pandas index must not realign rows between y, pd and score.
        for name in ("y", "pd", "score", "oracle_pd"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, as_1d(getattr(self, name), name))
        arrays = {"y": self.y, "pd": self.pd, "score": self.score}
        check_lengths(**arrays, **({"oracle_pd": self.oracle_pd} if self.oracle_pd is not None else {}))


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
    return SplitEvaluation(
        n=len(s.y), bad_rate=float(np.mean(s.y)), mean_pd=float(np.mean(s.pd)), auc=metrics.auc_confidence(s.y, s.pd), ks=metrics.ks(s.y, s.pd),
        hosmer_lemeshow=calibration.hosmer_lemeshow(s.y, s.pd, external=external),
        hosmer_lemeshow_shape=calibration.hosmer_lemeshow(s.y, s.pd, external=external, relevel=True),
        jeffreys=calibration.jeffreys_test(s.y, s.pd, cls, order, alpha),
        binomial=calibration.binomial_test(s.y, s.pd, cls, order, alpha),
        bad_rates=calibration.bad_rate_by_class(s.y, cls, order),
        herfindahl=calibration.herfindahl(cls), oracle_auc=oracle)


def _flat(name: str, e: SplitEvaluation) -> dict[str, float]:
    out = {"n": e.n, "bad_rate": e.bad_rate, "mean_pd": e.mean_pd, "auc": e.auc.auc, "auc_se": e.auc.se, "auc_lower": e.auc.lower,
           "auc_upper": e.auc.upper, "gini": 2 * e.auc.auc - 1, "ks": e.ks.statistic,
           "hl_statistic": e.hosmer_lemeshow.statistic, "hl_pvalue": e.hosmer_lemeshow.p_value,
           "hl_shape_pvalue": e.hosmer_lemeshow_shape.p_value,
           "jeffreys_failures": len(e.jeffreys.failures), "binomial_failures": len(e.binomial.failures),
           "class_monotone": e.bad_rates.monotone, "herfindahl": e.herfindahl}
    flat = {f"{name}_{k}": float(v) for k, v in out.items()}
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


def _summary(result: EvaluationResult) -> str:
    with_oracle = any(e.oracle_auc is not None for e in result.details.values())
    columns = ["split", "n", "bad rate", "AUC", "AUC 95% CI", "Gini", "KS", "AUC drop p (vs baseline)"]
    columns += ["oracle AUC", "AUC / oracle"] if with_oracle else []
    rows = []
    for name, e in result.details.items():
        drop = result.auc_drops.get(name)
        row: list[object] = [name, e.n, _html.pct(e.bad_rate), e.auc.auc, f"{e.auc.lower:.4f} – {e.auc.upper:.4f}",
                             2 * e.auc.auc - 1, e.ks.statistic, drop.p_value if drop else None]
        if with_oracle:
            row += [e.oracle_auc, e.auc.auc / e.oracle_auc if e.oracle_auc else None]
        rows.append(row)
    note = ("<p class='note'>AUC interval and drop test use DeLong's standard error; the drop test is "
            "one-sided (a small p-value means the AUC fell significantly). Oracle AUC: the true PD on the "
            "same rows, the ceiling any model can reach.</p>")
    return _html.section("Discrimination", _html.table(columns, rows) + note)


def _stability(result: EvaluationResult, current: str) -> str:
    if not result.stability:
        return ""
    bands = {name: metrics.psi_band(r.total) for name, r in result.stability.items()}
    rows = [[f"{result.baseline} → {name}", r.total, _html.badge(bands[name], bands[name])]
            for name, r in result.stability.items()]
    body = ("<p class='note'>Score PSI on bins fixed from the baseline sample (deciles of its scores); "
            "green &lt; 0.10 &le; amber &lt; 0.25 &le; red.</p>" + _html.table(["samples", "PSI", "band"], rows))
    if current in result.stability:
        r = result.stability[current]
        body += f"<h3>PSI by bin, {html.escape(str(result.baseline))} → {html.escape(current)}</h3>"
        body += _html.frame(r.table.set_axis(["bin", "baseline n", "current n", "baseline share", "current share",
                                               "PSI"], axis=1))
        base, now = result.splits[str(result.baseline)].score, result.splits[current].score
        drift = plots.score_distribution_plot({str(result.baseline): base, current: now}, "Score drift")
        body += f"<div class='plots'>{plots.img_tag(plots.psi_plot(r), 'PSI by bin')}{plots.img_tag(drift, 'drift')}"
        body += "</div>"
    return _html.section("Stability", body)


def _calibration(result: EvaluationResult, current: str) -> str:
    hl_rows = [[name, e.hosmer_lemeshow.statistic, e.hosmer_lemeshow.dof, e.hosmer_lemeshow.p_value,
                _html.verdict(e.hosmer_lemeshow.p_value >= 0.05)] for name, e in result.details.items()]
    e = result.details[current]
    jt = e.jeffreys.table
    bt = e.binomial.table
    class_rows = [[r["class"], r["n"], r["bads"], r["mean_pd"], r["bad_rate"], r["p_value"],
                   _html.verdict(bool(r["passed"])), bp, _html.verdict(bool(bpass))]
                  for (_, r), bp, bpass in zip(jt.iterrows(), bt["p_value"], bt["passed"], strict=True)]
    png = plots.calibration_plot(jt["class"].tolist(), jt["mean_pd"], jt["bad_rate"], jt["lower"], jt["upper"],
                                 f"Calibration by class ({current})")
    body = ("<h3>Hosmer-Lemeshow (PD deciles)</h3>"
            + _html.table(["split", "statistic", "dof", "p-value", "p ≥ 0.05"], hl_rows)
            + f"<h3>Per class on {html.escape(current)}</h3><p class='note'>One-sided tests of H0 \"the class PD "
            f"is not underestimated\" at α = {e.jeffreys.alpha}: Jeffreys (Beta(d+½, n−d+½) posterior, ECB) "
            "and exact binomial.</p>"
            + _html.table(["class", "n", "bads", "mean PD", "bad rate", "Jeffreys p", "Jeffreys", "binomial p",
                           "binomial"], class_rows)
            + "<div class='plots'>" + plots.img_tag(png, "calibration by class") + "</div>")
    return _html.section("Calibration", body)


def _classes(result: EvaluationResult, current: str) -> str:
    body = ""
    for name, e in result.details.items():
        t = e.bad_rates.table
        verdict = _html.verdict(e.bad_rates.monotone, "monotone", "NOT monotone")
        noise = [f"{a} → {b}" for a, b in e.bad_rates.reversals if (a, b) not in e.bad_rates.violations]
        within = f"; reversal within noise (Fisher p ≥ 0.05): {html.escape(', '.join(noise))}" if noise else ""
        body += (f"<h3>{html.escape(name)}: {verdict.html} <span class='note'>Herfindahl "
                 f"{e.herfindahl:.3f}{within}</span></h3>"
                 + _html.table(["class", "n", "share", "bads", "bad rate"],
                               [[r["class"], r["n"], _html.pct(r["share"]), r["bads"], _html.pct(r["bad_rate"])]
                                for _, r in t.iterrows()]))
    br = result.details[current].bad_rates
    png = plots.bad_rate_plot(br.table, br.violations, f"Bad rate by class ({current})")
    body += f"<div class='plots'>{plots.img_tag(png, 'bad rate by class')}</div>"
    return _html.section("Bad rate by risk class (best to worst)", body)


def _plots(result: EvaluationResult, current: str) -> str:
    s = result.splits[current]
    pngs = [(plots.roc_plot({name: (d.y, d.pd) for name, d in result.splits.items()}), "ROC"),
            (plots.ks_plot(s.y, s.score, f"KS ({current})"), "KS"),
            (plots.score_distribution_plot({"goods": s.score[s.y == 0], "bads": s.score[s.y == 1]},
                                           f"Score distribution ({current})"), "goods vs bads")]
    return _html.section("Discrimination plots", "<div class='plots'>" + "".join(
        plots.img_tag(png, alt) for png, alt in pngs) + "</div>")


def validation_report(result: EvaluationResult, title: str = "Validation report",
                      sections: Sequence[tuple[str, str | pd.DataFrame]] | None = None, *,
                      model_name: str | None = None, model_version: str | None = None,
                      current: str = "oot") -> str:
    """One self-contained HTML page: metrics per split, PSI, calibration, classes, plots, then the
    extra ``sections`` as (title, body) pairs. A DataFrame body is rendered and escaped; a str body
    is an HTML fragment inserted as is (e.g. ``DataFrame.to_html()``, which escapes its cells).
    ``current`` is the split the detailed tables and plots describe (OOT by default)."""
    if current not in result.splits:
        current = list(result.splits)[-1]
    model = " ".join(f"<b>{label}</b> {html.escape(str(value))}" for label, value in
                     (("Model", model_name), ("version", model_version)) if value is not None)
    head = (f"<h1>{html.escape(title)}</h1>" + (f"<p>{model}</p>" if model else "")
            + f"<p class='note'>Splits: {html.escape(', '.join(result.splits))}. Conventions: y = 1 is bad; "
            "PD is the probability of bad; score points, higher = safer.</p>")
    parts = [head, _summary(result), _stability(result, current), _calibration(result, current),
             _classes(result, current), _plots(result, current)]
    for heading, body in sections or []:
        parts.append(_html.section(heading, _html.frame(body) if isinstance(body, pd.DataFrame) else body))
    return _html.page(title, "".join(parts))
