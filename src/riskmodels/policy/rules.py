"""A policy rule that fired: its id, what it does to the decision, its text and its evidence."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["knockout", "fraud", "band", "limit"]
# reject and review decide; approve is the high-score band's automatic pass; info explains
# (a product switch) without changing the decision.
Action = Literal["reject", "review", "offer", "approve", "info"]
Evidence = dict[str, float | int | str | bool | None]
STAGES: tuple[Stage, ...] = ("knockout", "fraud", "band", "limit")


class RuleHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable rule id, e.g. KO_BLACKLIST")
    stage: Stage
    action: Action
    text_zh: str
    text_en: str
    evidence: Evidence = Field(description="The fields and thresholds that made the rule fire")


class FailedAdmission(BaseModel):
    """Why a product is not available to this applicant."""

    model_config = ConfigDict(frozen=True)

    id: str
    text_zh: str
    text_en: str
    evidence: Evidence


def shown(value: float | None) -> float | None:
    """A number for evidence and JSON: NaN (unknown) becomes None, whole floats stay floats."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def cny(amount: float) -> str:
    """An amount for a rule's text: 150,000."""
    return f"{amount:,.0f}"
