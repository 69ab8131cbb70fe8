"""Request bodies of the loan's later stages (``serving.routes_loans``); their answers are the
library's models (``riskmodels.loans``). Read strictly, as the scoring routes' are: unknown
fields, numbers sent as text and NaN are refused, each with a rule a person can read."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from riskmodels.contract import MAX_CNY
from riskmodels.contract.tables import NOT_BLANK_RULE
from riskmodels.loans.inputs import OFFICER, OFFICER_RULE, is_visible

AMOUNT_RULE = f"must be a positive amount (CNY) of at most {MAX_CNY:,.0f} with at most 2 decimals"


def _amount(value: float) -> float:
    # Bounded first: a huge finite amount times 100 overflows to infinity, which round() refuses.
    if not (math.isfinite(value) and 0 < value <= MAX_CNY) or abs(value * 100 - round(value * 100)) > 1e-6:
        raise PydanticCustomError("out_of_range", AMOUNT_RULE)
    return value


Amount = Annotated[float, AfterValidator(_amount),
                   Field(gt=0, le=MAX_CNY, description="CNY, at most 2 decimals")]
def _visible(value: str) -> str:
    if not is_visible(value):  # the loan store's own rule, in its words
        raise PydanticCustomError("format", NOT_BLANK_RULE)
    return value


Id = Annotated[str, AfterValidator(_visible), Field(min_length=1, max_length=200)]


def _officer(value: str) -> str:
    if not OFFICER.fullmatch(value):
        raise PydanticCustomError("format", OFFICER_RULE)  # the loan store's own rule, in its words
    return value


Officer = Annotated[str, AfterValidator(_officer),
                    Field(description="The officer's staff id or pseudonym (1 to 64 letters, digits, '_', '.' or '-')")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FacilityRequest(_Body):
    decision_request_id: Id = Field(description="The request id of the approved decision (the answer's request_id)")
    account_id: Id | None = Field(None, description="The loan system's account id: the early-warning batch's key, "
                                  "through which its freezes reach this facility")


class PayeeBody(_Body):
    name: Annotated[str, AfterValidator(_visible)] = Field(min_length=1, max_length=200,
                                                           description="The supplier paid by the bank")
    account: Annotated[str, AfterValidator(_visible)] = Field(min_length=1, max_length=64,
                                                              description="The supplier's bank account")


class DrawRequest(_Body):
    facility_id: Id | None = Field(None, description="The facility drawn on (or decision_request_id instead)")
    decision_request_id: Id | None = Field(None, description="The decision whose facility is drawn on")
    amount: Amount
    payee: PayeeBody | None = Field(None, description="Required at or above the entrusted-payment threshold "
                                    "(policy drawdown.entrusted_payment_from): the bank pays this supplier")
    purpose: str | None = Field(None, max_length=200, description="What the money is for")


class OutcomeRequest(_Body):
    decision: Literal["approve", "decline"] = Field(description="The officer's final decision")
    amount: Amount | None = Field(None, description="Approved amount (approve only)")
    rate: float | None = Field(None, allow_inf_nan=False, description="Approved rate, percent a year (approve only)")
    officer: Officer
    reason_code: str = Field(min_length=1, max_length=64, description="A code of the override reason catalogue "
                             "(riskmodels/policy/override_reasons.yaml)")


class FreezeRequest(_Body):
    officer: Officer
    reason: Annotated[str, AfterValidator(_visible)] = Field(min_length=1, max_length=500, description="Why: the warning acted on, or the risk mitigated "
                        "(风险缓释); kept with the freeze")
