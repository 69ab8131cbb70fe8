"""The second score after offline due diligence (seed 000 §五, 二次评分), the final limit and rate.

The account manager's findings (``riskmodels.contract.diligence``) become five features, each
read against the revenue declared on the application (``finding_features``); the second score
merges them with the A card's log-odds, on the A card's own line (``second_points``: the
fitted ``logit`` or the documented ``points`` adjustment of ``policy/diligence.yaml``). The
policy then runs again on the second score: class, limits (the limit score moves by the same
points, so a thin file's starter limit can rise), risk-based rate. The visit answers the rules
it was sent for (the grey zone, the amount above the pre-approved limit); any other review rule
still goes to a person. The array functions serve the batch benchmark and the single row alike.
No I/O here.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from riskmodels.contract import FINDING_LABELS, FINDINGS
from riskmodels.decision.application import (
    CreditResult,
    Decision,
    FraudVerdict,
    ModelBundle,
    ModelVersion,
    decide,
)
from riskmodels.features import build_features_one
from riskmodels.policy import LimitDecision, PriceQuote, RuleHit, apply_policy, facts_from
from riskmodels.policy.diligence import ACTIVITY, FEATURES, DiligenceSettings, default_diligence
from riskmodels.policy.outcome import decision_of
from riskmodels.scorecard.scaling import ScoreScale

Floats = npt.NDArray[np.float64]
_FEATURE_FINDINGS = {"receipts": ("wechat_alipay_monthly", "delivery_platform_monthly"),
                     "utilities": ("electricity_bill_monthly", "water_bill_monthly"),
                     "footfall": ("peak_footfall_per_hour",), "site_not_verified": ("site_verified",),
                     "owner_assessment": ("owner_assessment",)}
_FEATURE_TEXT = {
    "receipts": ("微信、支付宝及外卖平台收款相对申报收入", "WeChat/Alipay and delivery-platform takings against the "
                 "declared revenue"),
    "utilities": ("水电费相对申报收入", "utility bills against the declared revenue"),
    "footfall": ("高峰期客流相对申报收入", "peak-hour footfall against the declared revenue"),
    "site_not_verified": ("经营场所现场核实", "business verified on site"),
    "owner_assessment": ("经营者软信息评价", "the account manager's assessment of the owner"),
}
FLOOR = {"receipts": 1.0, "utilities": 1.0, "footfall": 0.5}  # CNY, CNY, customers: log of a zero


class FindingProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str = Field(description="The finding at fault, e.g. findings.water_bill_monthly")
    rule: str
    got: Any = None


class FindingsInvalid(ValueError):
    """Findings that break their contract; ``problems`` names each finding and the rule."""

    def __init__(self, problems: Sequence[FindingProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field} {p.rule}; got {p.got!r}" for p in self.problems))


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _shown(bound: float | None) -> str:
    value = float(bound or 0)
    return f"{value:,.0f}" if value.is_integer() else f"{value:g}"


def check_findings(findings: Mapping[str, Any], application_date: Any = None) -> list[FindingProblem]:
    """Every way ``findings`` break the contract (required, type, range), and a visit dated
    before the application; empty when they are fine."""
    problems = []
    known = {f.name for f in FINDINGS}
    for name in sorted(set(findings) - known):
        problems.append(FindingProblem(field=f"findings.{name}", rule="is not a finding of the contract"))
    for item in FINDINGS:
        column, value, where = item.column, findings.get(item.name), f"findings.{item.name}"
        if value is None:
            if column.required:
                problems.append(FindingProblem(field=where, rule="is required"))
            continue
        if column.dtype == "bool" and not isinstance(value, bool):
            problems.append(FindingProblem(field=where, rule="must be true or false", got=value))
        elif column.dtype in ("int", "float"):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or (column.dtype == "int" and value != int(value)):
                kind = "a whole number" if column.dtype == "int" else "a finite number"
                problems.append(FindingProblem(field=where, rule=f"must be {kind}", got=value))
            elif not (column.minimum or 0) <= value <= (column.maximum if column.maximum is not None else math.inf):
                problems.append(FindingProblem(field=where, rule=f"must be between {_shown(column.minimum)} and "
                                               f"{_shown(column.maximum)} ({column.unit})", got=value))
        elif column.dtype == "date":
            visit, applied = _date(value), _date(application_date)
            if visit is None:
                problems.append(FindingProblem(field=where, rule="must be a date written YYYY-MM-DD", got=value))
            elif applied is not None and visit < applied:
                problems.append(FindingProblem(field=where, rule=f"must be on or after the application date "
                                               f"({applied.isoformat()})", got=visit.isoformat()))
        elif column.dtype == "string" and (not isinstance(value, str) or not value):
            problems.append(FindingProblem(field=where, rule="must be a non-empty string", got=value))
    return problems


def _column(rows: Mapping[str, Any], name: str, n: int) -> Floats:
    values = rows.get(name)
    if values is None:
        return np.full(n, np.nan)
    return np.array([np.nan if v is None else float(v) for v in np.atleast_1d(np.asarray(values, dtype=object))])


def raw_ratios(findings: Mapping[str, Any], declared_annual_revenue: Any) -> dict[str, Floats]:
    """Each activity finding's log ratio to the declared monthly revenue, before the industry's
    norm; ``findings`` maps each finding to a value or an array (None or NaN: not observed)."""
    monthly = np.atleast_1d(np.asarray(declared_annual_revenue, dtype=float)) / 12
    n = len(monthly)
    receipts = _column(findings, "wechat_alipay_monthly", n) + np.nan_to_num(
        _column(findings, "delivery_platform_monthly", n))
    utilities = _column(findings, "electricity_bill_monthly", n) + _column(findings, "water_bill_monthly", n)
    footfall = _column(findings, "peak_footfall_per_hour", n)
    out = {}
    for name, value in (("receipts", receipts), ("utilities", utilities), ("footfall", footfall)):
        with np.errstate(divide="ignore", invalid="ignore"):
            out[name] = np.log(np.maximum(value, FLOOR[name]) / monthly)  # NaN stays NaN: not observed
    return out


def finding_features(findings: Mapping[str, Any], declared_annual_revenue: Any, industry: Any,
                     settings: DiligenceSettings) -> dict[str, Floats]:
    """The five features of the second score: the activity ratios less their industry's norm,
    held within +-clip (0 when not observed), the site flag, the owner's assessment less 3."""
    ratios = raw_ratios(findings, declared_annual_revenue)
    industries = np.atleast_1d(np.asarray(industry, dtype=object))
    n = len(industries)
    out = {}
    for name in ACTIVITY:
        norms = settings.norms[name]
        centred = ratios[name] - np.array([norms.of(i) for i in industries])
        out[name] = np.nan_to_num(np.clip(centred, -settings.clip, settings.clip), nan=0.0)
    verified = _column(findings, "site_verified", n)
    out["site_not_verified"] = np.where(verified == 1.0, 0.0, 1.0)
    out["owner_assessment"] = _column(findings, "owner_assessment", n) - 3.0
    return out


