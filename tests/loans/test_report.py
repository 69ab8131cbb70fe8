"""The report of officers' decisions: rates by rule, class and officer computed from recorded
outcomes, performance joined on the outcomes, and the page read in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from _browser import assert_not_blank, embedded_pngs, require_chromium, screenshot

from riskmodels.loans import LoanStore
from riskmodels.loans.report import outcome_frame, rates_by, write_override_report
from riskmodels.policy.override_reasons import load_override_reasons
from riskmodels.stores import open_engine
from tests.loans.conftest import KEY, decision

FEN = 100


@pytest.fixture
def recorded(tmp_path: Path) -> pd.DataFrame:
    """Ten decisions: class B's four automatic ones, one overridden; class C's six referrals, four approved."""
    store = LoanStore(open_engine(f"sqlite:///{tmp_path / 'loans.sqlite'}"), KEY)
    cases = [  # (system decision, class, triggers, final, officer, reason)
        ("offer", "B", ["BAND_APPROVE"], "approve", "li", "AS_RECOMMENDED"),
        ("offer", "B", ["BAND_APPROVE"], "approve", "li", "AS_RECOMMENDED"),
        ("offer", "B", ["BAND_APPROVE"], "decline", "wang", "FRAUD_SUSPECTED"),
        ("reject", "B", ["KO_BUREAU"], "decline", "wang", "AS_RECOMMENDED"),
        *[("review", "C", ["BAND_GREY_ZONE", "HS_INDUSTRY_WARNING"] if i < 2 else ["BAND_GREY_ZONE"],
           "approve" if i < 4 else "decline", "li" if i % 2 else "wang",
           "DD_TURNOVER_VERIFIED" if i < 4 else "DD_OPERATIONS_NOT_VERIFIED") for i in range(6)],
    ]
    for i, (system, risk_class, triggers, final, officer, reason) in enumerate(cases):
        record = decision(system, risk_class=risk_class, application_id=f"APP{i}")
        store.record_outcome(record, final, officer=officer, reason_code=reason, triggers=triggers,
                             amount_fen=150_000 * FEN if final == "approve" else None,
                             rate=4.5 if final == "approve" else None)
    frame = outcome_frame(store.outcome_rows())
    store.close()
    return frame


def test_rates_by_class_rule_and_officer(recorded: pd.DataFrame) -> None:
    by_class = rates_by(recorded, "risk_class").set_index("risk_class")
    assert by_class.loc["B", ["decisions", "automatic", "overridden", "referred"]].tolist() == [4, 4, 1, 0]
    assert by_class.loc["B", "override_rate"] == pytest.approx(0.25)
    assert by_class.loc["C", "review_approval_rate"] == pytest.approx(4 / 6)
    assert pd.isna(by_class.loc["C", "override_rate"])  # no automatic decision to override
    by_rule = rates_by(recorded, "rule").set_index("rule")
    assert by_rule.loc["BAND_GREY_ZONE", "referred"] == 6 and by_rule.loc["HS_INDUSTRY_WARNING", "referred"] == 2
    assert by_rule.loc["HS_INDUSTRY_WARNING", "review_approval_rate"] == pytest.approx(1.0)
    by_officer = rates_by(recorded, "officer").set_index("officer")
    assert by_officer["decisions"].sum() == 10 and by_officer.loc["wang", "overridden"] == 1
    assert recorded["amount_changed"].sum() == 6  # every approval at 150,000 against the system's 180,000


def test_the_report_page_renders_in_a_browser(recorded: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    ids = [f"APP{i}" for i in range(10)]
    pd.DataFrame({"application_id": ids, "booked": [True] * 10, "bad_12m": [0, 0, 1, 0, 0, 1, 0, 0, 0, 0]}
                 ).to_parquet(data / "outcomes.parquet")
    pd.DataFrame({"application_id": ids, "bad_12m_if_booked": [0, 0, 1, 1, 0, 1, 0, 0, 1, 1]}
                 ).to_parquet(data / "truth.parquet")
    path = write_override_report(recorded, load_override_reasons(), tmp_path / "overrides_report.html", data)
    page = path.read_text(encoding="utf-8")
    assert "推翻率 25.0%" in page and "override rate 25.0%" in page and "尽调核实的经营流水" in page
    assert re.search(r'<td>override_down</td><td>decline</td>(<td class="num">1</td>){2}(<td class="num">100\.0%</td>){2}', page), (
        "the overridden decline's outcome must be shown")
    for zh, en in (("按风险等级", "By risk class"), ("贷款表现", "How the loans performed")):
        assert f'{en} <span class="zh" lang="zh-CN">{zh}</span>' in page  # every heading in both languages
    assert len(embedded_pngs(page)) == 1
    require_chromium()
    shot = screenshot(path, tmp_path / "overrides_report.png", height=1800)
    assert_not_blank(shot, min_chroma=0.002, what="the overrides report")
