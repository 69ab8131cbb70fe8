"""The due-diligence findings' contract: every finding typed, bounded and labelled in both
languages, and a finding outside it refused naming the finding and the rule."""

from __future__ import annotations

import re

import pytest

from riskmodels.contract import DILIGENCE_FINDINGS, FINDING_LABELS, FINDINGS, REQUIRED_FINDINGS
from riskmodels.contract.diligence import finding
from riskmodels.decision.diligence import check_findings

CJK = re.compile(r"[\u4e00-\u9fff]")
SEED_FINDINGS = {"visit_date": "2025-01-20", "site_verified": True, "electricity_bill_monthly": 4200.0,
                 "water_bill_monthly": 1250.0, "wechat_alipay_monthly": 42000.0, "delivery_platform_monthly": 30000.0,
                 "peak_footfall_per_hour": 18, "owner_assessment": 4, "account_manager_id": "AM-007"}


def test_every_finding_has_a_type_a_range_a_unit_and_two_labels() -> None:
    assert DILIGENCE_FINDINGS.key == ("application_id",)
    assert DILIGENCE_FINDINGS.names == ["application_id", *(f.name for f in FINDINGS)]
    for item in FINDINGS:
        zh, en = FINDING_LABELS[item.name]
        assert CJK.search(zh) and en and not CJK.search(en), item.name
        assert item.column.source == "diligence"
        if item.column.is_numeric():
            assert item.column.unit and item.column.minimum is not None and item.column.maximum is not None, item.name
        assert item.column.required == (not item.column.nullable), item.name


def test_the_checklist_of_the_seed_is_required_and_what_a_business_may_lack_is_optional() -> None:
    # Seed 000 §五: photos, bills, WeChat/Alipay receipts, soft information for everyone; a
    # delivery platform and walk-in footfall only where the business has them.
    assert set(REQUIRED_FINDINGS) == {"visit_date", "site_verified", "electricity_bill_monthly", "water_bill_monthly",
                                      "wechat_alipay_monthly", "owner_assessment"}
    assert finding("delivery_platform_monthly").column.nullable
    with pytest.raises(KeyError, match="finding must be one of"):
        finding("rent")


def test_findings_within_the_contract_pass() -> None:
    assert check_findings(SEED_FINDINGS, "2025-01-15") == []
    optional_left_out = {k: v for k, v in SEED_FINDINGS.items() if k not in ("delivery_platform_monthly",
                                                                            "peak_footfall_per_hour",
                                                                            "account_manager_id")}
    assert check_findings(optional_left_out, "2025-01-15") == []


@pytest.mark.parametrize(("name", "value", "rule"), [
    ("water_bill_monthly", -1.0, "must be between 0 and 100,000,000 (CNY)"),
    ("owner_assessment", 6, "must be between 1 and 5 (score)"),
    ("owner_assessment", 3.5, "must be a whole number"),
    ("peak_footfall_per_hour", 20_000, "must be between 0 and 10,000 (count)"),
    ("electricity_bill_monthly", float("nan"), "must be a finite number"),
    ("site_verified", 1, "must be true or false"),
    ("wechat_alipay_monthly", None, "is required"),
    ("visit_date", "2025-01-10", "must be on or after the application date (2025-01-15)"),
    ("visit_date", "20 Jan", "must be a date written YYYY-MM-DD"),
])
def test_a_finding_outside_its_contract_is_named_with_its_rule(name: str, value: object, rule: str) -> None:
    problems = check_findings({**SEED_FINDINGS, name: value}, "2025-01-15")
    assert [(p.field, p.rule) for p in problems] == [(f"findings.{name}", rule)]


def test_an_unknown_finding_is_refused() -> None:
    problems = check_findings({**SEED_FINDINGS, "rent_monthly": 9000.0}, "2025-01-15")
    assert [(p.field, p.rule) for p in problems] == [("findings.rent_monthly", "is not a finding of the contract")]
