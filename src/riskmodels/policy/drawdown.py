"""The drawdown check (seed 000 §六; DOMAIN.md §3 step 3), pure: a draw is accepted when it fits
in the available limit (limit - drawn - frozen), and the payment mode follows its amount.

Amounts are whole fen (CNY cents): exact sums, so no sequence of draws and freezes can drift
past the limit by a rounding error.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.policy.rules import cny
from riskmodels.policy.schema import Drawdown

PaymentMode = Literal["entrusted", "self"]
Refusal = Literal["above_available", "frozen", "facility_closed"]
REFUSALS: dict[str, tuple[str, str]] = {
    "above_available": ("提款金额超过可用额度", "the amount is above the available limit"),
    "frozen": ("未使用额度已被贷后预警冻结", "the unused limit is frozen by a post-loan warning"),
    "facility_closed": ("额度已关闭", "the facility is closed"),
}


class DrawCheck(BaseModel):
    model_config = ConfigDict(frozen=True)

    accepted: bool
    available_before_fen: int = Field(description="limit - drawn - frozen before the draw")
    available_after_fen: int = Field(description="The same after it (unchanged when refused)")
    payment_mode: PaymentMode
    refusal: Refusal | None = None


def available_fen(limit_fen: int, drawn_fen: int, frozen_fen: int) -> int:
    """What may still be drawn; never negative."""
    return max(0, limit_fen - drawn_fen - frozen_fen)


def payment_mode(amount_fen: int, rule: Drawdown) -> PaymentMode:
    """受托支付 at or above the threshold (its 起点), 自主支付 below."""
    return "entrusted" if amount_fen >= round(rule.entrusted_payment_from * 100) else "self"


def check_draw(amount_fen: int, limit_fen: int, drawn_fen: int, frozen_fen: int, rule: Drawdown,
               *, open_: bool = True) -> DrawCheck:
    """Accept ``amount_fen`` when the facility is open and the amount fits in what is available.

    A refusal says ``frozen`` when the draw would have fitted without the freeze, so the customer
    is told to call the account manager rather than to ask for less."""
    if amount_fen <= 0:
        raise ValueError(f"amount_fen must be positive; got {amount_fen}")
    before = available_fen(limit_fen, drawn_fen, frozen_fen)
    mode = payment_mode(amount_fen, rule)
    refusal: Refusal | None = None
    if not open_:
        refusal = "facility_closed"
    elif amount_fen > before:
        refusal = "frozen" if frozen_fen > 0 and amount_fen <= limit_fen - drawn_fen else "above_available"
    if refusal is not None:
        return DrawCheck(accepted=False, available_before_fen=before, available_after_fen=before,
                         payment_mode=mode, refusal=refusal)
    return DrawCheck(accepted=True, available_before_fen=before, available_after_fen=before - amount_fen,
                     payment_mode=mode)


def refusal_text(check: DrawCheck) -> tuple[str, str]:
    """The refusal in Chinese and English, with the available amount."""
    if check.refusal is None:
        raise ValueError("refusal_text needs a refused check; got an accepted one")
    zh, en = REFUSALS[check.refusal]
    left = cny(check.available_before_fen / 100)
    return f"{zh}（可用 {left} 元）", f"{en} (available: {left} CNY)"
