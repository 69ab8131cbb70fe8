"""The policy file: every number configurable, validated on load with errors naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from riskmodels.contract import PRODUCTS
from riskmodels.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy, parse_policy, with_class_pds
from riskmodels.policy.limits import PRODUCT_RULES


def default_settings() -> dict:
    return yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))


def problems(data: dict) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(data)
    return str(info.value)


def test_the_packaged_policy_holds_the_domain_numbers() -> None:
    policy = load_policy()
    assert [(c.name, c.min_score, c.limit_cap) for c in policy.classes] == [
        ("A", 80, 2_000_000), ("B", 70, 1_500_000), ("C", 60, 1_000_000), ("D", 0, 500_000)]
    assert [c.price_multiplier for c in policy.classes] == [1.10, 1.15, 1.15, 1.20]
    # Seed 002's reject line; the approve line tuned with the strategy lab (default_policy.yaml).
    assert (policy.bands.approve_from, policy.bands.reject_below) == (65, 60)
    assert (policy.bands.high_score_exceptions.max_amount, policy.bands.high_score_exceptions.above_max_amount) == (
        2_000_000, "offer")
    assert (policy.limits.thin_data, policy.limits.no_product) == ("low_score_cap", "reject")
    assert policy.knockouts.personal_bureau.max_overdues_le30_24m == 6
    assert policy.knockouts.personal_bureau.max_dpd_24m == 30
    assert policy.bands.low_score_exceptions.min_owner_financial_assets == 3_000_000
    assert policy.pricing.funding_cost_pct == 3.0 and policy.pricing.lgd == 0.45
    assert all(c.pd is None for c in policy.classes)  # filled from the A card when models load


def test_every_product_of_the_contract_has_settings_and_rules() -> None:
    assert tuple(PRODUCT_RULES) == PRODUCTS
    assert tuple(load_policy().products.model_dump()) == PRODUCTS


def test_a_file_elsewhere_is_read(tmp_path: Path) -> None:
    data = default_settings()
    data["pricing"]["lgd"] = 0.6
    data["version"] = "branch-42"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    policy = load_policy(path)
    assert (policy.version, policy.pricing.lgd) == ("branch-42", 0.6)


def test_a_bad_value_is_named_by_its_full_path() -> None:
    data = default_settings()
    data["pricing"]["lgd"] = 1.5
    assert "policy.pricing.lgd must be between 0 and 1; got 1.5" in problems(data)


@pytest.mark.parametrize(("path", "value", "message"), [
    (("classes", 1, "limit_cap"), "lots", "policy.classes[1].limit_cap must be a number; got 'lots'"),
    (("classes", 0, "pd_override"), 2, "policy.classes[0].pd_override must be between 0 and 1; got 2"),
    (("limits", "rounding_step"), 0, "policy.limits.rounding_step must be positive; got 0"),
    (("knockouts", "prohibited_industries"), ["casinos"], "policy.knockouts.prohibited_industries[0] must be one of"),
    (("knockouts", "blacklist"), "maybe", "policy.knockouts.blacklist must be true or false; got 'maybe'"),
    (("products", "tax_loan", "max_term_months"), 6.5, "policy.products.tax_loan.max_term_months must be a whole"),
    (("pricing", "method"), "cost_plus", "policy.pricing.method must be one of 'risk_based' or 'band_multiplier'"),
    (("bands", "approve_form"), 80, "policy.bands.approve_form is not a known setting"),
])
def test_each_kind_of_mistake_reads_plainly(path: tuple, value: object, message: str) -> None:
    data = default_settings()
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert message in problems(data)


def test_a_missing_setting_and_several_mistakes_are_all_listed() -> None:
    data = default_settings()
    del data["version"]
    data["pricing"]["lgd"] = -1
    text = problems(data)
    assert "policy.version is required" in text and "policy.pricing.lgd must be between 0 and 1; got -1" in text


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["pricing"].update(floor_pct=3.52), "policy.pricing.floor_pct must be a multiple of step_pct"),
    (lambda d: d["pricing"].update(floor_pct=13.0), "policy.pricing.floor_pct must be at most cap_pct (12); got 13"),
    (lambda d: d["bands"].update(reject_below=85), "policy.bands.reject_below must be at most approve_from (65)"),
    (lambda d: d["classes"][2].update(min_score=75), "policy.classes must run best first"),
    (lambda d: d["classes"][3].update(min_score=10), "ending at 0; got [80.0, 70.0, 60.0, 10.0]"),
    (lambda d: d["products"]["pos_loan"].update(best_classes=["AA"]), "best_classes must name classes"),
    (lambda d: d["fraud"].update(pass_score=60), "policy.fraud.pass_score must be set together with review_score"),
    (lambda d: d["knockouts"].update(min_owner_age=75), "policy.knockouts.min_owner_age must be at most"),
])
def test_settings_that_contradict_each_other_are_refused(change, message: str) -> None:
    data = default_settings()
    change(data)
    assert message in problems(data)


def test_unreadable_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="must be an existing YAML file"):
        load_policy(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("pricing: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="must be valid YAML"):
        load_policy(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(PolicyError, match="must be a mapping of settings; got NoneType"):
        load_policy(empty)


def test_class_pds_come_from_the_model_unless_overridden() -> None:
    data = default_settings()
    data["classes"][0]["pd_override"] = 0.002
    policy = with_class_pds(parse_policy(data), {"A": 0.006, "B": 0.015})
    a, b, c = policy.classes[:3]
    assert (a.pd, a.effective_pd) == (0.006, 0.002)  # the risk manager's override wins
    assert b.effective_pd == 0.015 and c.effective_pd is None
    unknown = r"class PDs must name classes of the policy \['A', 'B', 'C', 'D'\]; got \['E'\]"
    with pytest.raises(PolicyError, match=unknown):
        with_class_pds(policy, {"E": 0.1})
    with pytest.raises(PolicyError, match="class PD of 'B' must be a probability strictly between 0 and 1; got 1.2"):
        with_class_pds(policy, {"B": 1.2})


def test_risk_class_by_score_band() -> None:
    policy = load_policy()
    assert [policy.risk_class(s).name for s in (100, 80, 79.999, 70, 69.99, 60, 59.99, 0)] == list("AABBCCDD")
