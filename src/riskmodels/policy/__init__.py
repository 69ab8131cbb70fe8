"""The lending policy (DOMAIN.md §4-§6): risk classes, knock-out rules, score bands and their
exceptions, limits by product, risk-based pricing, and the decision they make together.

Numbers live in ``default_policy.yaml`` (or a file named by ``Settings.policy_path``) and are
validated by ``Policy``; a risk manager edits the YAML, never the code.
"""

from __future__ import annotations

from riskmodels.policy.facts import ApplicationFacts, facts_from
from riskmodels.policy.limits import LimitDecision, ProductLimit
from riskmodels.policy.loader import (
    DEFAULT_POLICY_PATH,
    PolicyError,
    load_policy,
    parse_policy,
    with_class_pds,
    with_master_scale_pds,
)
from riskmodels.policy.master_scale import Grade, MasterScale, load_master_scale
from riskmodels.policy.outcome import PolicyOutcome, apply_policy
from riskmodels.policy.pricing import PriceQuote, quote_rate
from riskmodels.policy.rules import FailedAdmission, RuleHit
from riskmodels.policy.schema import Policy, RiskClass

__all__ = [
    "DEFAULT_POLICY_PATH", "ApplicationFacts", "FailedAdmission", "Grade", "LimitDecision", "MasterScale", "Policy",
    "PolicyError",
    "PolicyOutcome", "PriceQuote", "ProductLimit", "RiskClass", "RuleHit", "apply_policy", "facts_from",
    "load_master_scale", "load_policy", "parse_policy", "quote_rate", "with_class_pds",
    "with_master_scale_pds",
]
