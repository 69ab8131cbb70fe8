"""One call for the whole answer: features -> fraud model -> A card -> policy -> reason codes.

``decide`` answers one application (the live API: a dict of contract columns, no pandas work);
``riskmodels.decision.frame.decide_frame`` answers a frame (batch scoring) on arrays, with the
same answers row for row; ``decision_row`` flattens one ``Decision`` to a row of its columns.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.contract import PRODUCTS
from riskmodels.decision.limit_score import LimitSizing
from riskmodels.decision.reasons import ReasonCode, check_catalogued, gbm_reasons, scorecard_reasons
from riskmodels.features import build_features_one
from riskmodels.models.fraud import FraudModel
from riskmodels.policy import LimitDecision, Policy, PriceQuote, RuleHit, apply_policy, facts_from
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution

FraudVerdict = Literal["pass", "review", "reject"]


class FraudResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: float = Field(description="Fraud score 0-100, higher is safer")
    probability: float = Field(description="Calibrated probability of fraud")
    verdict: FraudVerdict
    reasons: list[ReasonCode] = Field(description="Top adverse SHAP contributions (log-odds of fraud)")


class CreditResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    score: float = Field(description="A-card score 0-100, higher is safer")
    pd: float = Field(description="The applicant's calibrated probability of default from the A card "
                                  "(from the unclipped points, never from the 0-100 score)")
    risk_class: str
    class_pd: float | None = Field(description="PD of the risk class (the master scale's)")
    grade: str | None = Field(None, description="Master-scale grade of the applicant's calibrated PD")


class ModelVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    version: str


class Decision(BaseModel):
    """The answer the API and batch scoring return for one application."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    application_id: str | None
    decision: Literal["approve", "offer", "review", "reject"] = Field(
        description="offer: the pre-approved limit at once, the amount above it to offline due diligence")
    fraud: FraudResult
    credit: CreditResult
    limit: LimitDecision
    rate: float | None = Field(description="Quoted rate, percent a year (null on a rejection)")
    pricing: PriceQuote | None = Field(description="Every component of the rate (null on a rejection)")
    rules: list[RuleHit] = Field(description="Every policy rule that fired: knock-outs, fraud, bands, limits")
    reasons: list[ReasonCode] = Field(description="A-card reason codes: top adverse contributions")
    models: list[ModelVersion] = Field(description="Registered models and the policy that answered")


@dataclass(frozen=True)
class ModelBundle:
    """What ``decide`` needs, loaded once: the A card, the fraud model, the policy, their versions
    (registered model name -> version) and the training runs behind them."""

    scorecard: CompiledScorecard
    fraud: FraudModel
    policy: Policy
    versions: Mapping[str, str | int] = field(default_factory=dict)
    runs: Mapping[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.scorecard, CompiledScorecard):
            raise TypeError(f"scorecard must be a CompiledScorecard; got {type(self.scorecard).__name__}")
        if not hasattr(self.fraud, "features_"):
            raise TypeError(f"fraud must be a fitted FraudModel; got {type(self.fraud).__name__}")
        if not isinstance(self.policy, Policy):
            raise TypeError(f"policy must be a Policy (see riskmodels.policy.load_policy); got "
                            f"{type(self.policy).__name__}")
        check_catalogued([*self.scorecard.features, *self.fraud.features_])

    @cached_property
    def limit_sizing(self) -> LimitSizing:
        """How the limit score holds the A card's characteristics of missing sources."""
        return LimitSizing.of(self.scorecard, self.policy.limits.sized_with_missing_at_worst)

    @cached_property
    def model_versions(self) -> list[ModelVersion]:
        """Each registered model's version, and the policy's (a replay with another policy differs)."""
        named = [ModelVersion(name=name, version=str(version)) for name, version in self.versions.items()]
        return [*named, ModelVersion(name="policy", version=self.policy.version)]


