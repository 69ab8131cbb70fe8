"""The report of officers' decisions (人工审批与推翻报告): override rates by rule, risk class and
officer, the reasons given, and, once outcomes exist, how the loans performed.

Definitions. A decision the system took alone (approve or offer, reject) is *overridden* when
the officer decides the other way: a rejection approved (override up) or an automatic approval
declined (override down). A referral (review) has no automatic answer to override: its rows
count as *referred*, with the officer's approval rate. *Amount changed*: an approval at another
amount than the system's limit.

Performance reads the simulator's (or the bank's) outcomes: ``outcomes.parquet``'s ``bad_12m``
for loans that were booked and, when ``truth.parquet`` is at hand (simulated books only), the
outcome every application would have had as a loan (``bad_12m_if_booked``): the only way to see
how the loans officers declined would have done.

One self-contained HTML page (tables, a PNG plot in base64, no script, no other file), in
Chinese and English, from the template ``override_report.html.j2`` (``riskmodels.reporting``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.policy.override_reasons import OverrideCatalogue
from riskmodels.reporting import Bilingual, Block, Cell, Figure, Figures, Num, Section, Table, Text, render, style
from riskmodels.reporting.style import styled

OVERRIDES = ("override_up", "override_down", "override_amount")
AUTOMATIC = ("approve", "offer", "reject")
KIND_NAMES = {"confirmed": "维持系统决定 / confirmed", "override_up": "推翻拒绝（批准）/ override up",
              "override_down": "推翻批准（拒绝）/ override down",
              "override_amount": "超系统额度批准 / approved above the system's limit", "reviewed": "转人工审批 / referred"}


def outcome_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The store's outcome rows (``LoanStore.outcome_rows``) with the report's flags."""
    frame = pd.DataFrame(list(rows), columns=[
        "request_id", "recorded_at", "application_id", "system_decision", "risk_class", "score", "system_limit_fen",
        "system_rate", "triggers", "final", "amount_fen", "rate", "officer", "reason_code", "kind"])
    frame["automatic"] = frame["system_decision"].isin(AUTOMATIC)
    frame["overridden"] = frame["kind"].isin(OVERRIDES)
    frame["referred"] = frame["kind"] == "reviewed"
    frame["approved"] = frame["final"] == "approve"
    frame["amount_changed"] = frame["approved"] & frame["system_limit_fen"].notna() & (
        frame["amount_fen"].astype(float) != frame["system_limit_fen"].astype(float))
    return frame


def rates_by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Counts and rates per value of ``key`` (``rule``: each rule that fired, a decision counted
    once under every rule of it; or a column such as ``risk_class`` or ``officer``)."""
    data = frame.assign(approved_in_review=frame["referred"] & frame["approved"])
    if key == "rule":
        data = data.assign(rule=data["triggers"].map(lambda t: list(t) or ["(none)"])).explode("rule")
    grouped = data.groupby(key, dropna=False, sort=True)
    out = pd.DataFrame({
        "decisions": grouped.size(),
        "automatic": grouped["automatic"].sum(),
        "overridden": grouped["overridden"].sum(),
        "referred": grouped["referred"].sum(),
        "approved_in_review": grouped["approved_in_review"].sum(),
        "amount_changed": grouped["amount_changed"].sum(),
    })
    out["override_rate"] = out["overridden"] / out["automatic"].where(out["automatic"] > 0)
    out["review_approval_rate"] = out["approved_in_review"] / out["referred"].where(out["referred"] > 0)
    return out.reset_index().sort_values("decisions", ascending=False, kind="stable", ignore_index=True)


def performance(frame: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bad rates by kind of decision and final decision: observed (``bad_12m`` of booked loans)
    and, given the simulator's truth, the outcome as a loan of every application."""
    data = frame.merge(outcomes[["application_id", "booked", "bad_12m"]], on="application_id", how="left")
    if truth is not None:
        data = data.merge(truth[["application_id", "bad_12m_if_booked"]], on="application_id", how="left")
    grouped = data.groupby(["kind", "final"], sort=True)
    out = pd.DataFrame({"decisions": grouped.size(),
                        "booked_with_outcome": grouped["bad_12m"].count(),
                        "bad_rate_observed": grouped["bad_12m"].mean()})
    if truth is not None:
        out["bad_rate_if_booked"] = grouped["bad_12m_if_booked"].mean()
    return out.reset_index()


@styled
def _figure(by_class: pd.DataFrame) -> bytes:
    fig = style.new_figure((7, 3.2))
    axes = fig.add_subplot()
    x = np.arange(len(by_class))
    axes.bar(x - 0.2, by_class["override_rate"].fillna(0).to_numpy(), 0.4, label="override rate (automatic)",
             color=style.BAD)
    axes.bar(x + 0.2, by_class["review_approval_rate"].fillna(0).to_numpy(), 0.4,
             label="approval rate (referred)", color=style.BLUE)
    axes.set_xticks(x, [str(c) for c in by_class["risk_class"]])
    axes.set_xlabel("risk class")
    axes.set_ylim(0, 1)
    axes.legend(loc="upper left", fontsize=8)
    axes.set_title(style.title("各风险等级的人工结论", "Officers' decisions by risk class"))
    return style.png_bytes(fig)


