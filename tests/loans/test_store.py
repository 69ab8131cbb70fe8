"""The loan store on SQLite and on a real PostgreSQL server: facilities, draws, freezes and
officers' decisions, each refusal naming its field with nothing written."""

from __future__ import annotations

from functools import partial

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodels.loans import Conflict, InvalidInput, LoanStore, Payee, UnknownReference
from riskmodels.loans.schema import draws, facilities
from riskmodels.policy import load_policy
from riskmodels.stores import open_engine
from tests._threads import run_together
from tests.loans.conftest import KEY, decision, new_id

RULE = load_policy().drawdown
FEN = 100
SUPPLIER = Payee("成都鲜蔬供应链有限公司", "6222020200112233445")


def test_the_restaurant_draws_150k_and_pays_itself_then_cannot_pass_its_limit(store: LoanStore) -> None:
    facility = store.open_facility(decision(), account_id=new_id("acct"))
    assert (facility.limit, facility.rate, facility.product, facility.term_months) == (180_000, 4.5, "general_credit", 12)
    first, replayed = store.draw(new_id("draw"), 150_000 * FEN, RULE, facility_id=facility.facility_id)
    assert (first.accepted, first.payment_mode, first.available, replayed) == (True, "self", 30_000, False)
    refused, _ = store.draw(new_id("draw"), 40_000 * FEN, RULE, decision_request_id=facility.request_id)
    assert (refused.accepted, refused.refusal, refused.available) == (False, "above_available", 30_000)
    assert "30,000" in (refused.refusal_en or "") and "可用" in (refused.refusal_zh or "")
    now = store.facility(facility_id=facility.facility_id)
    assert (now.drawn, now.available) == (150_000, 30_000)
    assert [d.accepted for d in store.draws_of(facility.facility_id)] == [True, False]  # the refusal is recorded too


def test_an_entrusted_draw_needs_a_payee_and_a_refused_input_writes_nothing(store: LoanStore) -> None:
    facility = store.open_facility(decision(limit=1_000_000))
    with pytest.raises(InvalidInput) as missing:
        store.draw(new_id("draw"), 300_000 * FEN, RULE, facility_id=facility.facility_id)
    assert missing.value.field == "payee" and "受托支付" in missing.value.rule
    assert store.draws_of(facility.facility_id) == [] and store.facility(facility_id=facility.facility_id).drawn == 0
    paid, _ = store.draw(new_id("draw"), 300_000 * FEN, RULE, facility_id=facility.facility_id, payee=SUPPLIER)
    assert (paid.accepted, paid.payment_mode) == (True, "entrusted")
    with store.engine.connect() as conn:  # the payee is kept only as a keyed hash
        kept = conn.execute(sa.select(draws.c.payee_hmac).where(draws.c.request_id == paid.request_id)).scalar_one()
    assert len(kept) == 64 and SUPPLIER.account not in kept


def test_bad_references_and_repeats_name_their_field(store: LoanStore) -> None:
    with pytest.raises(UnknownReference) as unknown:
        store.draw(new_id("draw"), 100, RULE, facility_id="no-such-facility")
    assert unknown.value.field == "facility_id"
    with pytest.raises(InvalidInput, match="facility_id must be given, or decision_request_id"):
        store.draw(new_id("draw"), 100, RULE)
    facility = store.open_facility(decision())
    with pytest.raises(Conflict) as second:  # one facility per decision
        store.open_facility(decision(request_id=facility.request_id))
    assert second.value.field == "decision_request_id"
    draw_id = new_id("draw")
    sent = {"amount": 1000}
    first, _ = store.draw(draw_id, 1000 * FEN, RULE, facility_id=facility.facility_id, sent=sent)
    again, replayed = store.draw(draw_id, 1000 * FEN, RULE, facility_id=facility.facility_id, sent=sent)
    assert replayed and again == first and store.facility(facility_id=facility.facility_id).drawn == 1000
    with pytest.raises(Conflict) as reused:
        store.draw(draw_id, 2000 * FEN, RULE, facility_id=facility.facility_id, sent={"amount": 2000})
    assert reused.value.field == "X-Request-ID"