def _answer(application: Mapping[str, Any], features: Mapping[str, Any], contributions: Sequence[Contribution],
            fraud: tuple[float, float, str, Sequence[float]], bundle: ModelBundle, request_id: str) -> Decision:
    """The policy and the reasons, given the models' outputs for one row (both paths end here)."""
    scale = bundle.scorecard.scale
    total = 0.0
    for contribution in contributions:  # summed in the scorecard's order, as score_one does
        total += contribution.points
    score = min(max(total, scale.min_score), scale.max_score)
    applicant_pd = float(bundle.scorecard.pd_from_points(total))
    fraud_score, fraud_probability, model_verdict, fraud_shap = fraud
    policy = bundle.policy
    limit_total = bundle.limit_sizing.points(contributions, features)
    outcome = apply_policy(facts_from(application, features), score, applicant_pd, fraud_score, model_verdict, policy,
                           limit_score=min(max(limit_total, scale.min_score), scale.max_score),
                           limit_pd=float(bundle.scorecard.pd_from_points(limit_total)))
    top_n = policy.reasons.top_n
    fraud_verdict = cast(FraudVerdict, outcome.fraud_verdict)  # the policy's str; FraudResult validates it
    return Decision(
        request_id=request_id, application_id=_text(application.get("application_id")), decision=outcome.decision,
        fraud=FraudResult(score=fraud_score, probability=fraud_probability, verdict=fraud_verdict,
                          reasons=gbm_reasons(fraud_shap, bundle.fraud.features_, features, "fraud", top_n)),
        credit=CreditResult(score=score, pd=applicant_pd, risk_class=outcome.risk_class, class_pd=outcome.class_pd,
                            grade=policy.master_scale.grade_of(applicant_pd).name),
        limit=outcome.limit, rate=outcome.pricing.rate_pct if outcome.pricing else None, pricing=outcome.pricing,
        rules=outcome.rules, reasons=scorecard_reasons(contributions, features, top_n, card=bundle.scorecard),
        models=bundle.model_versions)


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)  # value != value: NaN


def decide(application: Mapping[str, Any], bundle: ModelBundle, request_id: str | None = None) -> Decision:
    """The full answer for one application given as a dict of contract columns."""
    features = build_features_one(application)
    return _answer(application, features, bundle.scorecard.contributions_one(features),
                   bundle.fraud.assess_one(features), bundle,
                   request_id or uuid.uuid4().hex)


# The columns of ``decide_frame``: scalars, then the ids of the rules and reasons that fired.
ROW_COLUMNS = [
    "request_id", "application_id", "decision", "fraud_score", "fraud_probability", "fraud_verdict", "score", "pd",
    "risk_class", "class_pd", "grade", "sized_class", "requested_product", "requested_amount", "recommended_product", "pre_approved_limit",
    "final_limit", "rate", *(f"limit_{p}{s}" for p in PRODUCTS for s in ("", "_reason")), "deciding_rule", "rules",
    "reason_codes", "fraud_reason_codes",
]


def deciding_rule(decision: Decision) -> str | None:
    """The first rule whose action is the decision (the rule a funnel counts the outcome under)."""
    return next((rule.id for rule in decision.rules if rule.action == decision.decision), None)


def decision_row(decision: Decision) -> dict[str, Any]:
    """A decision flattened to one row of scalars (and id lists), as ``decide_frame`` returns it."""
    row: dict[str, Any] = {
        "request_id": decision.request_id, "application_id": decision.application_id,
        "decision": decision.decision, "fraud_score": decision.fraud.score,
        "fraud_probability": decision.fraud.probability, "fraud_verdict": decision.fraud.verdict,
        "score": decision.credit.score, "pd": decision.credit.pd, "risk_class": decision.credit.risk_class,
        "class_pd": decision.credit.class_pd, "grade": decision.credit.grade,
        "sized_class": decision.limit.sized_class, "requested_product": decision.limit.requested_product,
        "requested_amount": decision.limit.requested_amount,
        "recommended_product": decision.limit.recommended_product,
        "pre_approved_limit": decision.limit.pre_approved, "final_limit": decision.limit.final,
        "rate": decision.rate,
    }
    for product in decision.limit.by_product:
        row[f"limit_{product.product}"] = product.limit
        row[f"limit_{product.product}_reason"] = (
            product.binding_constraint if product.eligible else product.failed_admission[0].id)
    row["deciding_rule"] = deciding_rule(decision)
    row["rules"] = [rule.id for rule in decision.rules]
    row["reason_codes"] = [reason.code for reason in decision.reasons]
    row["fraud_reason_codes"] = [reason.code for reason in decision.fraud.reasons]
    return row