def _cell(value: object) -> Cell:
    if isinstance(value, float):
        return Num("" if np.isnan(value) else f"{value:.1%}" if value <= 1 else f"{value:,.2f}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return Num(str(value))
    return str(value)


def _table(frame: pd.DataFrame) -> Table:
    return Table(tuple(str(c) for c in frame.columns),
                 tuple(tuple(_cell(v) for v in row) for row in frame.itertuples(index=False, name=None)))


def override_report(frame: pd.DataFrame, catalogue: OverrideCatalogue, outcomes: pd.DataFrame | None = None,
                    truth: pd.DataFrame | None = None) -> str:
    """The report as one HTML page."""
    n = len(frame)
    automatic = int(frame["automatic"].sum())
    overridden = int(frame["overridden"].sum())
    referred = int(frame["referred"].sum())
    rate = f"{overridden / automatic:.1%}" if automatic else "n/a"
    kinds = frame["kind"].value_counts().rename_axis("kind").reset_index(name="decisions")
    kinds["kind"] = kinds["kind"].map(KIND_NAMES).fillna(kinds["kind"])
    reasons = frame.groupby(["final", "reason_code"]).size().rename("decisions").reset_index()
    reasons["text"] = reasons["reason_code"].map(
        lambda c: f"{catalogue.reasons[c].text_zh} / {catalogue.reasons[c].text_en}" if c in catalogue.reasons else c)
    by_class = rates_by(frame, "risk_class").sort_values("risk_class", ignore_index=True)
    figures: tuple[Block, ...] = (
        (Figures((Figure(_figure(by_class), "override and review approval rates by risk class"),)),)
        if len(by_class) else ())
    if outcomes is None:
        performed: tuple[Block, ...] = (Text(Bilingual(
            "尚无贷款表现（outcomes.parquet）：贷款满 12 个月后显示。",
            "No outcomes yet (outcomes.parquet): performance is shown once loans have 12 months of history."),
            note=True),)
    else:
        performed = (_table(performance(frame, outcomes, truth)),)
        if truth is not None:
            performed += (Text(Bilingual(
                "bad_rate_observed：已放款贷款 12 个月内逾期 90 天以上的比例。bad_rate_if_booked：假如每笔申请都放款"
                "（含被拒申请），模拟器给出的结果。",
                "bad_rate_observed: 90+ DPD within 12 months among booked loans. bad_rate_if_booked: the "
                "simulator's outcome had each application been lent (declined ones included)."), note=True),)
    sections = (
        Section(Bilingual("结论类型", "Kinds of decision"), (_table(kinds),)),
        Section(Bilingual("按规则", "By rule"), (_table(rates_by(frame, "rule")),)),
        Section(Bilingual("按风险等级", "By risk class"), (*figures, _table(by_class))),
        Section(Bilingual("按审批人", "By officer"), (_table(rates_by(frame, "officer")),)),
        Section(Bilingual("理由", "Reasons given"), (_table(reasons),)),
        Section(Bilingual("贷款表现", "How the loans performed"), performed),
    )
    summary = Bilingual(
        f"{n:,} 笔人工结论；其中 {automatic:,} 笔针对系统自动决定，推翻 {overridden:,} 笔（推翻率 {rate}）；"
        f"转人工 {referred:,} 笔。",
        f"{n:,} officers' decisions; {automatic:,} on automatic decisions, of which {overridden:,} overridden "
        f"(override rate {rate}); {referred:,} referrals.")
    definitions = Bilingual(
        "推翻：审批人否决了系统的自动批准、预授信或拒绝。转人工：政策把申请交给人工审批。规则：决定中触发的每条规则"
        "（含转人工触发条件）；一笔决定计入其每条规则。",
        "Overridden: the officer decided against an automatic approval, offer or rejection. Referred: the policy "
        "sent the application to a person. Rule: every rule that fired in the decision (its review triggers among "
        "them); a decision counts under each of its rules.")
    return render("override_report.html.j2", title=Bilingual("人工审批与推翻报告", "Officers' decisions and overrides"),
                  intro=(Text(summary), Text(definitions, note=True)), sections=sections)


def write_override_report(frame: pd.DataFrame, catalogue: OverrideCatalogue, path: Path,
                          data_dir: Path | None = None) -> Path:
    """Write the report; with ``data_dir``, its ``outcomes.parquet`` (and ``truth.parquet``) give
    the loans' performance."""
    outcomes = truth = None
    if data_dir is not None and (Path(data_dir) / "outcomes.parquet").is_file():
        outcomes = pd.read_parquet(Path(data_dir) / "outcomes.parquet", columns=["application_id", "booked", "bad_12m"])
        if (Path(data_dir) / "truth.parquet").is_file():
            truth = pd.read_parquet(Path(data_dir) / "truth.parquet", columns=["application_id", "bad_12m_if_booked"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(override_report(frame, catalogue, outcomes, truth), encoding="utf-8")
    return path