def test_a_review_opens_only_on_the_officers_approval_and_at_its_terms(store: LoanStore) -> None:
    referred = decision("review", limit=0.0, rate=None)
    with pytest.raises(Conflict, match="officer's final decision first"):
        store.open_facility(referred)
    recorded = store.record_outcome(referred, "approve", officer="li.xiao", reason_code="DD_TURNOVER_VERIFIED",
                                    amount_fen=120_000 * FEN, rate=5.0, triggers=["BAND_GREY_ZONE"])
    assert (recorded.kind, recorded.triggers, recorded.amount) == ("reviewed", ["BAND_GREY_ZONE"], 120_000)
    with pytest.raises(Conflict) as twice:
        store.record_outcome(referred, "decline", officer="li.xiao", reason_code="HIDDEN_DEBT", amount_fen=None,
                             rate=None, triggers=[])
    assert twice.value.field == "request_id" and store.outcome(referred.request_id) == recorded  # the first stands
    facility = store.open_facility(referred)
    assert (facility.limit, facility.rate) == (120_000, 5.0)
    declined = decision("offer")
    store.record_outcome(declined, "decline", officer="li.xiao", reason_code="FRAUD_SUSPECTED", amount_fen=None,
                         rate=None, triggers=[])
    assert store.outcome(declined.request_id).kind == "override_down"  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="the officer declined it"):
        store.open_facility(declined)


def test_a_frozen_line_refuses_draws_until_the_officer_lifts_the_freeze(store: LoanStore) -> None:
    account = new_id("acct")
    facility = store.open_facility(decision(), account_id=account)
    store.draw(new_id("draw"), 50_000 * FEN, RULE, facility_id=facility.facility_id)
    summary = store.freeze_unused([account, new_id("acct-elsewhere")], source="test batch")
    assert (summary.frozen, summary.already_frozen, summary.without_facility) == (1, 0, 1)
    frozen = store.facility(facility_id=facility.facility_id)
    assert (frozen.frozen, frozen.available) == (130_000, 0)
    refused, _ = store.draw(new_id("draw"), 10_000 * FEN, RULE, facility_id=facility.facility_id)
    assert (refused.accepted, refused.refusal) == (False, "frozen")
    assert store.freeze_unused([account], source="test batch").already_frozen == 1
    store.release(facility.facility_id, source="released by li.xiao")
    accepted, _ = store.draw(new_id("draw"), 10_000 * FEN, RULE, facility_id=facility.facility_id)
    assert accepted.accepted and accepted.available == 120_000


def test_concurrent_draws_never_overdraw(store: LoanStore) -> None:
    facility = store.open_facility(decision())
    url = str(store.engine.url.render_as_string(hide_password=False))
    # Two stores, as two service processes would have: the lock must hold across engines, not a Python lock.
    other = LoanStore(open_engine(url), KEY)
    results: list[bool] = []

    def draw(loans: LoanStore) -> None:
        for _ in range(4):
            results.append(loans.draw(new_id("draw"), 50_000 * FEN, RULE, facility_id=facility.facility_id)[0].accepted)

    errors = run_together([partial(draw, loans) for loans in (store, other, store, other)])
    other.close()
    assert not errors, errors
    assert sum(results) == 3 and len(results) == 16  # 3 x 50,000 fits in 180,000; a fourth never does
    assert store.facility(facility_id=facility.facility_id).drawn == 150_000


OPS = st.lists(st.one_of(
    st.tuples(st.just("draw"), st.integers(1, 250_000 * FEN)),
    st.tuples(st.just("freeze"), st.integers(1, 250_000 * FEN)),
    st.tuples(st.just("freeze_all"), st.just(0)),
    st.tuples(st.just("release"), st.just(0)),
), max_size=12)


# One store (the fixture's) for all of hypothesis's examples: each opens its own facility.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, limit=st.integers(1, 500_000 * FEN))
def test_no_sequence_of_draws_and_freezes_passes_the_limit(store: LoanStore, ops: list[tuple[str, int]],
                                                           limit: int) -> None:
    account = new_id("acct")
    facility = store.open_facility(decision(limit=limit / FEN), account_id=account)
    accepted = 0
    for op, amount in ops:
        if op == "draw":
            answer, _ = store.draw(new_id("draw"), amount, RULE, facility_id=facility.facility_id, payee=SUPPLIER)
            accepted += round(answer.amount * FEN) if answer.accepted else 0
        elif op == "freeze":
            store.freeze(facility.facility_id, "test", amount)
        elif op == "freeze_all":
            store.freeze_unused([account], "test")
        else:
            store.release(facility.facility_id, "test")
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(facilities).where(facilities.c.facility_id == facility.facility_id)).one()
        assert row.drawn_fen + row.frozen_fen <= row.limit_fen and row.frozen_fen >= 0
        assert row.drawn_fen == accepted  # exactly the accepted draws, to the fen
