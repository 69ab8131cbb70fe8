"""The pure drawdown check (riskmodels.policy.drawdown): available limit and payment mode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskmodels.policy import load_policy
from riskmodels.policy.drawdown import check_draw, payment_mode
from riskmodels.policy.schema import Drawdown

RULE = load_policy().drawdown
FEN = 100


def test_the_packaged_threshold_lets_the_seed_restaurant_pay_its_150k_draw_itself() -> None:
    # seed 000 §六: 15万 drawn with 自主支付, "because the amount is below the entrusted-payment start".
    assert payment_mode(150_000 * FEN, RULE) == "self"
    start = round(RULE.entrusted_payment_from * FEN)
    assert payment_mode(start, RULE) == "entrusted"  # the threshold is its start point (起点): included
    assert payment_mode(start - 1, RULE) == "self"


def test_a_draw_the_freeze_blocks_says_frozen_and_one_past_the_limit_says_above_available() -> None:
    frozen = check_draw(20_000 * FEN, 180_000 * FEN, 150_000 * FEN, 30_000 * FEN, RULE)
    assert (frozen.accepted, frozen.refusal, frozen.available_before_fen) == (False, "frozen", 0)
    above = check_draw(40_000 * FEN, 180_000 * FEN, 150_000 * FEN, 0, RULE)
    assert (above.accepted, above.refusal, above.available_after_fen) == (False, "above_available", 30_000 * FEN)
    closed = check_draw(1, 180_000 * FEN, 0, 0, RULE, open_=False)
    assert closed.refusal == "facility_closed"
    with pytest.raises(ValueError, match="amount_fen must be positive; got 0"):
        check_draw(0, 100, 0, 0, RULE)


@given(limit=st.integers(1, 10**10), drawn_share=st.floats(0, 1), frozen_share=st.floats(0, 1),
       amount=st.integers(1, 10**10), threshold=st.integers(1, 10**8))
def test_a_draw_is_accepted_exactly_when_it_fits_and_the_mode_follows_the_threshold(
        limit: int, drawn_share: float, frozen_share: float, amount: int, threshold: int) -> None:
    drawn = int(limit * drawn_share)
    frozen = int((limit - drawn) * frozen_share)
    rule = Drawdown(entrusted_payment_from=threshold / FEN)
    check = check_draw(amount, limit, drawn, frozen, rule)
    available = limit - drawn - frozen
    assert check.accepted == (amount <= available)
    assert check.available_after_fen == (available - amount if check.accepted else available)
    assert check.payment_mode == ("entrusted" if amount >= threshold else "self")
