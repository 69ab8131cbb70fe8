"""The model document a validator reads: one HTML page built only from what the training run
recorded in MLflow (params, metrics, artefacts) and the lending policy it feeds.

    html = model_document(tracking.load_run_evidence("sme-application-scorecard", "3"))

No number on the page is typed here: each is read from the run (or from the policy file), so the
document of version N always states what version N's run measured.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

from riskmodels.evaluation import _html
from riskmodels.evaluation.metrics import psi_band
from riskmodels.evaluation.model_document_parts import SPLITS, binning_section, limitations, policy_section
from riskmodels.registry.evidence import RunEvidence

_PURPOSE = {
    "application": "Application scorecard (A card, 申请评分卡): ranks new small-business loan applications "
                   "by their probability of the bad event, and sets the risk class that drives the decision "
                   "band, the limit and the risk-based rate.",
    "behavior": "Behavioural scorecard (B card, 行为评分卡): ranks booked accounts each month for limit "
                "changes, renewals and early warnings.",
    "collection": "Collection scorecard (C card, 催收评分卡): ranks delinquent accounts by their chance to cure.",
}
_PERFORMANCE = (("n", "rows", 0), ("bad_rate", "bad rate", 4), ("auc", "AUC", 4), ("auc_lower", "AUC 95% lower", 4),
                ("auc_upper", "AUC 95% upper", 4), ("gini", "Gini", 4), ("ks", "KS", 4),
                ("oracle_{split}_auc", "oracle AUC", 4), ("auc_to_oracle", "AUC / oracle", 4),
                ("auc_drop_pvalue", "AUC drop p (vs train)", 4))
_CALIBRATION = (("hl_statistic", "Hosmer-Lemeshow statistic"), ("hl_pvalue", "Hosmer-Lemeshow p"),
                ("jeffreys_failures", "Jeffreys failures"), ("binomial_failures", "binomial failures"),
                ("class_monotone", "bad rate monotone by class"), ("herfindahl", "Herfindahl of classes"))


def _metric(ev: RunEvidence, split: str, key: str) -> float | None:
    name = key.format(split=split) if "{split}" in key else f"{split}_{key}"
    return ev.metrics.get(name)


def _split_table(ev: RunEvidence, rows: tuple[tuple[str, str, int] | tuple[str, str], ...]) -> str:
    body = []
    for row in rows:
        key, label = row[0], row[1]
        values = [_metric(ev, s, key) for s in SPLITS]
        if all(v is None for v in values):
            continue
        cells = [None if v is None else (int(v) if key in ("n", "jeffreys_failures", "binomial_failures")
                                         else bool(v) if key == "class_monotone" else v) for v in values]
        body.append([label, *cells])
    return _html.table(["", *SPLITS], body)


def _purpose(ev: RunEvidence) -> str:
    p, v = ev.params, ev.version
    kind = ev.tags.get("riskmodels.kind", "")
    started = datetime.fromtimestamp(ev.start_time_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts: list[list[object]] = [
        ["registered model", v.name], ["version", v.version], ["aliases", ", ".join(v.aliases) or "none"],
        ["training run", v.run_id], ["trained", started], ["code commit", ev.tags.get("git_commit")],
        ["target (bad event)", f"{p.get('target')} = {p.get('event_value', '1')}"],
        ["calendar of the split", p.get("date_column")], ["data SHA-256", p.get("data.hash")]]
    return _html.section("Purpose and data", f"<p>{html.escape(_PURPOSE.get(kind, kind))}</p>"
                         + _html.table(["item", "value"], facts))


def _sample(ev: RunEvidence) -> str:
    p = ev.params
    rows = [[s, int(p[f"rows.{s}"])] for s in SPLITS if f"rows.{s}" in p]
    text = (f"<p>Out-of-time sample: the last {html.escape(p.get('split.oot_months', '?'))} application months; "
            f"test: a random {html.escape(p.get('split.test_share', '?'))} share of the earlier months "
            f"(seed {html.escape(p.get('split.seed', '?'))}); train: the rest. Only booked applications with an "
            "observed outcome enter; the data passed its contract checks first:</p>")
    checks = []
    for key, text_json in sorted(ev.texts.items()):
        if key.startswith("quality/"):
            stats = json.loads(text_json).get("statistics", {})
            checks.append([Path(key).stem.removeprefix("quality_"), stats.get("evaluated_expectations"),
                           stats.get("successful_expectations"), stats.get("unsuccessful_expectations")])
    return _html.section("Sample and exclusions", text + _html.table(["table", "checks", "passed", "failed"], checks)
                         + _html.table(["sample", "rows"], rows))


def _selection(ev: RunEvidence) -> str:
    table = ev.tables["selection/variable_selection.csv"]
    p = ev.params
    text = (f"<p>{len(table)} candidates; {int((table['status'] == 'selected').sum())} selected. Rules, in order: "
            f"IV at least {html.escape(p.get('scorecard.iv_min', '?'))}, correlation at most "
            f"{html.escape(p.get('scorecard.max_corr', '?'))} (the higher IV stays), VIF at most "
            f"{html.escape(p.get('scorecard.max_vif', '?'))}, coefficient sign consistent with WoE.</p>")
    return _html.section("Variable selection", text + _html.frame(table.fillna("")))


def _coefficients(ev: RunEvidence) -> str:
    return _html.section("Coefficients (Wald tests, VIF)", _html.frame(ev.tables["model/coefficients.csv"]))


def _scaling(ev: RunEvidence) -> str:
    spec = json.loads(ev.texts["model/compiled_spec.json"])
    scale = spec["model"]["scale"]
    text = (f"<p>Points = offset + factor × ln(odds of good): {_html.fmt(scale['base_points'])} points at odds "
            f"{_html.fmt(scale['base_odds'])}:1, {_html.fmt(scale['pdo'])} points to double the odds, clipped to "
            f"{_html.fmt(scale['min_score'])}–{_html.fmt(scale['max_score'])}. Intercept (log-odds of bad) "
            f"{_html.fmt(spec['model']['intercept'])}, spread evenly over the characteristics' points.</p>")
    text += _calibration_choice(spec["model"].get("calibration"))
    classes = ev.tables["model/risk_classes.csv"]
    return _html.section("Scaling and risk classes", text + _html.frame(classes))


_BASIS = {"through_the_cycle": "through the cycle: the level is the long-run average default rate of every "
                               "month with an observed outcome, the out-of-time months included (so the "
                               "out-of-time calibration below is not out of sample for the level; the "
                               "discrimination is)",
          "point_in_time": "point in time: the level is the default rate of the most recent months"}


def _calibration_choice(cal: dict[str, object] | None) -> str:
    """The PD calibration the run chose (method, point in time or through the cycle, line)."""
    if not cal or cal.get("method") == "none":
        return ("<p><b>PD calibration: none.</b> PDs are the logistic fit's own, read from the unclipped "
                "points.</p>")
    return (f"<p><b>PD calibration: {_html.fmt(cal['method'])}, {_html.fmt(_BASIS.get(str(cal['basis']), cal['basis']))}."
            f"</b> Calibrated log-odds of bad = {_html.fmt(cal['intercept'])} + {_html.fmt(cal['slope'])} × the fit's "
            f"log-odds. Slope fitted on {_html.fmt(cal['slope_sample'])} ({_html.fmt(cal['slope_rows'])} rows, "
            f"{_html.fmt(cal['slope_bads'])} bads); level on {_html.fmt(cal['level_sample'])} (default rate "
            f"{_html.fmt(cal['level_default_rate'])}); the out-of-time months are never used. The line is baked into "
            "every bin's points, so the points sum to the calibrated score and every PD is read from the unclipped "
            "sum (<code>model/calibration.json</code>, <code>model/calibration_table.csv</code>).</p>")


def _performance(ev: RunEvidence) -> str:
    return _html.section("Performance on train, test and out-of-time", _split_table(ev, _PERFORMANCE))


def _calibration(ev: RunEvidence) -> str:
    note = ("<p class='note'>Hosmer-Lemeshow over PD deciles (train: groups − 2 dof; test and OOT as independent "
            "samples); Jeffreys and exact binomial tests per class, one-sided.</p>")
    return _html.section("Calibration", note + _split_table(ev, _CALIBRATION))


def _stability(ev: RunEvidence) -> str:
    rows = [[f"train → {s}", ev.metrics[f"psi_train_{s}"], _html.badge(psi_band(ev.metrics[f"psi_train_{s}"]),
                                                                       psi_band(ev.metrics[f"psi_train_{s}"]))]
            for s in ("test", "oot") if f"psi_train_{s}" in ev.metrics]
    gates = json.loads(ev.texts["gates.json"]) if "gates.json" in ev.texts else {}
    gate_rows = [[k, json.dumps(v)] for k, v in gates.items()]
    return _html.section("Stability", "<p class='note'>Score PSI on the training sample's score deciles.</p>"
                         + _html.table(["samples", "PSI", "band"], rows)
                         + "<h3>Promotion gates of this run</h3>" + _html.table(["gate", "value"], gate_rows))


def _challenger(ev: RunEvidence) -> str:
    rows = [[s, ev.metrics.get(f"{s}_auc"), ev.metrics.get(f"challenger_{s}_auc")] for s in SPLITS]
    if all(r[2] is None for r in rows):
        return _html.section("Champion vs challenger", "<p>This run trained no challenger.</p>")
    name = ev.params.get("challenger.model_name", "challenger")
    return _html.section("Champion vs challenger", f"<p>Scorecard against {html.escape(name)} (LightGBM on the same "
                         "candidates and training rows).</p>" + _html.table(["sample", "scorecard AUC",
                                                                              "challenger AUC"], rows))


def model_document(ev: RunEvidence) -> str:
    """The whole document as one self-contained HTML page."""
    max_vif = float(ev.params["scorecard.max_vif"]) if "scorecard.max_vif" in ev.params else None
    items = "".join(f"<li>{html.escape(t)}</li>" for t in limitations(ev, max_vif))
    title = f"Model document: {ev.version.name} v{ev.version.version}"
    parts = [f"<h1>{html.escape(title)}</h1><p class='note'>Every figure below is read from MLflow run "
             f"{html.escape(str(ev.version.run_id))} or from the default lending policy.</p>",
             _purpose(ev), _sample(ev), _selection(ev), binning_section(ev), _coefficients(ev), _scaling(ev),
             _performance(ev), _calibration(ev), _stability(ev), _challenger(ev), policy_section(ev),
             _html.section("Limitations", f"<ul>{items}</ul>")]
    return _html.page(title, "".join(parts))


def write_model_document(ev: RunEvidence, out_dir: Path) -> Path:
    """Render in full, then write ``model_document_NAME_vN.html`` under ``out_dir`` atomically."""
    page = model_document(ev)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"model_document_{ev.version.name}_v{ev.version.version}.html"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after the rename; left behind only by a failed write
    return path


def required_artifacts() -> tuple[str, ...]:
    return ("selection/variable_selection.csv", "model/coefficients.csv", "model/scorecard_table.csv",
            "model/risk_classes.csv")


def check_evidence(ev: RunEvidence) -> None:
    """A run without the scorecard's artefacts (e.g. the fraud model's) cannot be documented here."""
    missing = [a for a in required_artifacts() if a not in ev.tables]
    if missing or "model/compiled_spec.json" not in ev.texts:
        raise ValueError(f"model must be a scorecard whose run logged its evidence; "
                         f"{ev.version.name}:{ev.version.version} lacks {missing or ['model/compiled_spec.json']}")


__all__ = ["check_evidence", "model_document", "write_model_document"]