def second_points(first_points: Any, features: Mapping[str, Floats], scale: ScoreScale,
                  settings: DiligenceSettings, method: Literal["logit", "points"] | None = None,
                  ) -> tuple[Floats, dict[str, Floats]]:
    """The second score's unclipped points, and each part of the change from the A card's
    points (in points; ``recalibration``: the logit's own level and weight on the A card)."""
    points = np.atleast_1d(np.asarray(first_points, dtype=float))
    method = method or settings.method
    parts: dict[str, Floats] = {}
    if method == "logit":
        fit = settings.logit
        log_odds = (scale.offset - points) / scale.factor
        parts["recalibration"] = -scale.factor * (fit.intercept + (fit.a_card - 1.0) * log_odds)
        for name in FEATURES:
            parts[name] = -scale.factor * fit.coefficients.get(name, 0.0) * features[name]
    else:
        adj = settings.points
        for name in ACTIVITY:
            parts[name] = np.array([adj.activity_points(float(x)) for x in features[name]])
        parts["site_not_verified"] = adj.site_not_verified * features["site_not_verified"]
        parts["owner_assessment"] = adj.owner_points_per_step * features["owner_assessment"]
    change = np.zeros_like(points)
    for part in parts.values():
        change = change + part
    return points + change, parts


class FindingEffect(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str = Field(description="receipts, utilities, footfall, site_not_verified, owner_assessment, "
                                     "or recalibration (the logit's level and weight on the A card)")
    findings: list[str] = Field(description="The findings it reads")
    value: float | None = Field(description="The feature's value (log ratio to the industry's norm, a flag, "
                                            "the assessment less 3); null for recalibration")
    points: float = Field(description="Points it adds to the A card's (negative: it lowers the score)")
    text_zh: str
    text_en: str


class SecondScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    method: Literal["logit", "points"]
    first_score: float = Field(description="The A card's score, 0-100")
    first_pd: float
    score: float = Field(description="The second score, 0-100, on the A card's line")
    pd: float = Field(description="PD of the second score's unclipped points")
    risk_class: str
    class_pd: float | None
    grade: str
    effects: list[FindingEffect] = Field(description="Each feature's points, the most adverse first")


class DiligenceDecision(BaseModel):
    """The answer to a due-diligence rescoring: the second score, the final limit and rate."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    application_request_id: str = Field(description="The request id of the application decision it rescored")
    application_id: str | None
    decision: Literal["approve", "offer", "review", "reject"]
    first: Literal["approve", "offer", "review", "reject"] = Field(
        description="The decision on the online data alone, with today's models")
    first_limit: float = Field(description="The final limit on the online data alone (CNY)")
    second: SecondScore
    fraud_verdict: FraudVerdict
    limit: LimitDecision
    rate: float | None = Field(description="Quoted rate, percent a year (null on a rejection)")
    pricing: PriceQuote | None
    rules: list[RuleHit] = Field(description="Every rule on the second score; the ones the visit answered say so")
    models: list[ModelVersion]


def _effects(parts: Mapping[str, Floats], features: Mapping[str, Floats]) -> list[FindingEffect]:
    effects = []
    for name, value in parts.items():
        points = float(value[0])
        if name == "recalibration":
            effects.append(FindingEffect(feature=name, findings=[], value=None, points=points,
                                         text_zh=f"二次评分模型对申请评分卡的校准：{points:+.1f}分",
                                         text_en=f"the second score's calibration of the A card: {points:+.1f} "
                                                 "points"))
            continue
        zh, en = _FEATURE_TEXT[name]
        effects.append(FindingEffect(feature=name, findings=list(_FEATURE_FINDINGS[name]),
                                     value=float(features[name][0]), points=points,
                                     text_zh=f"{zh}：{points:+.1f}分", text_en=f"{en}: {points:+.1f} points"))
    return sorted(effects, key=lambda e: e.points)


def _after_visit(rules: Sequence[RuleHit], settings: DiligenceSettings, score: float) -> list[RuleHit]:
    """The rules on the second score, with those the visit answers resolved: the grey zone's
    review becomes the visit's approval on the second score, the excess over the pre-approved
    limit is no longer offered apart (the final limit is what the second score allows)."""
    out = []
    for rule in rules:
        if rule.id not in settings.resolves or rule.action not in ("review", "offer"):
            out.append(rule)
        elif rule.id != "LIMIT_ABOVE_PREAPPROVED":
            out.append(rule.model_copy(update={
                "action": "approve",
                "text_zh": f"{rule.text_zh}；线下尽调已完成，按二次评分{score:.1f}核定",
                "text_en": f"{rule.text_en}; answered by the due diligence, decided on the second score {score:.1f}"}))
    return out


def rescore(application: Mapping[str, Any], findings: Mapping[str, Any], bundle: ModelBundle,
            application_request_id: str, settings: DiligenceSettings | None = None,
            request_id: str | None = None) -> DiligenceDecision:
    """The second score, limit and rate of ``application`` (a dict of contract columns) given
    the account manager's ``findings``. Raises ``FindingsInvalid`` naming each finding at fault."""
    settings = settings or default_diligence()
    problems = check_findings(findings, application.get("application_date"))
    if problems:
        raise FindingsInvalid(problems)
    first: Decision = decide(application, bundle, request_id=application_request_id)
    card, scale, policy = bundle.scorecard, bundle.scorecard.scale, bundle.policy
    features = build_features_one(application)
    contributions = card.contributions_one(features)
    total = 0.0
    for contribution in contributions:  # in the scorecard's order, as decide sums them
        total += contribution.points
    limit_total = bundle.limit_sizing.points(contributions, features)
    found = finding_features(findings, application.get("declared_annual_revenue"), application.get("industry"),
                             settings)
    points, parts = second_points(total, found, scale, settings)
    second_total = float(points[0])
    score = min(max(second_total, scale.min_score), scale.max_score)
    # The fitted logit is the second score's own calibrated model (a logistic on the A card's line
    # log-odds and the findings): its PD is the logistic of its points. A points adjustment moves
    # the A card's score, and keeps the A card's PD map.
    pd_of = scale.to_pd if settings.method == "logit" else card.pd_from_points
    pd = float(pd_of(second_total))
    limit_points = limit_total + (second_total - total)  # the limit score moves with the score
    outcome = apply_policy(facts_from(application, features), score, pd, first.fraud.score, first.fraud.verdict,
                           policy, limit_score=min(max(limit_points, scale.min_score), scale.max_score),
                           limit_pd=float(pd_of(limit_points)))
    rules = _after_visit(outcome.rules, settings, score)
    decision = decision_of(rules)
    limit, pricing = outcome.limit, outcome.pricing
    if decision == "reject":
        limit = limit.model_copy(update={"recommended_product": None, "pre_approved": 0.0, "final": 0.0})
        pricing = None
    credit: CreditResult = first.credit
    second = SecondScore(method=settings.method, first_score=credit.score, first_pd=credit.pd, score=score, pd=pd,
                         risk_class=outcome.risk_class, class_pd=outcome.class_pd,
                         grade=policy.master_scale.grade_of(pd).name, effects=_effects(parts, found))
    models = [*first.models, ModelVersion(name="diligence", version=f"{settings.method}:{settings.provenance.fitted_at}")]
    return DiligenceDecision(
        request_id=request_id or uuid.uuid4().hex, application_request_id=application_request_id,
        application_id=first.application_id, decision=decision, first=first.decision, first_limit=first.limit.final,
        second=second, fraud_verdict=first.fraud.verdict, limit=limit,
        rate=pricing.rate_pct if pricing else None, pricing=pricing, rules=rules, models=models)


def finding_label(name: str) -> tuple[str, str]:
    """The Chinese and English label of a finding."""
    return FINDING_LABELS[name]
