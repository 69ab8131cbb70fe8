"""Post-loan policy (DOMAIN.md §3, steps 4-5): the settings that turn the B card and the C card
scores into actions, and their loader.

The numbers live in ``post_loan_policy.yaml`` and are validated by ``PostLoanPolicy``. The
actions they drive (the B card's account action and limit, the C card's treatment and call
order) are in ``riskmodels.policy.account_actions``, re-exported here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from riskmodels.config_files import load_yaml
from riskmodels.contract import DPD_BUCKETS, INDUSTRIES
from riskmodels.policy.account_actions import (
    OrderingComparison,
    behavior_action_one,
    behavior_actions,
    collection_plan,
    collection_plan_one,
    collection_treatments,
    compare_orderings,
    cure_order,
    recovered_balance_in_first_n,
    rule_order,
)
from riskmodels.policy.early_warning import EarlyWarningConfig
from riskmodels.policy.loader import PolicyError
from riskmodels.policy.risk_classes import RiskBand, RiskBands

__all__ = [
    "DEFAULT_POLICY_PATH", "Action", "BehaviorPolicy", "ClassBand", "CollectionPolicy", "DpdBucket", "FreezeRule",
    "LimitAdjustment", "OrderingComparison", "PolicyError", "PostLoanPolicy", "ReduceRule", "RenewRule", "Treatment",
    "TreatmentStep", "behavior_action_one", "behavior_actions", "collection_plan", "collection_plan_one",
    "collection_treatments", "compare_orderings", "cure_order", "load_post_loan_policy",
    "recovered_balance_in_first_n", "rule_order",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("post_loan_policy.yaml")
Action = Literal["renew", "keep", "reduce", "freeze"]
Treatment = Literal["sms", "phone_call", "field_visit", "legal"]
DpdBucket = Literal["1-29", "30-59", "60-89", "90+"]
assert get_args(DpdBucket) == DPD_BUCKETS  # the contract's buckets, spelled for pydantic


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassBand(_Strict):
    name: str = Field(min_length=1)
    min_score: float = Field(ge=0)


class FreezeRule(_Strict):
    on_no_flow: bool = True
    min_dpd: int = Field(default=30, ge=1)


class ReduceRule(_Strict):
    classes: list[str] = Field(default_factory=lambda: ["D"])
    min_worst_dpd_3m: int = Field(default=30, ge=1)


class RenewRule(_Strict):
    window_months: int = Field(default=2, ge=0, le=60,
                               description="Renew only this many months or fewer before maturity")
    min_score: float = Field(default=70, ge=0)  # class A of the B card's line (odds 80:1)
    max_worst_dpd_6m: int = Field(default=0, ge=0)
    min_inflow_ratio: float = Field(default=0.8, ge=0)
    no_new_large_loan: bool = True


class LimitAdjustment(_Strict):
    raise_share: float = Field(default=0.10, ge=0, le=1)
    raise_classes: list[str] = Field(default_factory=lambda: ["A"])
    raise_min_inflow_ratio: float = Field(default=1.10, ge=0)
    cut_share: float = Field(default=0.20, ge=0, lt=1)
    max_limit: float = Field(default=2_000_000, gt=0)
    round_to: float = Field(default=1000, gt=0)


class BehaviorPolicy(_Strict):
    freeze: FreezeRule = FreezeRule()
    reduce: ReduceRule = ReduceRule()
    renew: RenewRule = RenewRule()
    limit_adjustment: LimitAdjustment = LimitAdjustment()


class TreatmentStep(_Strict):
    min_cure_prob: float = Field(ge=0, le=1)
    treatment: Treatment


class CollectionPolicy(_Strict):
    treatments: dict[DpdBucket, list[TreatmentStep]]
    industry_risk_order: list[str] = Field(description="Industries, riskiest first")

    @model_validator(mode="after")
    def _check(self) -> Self:
        missing = [b for b in DPD_BUCKETS if b not in self.treatments]
        if missing:
            raise ValueError(f"treatments must cover every DPD bucket {list(DPD_BUCKETS)}; missing {missing}")
        for bucket, steps in self.treatments.items():
            thresholds = [s.min_cure_prob for s in steps]
            if not steps or thresholds != sorted(set(thresholds), reverse=True) or thresholds[-1] != 0:
                raise ValueError(f"treatments[{bucket!r}] must list strictly decreasing min_cure_prob "
                                 f"ending at 0, so every case gets a treatment; got {thresholds}")
        if sorted(self.industry_risk_order) != sorted(INDUSTRIES):
            raise ValueError(f"industry_risk_order must name every industry {list(INDUSTRIES)} once; "
                             f"got {self.industry_risk_order}")
        return self


class PostLoanPolicy(_Strict):
    classes: list[ClassBand] = Field(min_length=1)
    behavior: BehaviorPolicy = BehaviorPolicy()
    collection: CollectionPolicy
    early_warning: EarlyWarningConfig = EarlyWarningConfig()

    @model_validator(mode="after")
    def _check(self) -> Self:
        mins = [c.min_score for c in self.classes]
        if mins != sorted(set(mins), reverse=True) or mins[-1] != 0:
            raise ValueError(f"classes must run from best to worst with strictly falling min_score ending at 0; "
                             f"got {mins}")
        names = [c.name for c in self.classes]
        for option, used in (("behavior.reduce.classes", self.behavior.reduce.classes),
                             ("behavior.limit_adjustment.raise_classes", self.behavior.limit_adjustment.raise_classes)):
            if not set(used) <= set(names):
                raise ValueError(f"{option} must name classes of {names}; got {used}")
        return self

    @property
    def bands(self) -> RiskBands:
        return RiskBands(tuple(RiskBand(c.name, c.min_score) for c in self.classes))


def load_post_loan_policy(path: Path | None = None) -> PostLoanPolicy:
    """The policy YAML (default: the packaged ``post_loan_policy.yaml``), validated."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    return load_yaml(PostLoanPolicy, path, "post-loan policy", "post_loan_policy", PolicyError)
