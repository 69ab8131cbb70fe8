"""The second score after offline due diligence (seed 000 §五), as properties of the rescoring
by the session's trained champions and the packaged settings (``policy/diligence.yaml``):

- better findings (more takings, bills and footfall, a verified site, a better view of the
  owner) never lower the second score nor the final limit, with either method;
- the final limit never exceeds the recommended product's cap, the class's cap or the amount
  asked, and a rejection lends nothing;
- the seed's restaurant: a request above the pre-approved limit is offered the pre-approved
  limit at once; the visit's findings then decide the whole request on the second score.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodels.config import Settings
from riskmodels.decision import ModelBundle, decide
from riskmodels.decision.diligence import (
    DiligenceDecision,
    FindingsInvalid,
    finding_features,
    rescore,
    second_points,
)
from riskmodels.features import build_features_one
from riskmodels.policy import quote_rate
from riskmodels.policy.diligence import FEATURES, default_diligence
from riskmodels.scorecard.scaling import ScoreScale
from riskmodels.synth import reference_bodies
from tests._bodies import book_bodies

RULES = settings(max_examples=120, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# What 小李 found at 老王家常菜 (seed 000 §五): the seed names the checklist, not the figures. These
# are what a restaurant selling 1.5 million a year (125,000 a month) shows when the online data
# is right: 3.5% of takings in electricity, 1% in water, a third paid by WeChat/Alipay, a quarter
# through delivery platforms, 60-yuan tickets at the lunch peak; premises verified on site; an
# owner with 20 years in the trade and a plan (4 of 5).
SEED_FINDINGS: dict[str, Any] = {
    "visit_date": "2025-01-22", "site_verified": True, "electricity_bill_monthly": 4_400.0,
    "water_bill_monthly": 1_250.0, "wechat_alipay_monthly": 43_000.0, "delivery_platform_monthly": 31_000.0,
    "peak_footfall_per_hour": 21, "owner_assessment": 4, "account_manager_id": "AM-LI"}
# Seed 000 §五: the visit is for a request above the pre-approved limit. Today's policy approves
# the restaurant's 150,000 at once, so it asks 300,000 of general credit here.
SEED_REQUEST = 300_000.0


@pytest.fixture(scope="module")
def bundle(trained_store: Settings) -> ModelBundle:
    from riskmodels.registry.champions import load_champions

    return load_champions(trained_store)


@pytest.fixture(scope="module")
def book(portfolio_dir: Path) -> list[dict[str, Any]]:
    """Applications of the session's book as API bodies, plus the three reference customers."""
    return book_bodies(portfolio_dir, 400)


def _findings(application: dict[str, Any], level: float, verified: bool, owner: int,
              shares: tuple[float, float, float, float]) -> dict[str, Any]:
    """Findings at ``level`` times the declared monthly revenue (by channel ``shares``)."""
    monthly = application["declared_annual_revenue"] / 12 * level
    electricity, water, wallet, delivery = shares
    return {"visit_date": application["application_date"], "site_verified": verified,
            "electricity_bill_monthly": round(monthly * electricity, 2), "water_bill_monthly": round(monthly * water, 2),
            "wechat_alipay_monthly": round(monthly * wallet, 2), "delivery_platform_monthly": round(monthly * delivery, 2),
            "peak_footfall_per_hour": int(min(monthly / 60 / 30 * 0.3, 10_000)), "owner_assessment": owner}


def _pair(data: st.DataObject, application: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two sets of findings, the second at least as good as the first in every finding."""
    shares = data.draw(st.tuples(*(st.floats(0.0, 0.6) for _ in range(4))))
    level = data.draw(st.floats(0.05, 3.0))
    better_level = level * data.draw(st.floats(1.0, 3.0))
    verified = data.draw(st.booleans())
    owner = data.draw(st.integers(1, 5))
    worse = _findings(application, level, verified, owner, shares)
    better = _findings(application, better_level, verified or data.draw(st.booleans()),
                       data.draw(st.integers(owner, 5)), shares)
    return worse, better


def _rescore(application: dict[str, Any], findings: dict[str, Any], bundle: ModelBundle,
             method: str | None = None) -> DiligenceDecision:
    chosen = default_diligence()
    if method is not None:
        chosen = chosen.model_copy(update={"method": method})
    return rescore(application, findings, bundle, "first", settings=chosen)


@RULES
@given(data=st.data(), method=st.sampled_from(["logit", "points"]))
def test_better_findings_never_lower_the_second_score_nor_the_limit(bundle: ModelBundle, book: list[dict[str, Any]],
                                                                    data: st.DataObject, method: str) -> None:
    application = data.draw(st.sampled_from(book))
    worse, better = _pair(data, application)
    low, high = _rescore(application, worse, bundle, method), _rescore(application, better, bundle, method)
    assert high.second.pd <= low.second.pd + 1e-12
    assert high.second.score >= low.second.score - 1e-9
    assert high.limit.final >= low.limit.final
    assert high.limit.pre_approved >= low.limit.pre_approved


@RULES
@given(data=st.data())
def test_the_limit_never_exceeds_the_product_cap_the_class_cap_or_the_amount_asked(
        bundle: ModelBundle, book: list[dict[str, Any]], data: st.DataObject) -> None:
    application = dict(data.draw(st.sampled_from(book)))
    application["requested_amount"] = data.draw(st.sampled_from([5e4, 3e5, 1.5e6, 3e6, 5e6]))
    findings = _findings(application, data.draw(st.floats(0.05, 5.0)), data.draw(st.booleans()),
                         data.draw(st.integers(1, 5)), (0.05, 0.01, 0.5, 0.5))
    answer = _rescore(application, findings, bundle)
    policy = bundle.policy
    limit = answer.limit
    assert limit.final <= limit.requested_amount
    if answer.decision == "reject":
        assert (limit.final, limit.pre_approved, answer.rate) == (0.0, 0.0, None)
        return
    product = next((p for p in limit.by_product if p.product == limit.recommended_product), None)
    if product is None:
        assert limit.final == 0.0
        return
    cap = getattr(policy.products, product.product).cap
    sized = next(c for c in policy.classes if c.name == limit.sized_class)
    assert limit.final <= product.limit <= min(cap, sized.limit_cap)
    assert all(p.limit <= min(getattr(policy.products, p.product).cap, sized.limit_cap) for p in limit.by_product)


@RULES
@given(data=st.data(), method=st.sampled_from(["logit", "points"]))
def test_each_better_feature_alone_never_lowers_the_second_points(data: st.DataObject, method: str) -> None:
    settings_ = default_diligence()
    scale = ScoreScale()
    first = np.array([data.draw(st.floats(-20, 120))])
    base = {name: np.array([data.draw(st.floats(-4, 4))]) for name in FEATURES}
    base["site_not_verified"] = np.array([float(data.draw(st.booleans()))])
    name = data.draw(st.sampled_from(FEATURES))
    better = dict(base)
    step = data.draw(st.floats(0, 4))
    better[name] = base[name] - step if name == "site_not_verified" else base[name] + step
    if name == "site_not_verified":
        better[name] = np.clip(better[name], 0, 1)
    low, _ = second_points(first, base, scale, settings_, method)  # type: ignore[arg-type]
    high, _ = second_points(first, better, scale, settings_, method)  # type: ignore[arg-type]
    assert high[0] >= low[0] - 1e-9


def test_the_restaurants_path_from_pre_approval_to_final_limit(bundle: ModelBundle) -> None:
    """Seed 000 §四-§五: 老王家常菜 asks more than it is pre-approved for; the pre-approved limit is
    offered at once, the account manager visits, and the second score sets the final limit."""
    laowang = {**reference_bodies()["laowang"], "requested_amount": SEED_REQUEST}
    first = decide(laowang, bundle, request_id="laowang-application")
    assert first.decision == "offer", [r.id for r in first.rules]
    assert first.limit.final == first.limit.pre_approved < SEED_REQUEST
    assert "LIMIT_ABOVE_PREAPPROVED" in [r.id for r in first.rules]

    answer = rescore(laowang, SEED_FINDINGS, bundle, "laowang-application", request_id="laowang-diligence")
    second = answer.second
    assert (answer.application_request_id, answer.first, answer.first_limit) == (
        "laowang-application", "offer", first.limit.final)
    assert second.first_score == first.credit.score and second.method == default_diligence().method
    # Findings in line with the online data confirm the card: the score moves by a few points.
    assert abs(second.score - second.first_score) < 5
    # The effects, in points, add up to the move from the A card's unclipped points to the logit's
    # (whose PD is the logistic of its points; the A card's may bend, issue 13's calibration).
    first_points = sum(c.points for c in bundle.scorecard.contributions_one(build_features_one(laowang)))
    assert sum(e.points for e in second.effects) == pytest.approx(
        bundle.scorecard.scale.to_points(second.pd) - first_points, abs=1e-6)
    # The visit answered the excess: the whole request is decided on the second score, and the
    # final limit is what the policy lends in the second score's class, never above the request.
    assert answer.decision == "approve", [(r.id, r.action) for r in answer.rules]
    assert "LIMIT_ABOVE_PREAPPROVED" not in [r.id for r in answer.rules]
    assert answer.limit.final == min(answer.limit.pre_approved, SEED_REQUEST) > 0
    general = next(p for p in answer.limit.by_product if p.product == "general_credit")
    assert general.binding_constraint == "inflow_months"  # months of the account's inflow, as in the seed
    policy = bundle.policy
    assert answer.rate == quote_rate(policy.risk_class(second.score), second.pd, policy).rate_pct


def test_poor_findings_lower_the_restaurants_score_class_and_limit(bundle: ModelBundle) -> None:
    laowang = {**reference_bodies()["laowang"], "requested_amount": SEED_REQUEST}
    good = rescore(laowang, SEED_FINDINGS, bundle, "laowang-application")
    poor = rescore(laowang, {**SEED_FINDINGS, "site_verified": False, "electricity_bill_monthly": 900.0,
                             "water_bill_monthly": 200.0, "wechat_alipay_monthly": 6_000.0,
                             "delivery_platform_monthly": None, "peak_footfall_per_hour": 3, "owner_assessment": 2},
                   bundle, "laowang-application")
    assert poor.second.score < good.second.score - 10
    assert poor.limit.final < good.limit.final
    assert poor.second.effects[0].points < 0 and poor.second.effects[0].feature != "recalibration"


def test_findings_outside_their_contract_score_nothing(bundle: ModelBundle) -> None:
    laowang = reference_bodies()["laowang"]
    with pytest.raises(FindingsInvalid, match=r"findings\.owner_assessment must be between 1 and 5"):
        rescore(laowang, {**SEED_FINDINGS, "owner_assessment": 9}, bundle, "laowang-application")
    with pytest.raises(FindingsInvalid, match=r"findings\.visit_date must be on or after the application date"):
        rescore(laowang, {**SEED_FINDINGS, "visit_date": "2024-12-31"}, bundle, "laowang-application")


def test_features_are_neutral_when_a_finding_is_not_observed() -> None:
    settings_ = default_diligence()
    observed = finding_features({**SEED_FINDINGS, "peak_footfall_per_hour": None, "delivery_platform_monthly": None},
                                1_500_000.0, "catering", settings_)
    assert observed["footfall"][0] == 0.0
    assert observed["site_not_verified"][0] == 0.0 and observed["owner_assessment"][0] == 1.0
