"""The loan store's retries, terms and freezes, on SQLite and on a real PostgreSQL server: a draw
retried under an Idempotency-Key is recorded once; a facility expires after its term; an
officer's freeze takes the batch's path and freezing twice writes once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskmodels.contract import APPLICATIONS
from riskmodels.loans import Conflict, DrawResult, Expired, InvalidInput, LoanStore, UnknownReference, facility_term
from riskmodels.loans.schema import draw_keys, draws
from riskmodels.loans.terms import PRODUCT_COLUMN, TERM_COLUMN, add_months, requested_product
from riskmodels.policy import load_policy
from riskmodels.stores import open_engine
from tests._threads import run_together
from tests.loans.conftest import KEY, decision, new_id

POLICY = load_policy()
RULE = POLICY.drawdown
FEN = 100


def _rows(store: LoanStore, table: sa.Table, facility_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    if facility_id is not None and "facility_id" in table.c:
        query = query.where(table.c.facility_id == facility_id)
    with store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_a_retry_under_the_same_key_gets_the_first_answer_and_draws_nothing(store: LoanStore) -> None:
    facility = store.open_facility(decision())
    key, sent = new_id("key"), {"facility_id": facility.facility_id, "amount": 50_000}
    first, replayed = store.draw(new_id("draw"), 50_000 * FEN, RULE, facility_id=facility.facility_id, sent=sent,
                                 idempotency_key=key)
    assert first.accepted and not replayed
    # The loan system timed out and sent it again: a new X-Request-ID, the same key and body.
    again, replayed = store.draw(new_id("draw"), 50_000 * FEN, RULE, facility_id=facility.facility_id, sent=sent,
                                 idempotency_key=key)
    assert replayed and again == first and again.request_id == first.request_id
    assert store.facility(facility_id=facility.facility_id).drawn == 50_000
    assert [d.request_id for d in store.draws_of(facility.facility_id)] == [first.request_id]

    with pytest.raises(Conflict) as reused:  # the key is the client's promise that the body is the same
        store.draw(new_id("draw"), 60_000 * FEN, RULE, facility_id=facility.facility_id,
                   sent={**sent, "amount": 60_000}, idempotency_key=key)
    assert reused.value.field == "Idempotency-Key" and "another body" in reused.value.rule
    assert store.facility(facility_id=facility.facility_id).drawn == 50_000 and len(store.draws_of(
        facility.facility_id)) == 1  # nothing half-written
    with store.engine.connect() as conn:  # the key is kept only as a keyed hash
        kept = conn.execute(sa.select(draw_keys.c.key_hmac)).scalars().all()
    assert key not in kept and all(len(k) == 64 for k in kept)


def test_a_refusal_is_an_answer_and_is_replayed_too_but_a_4xx_is_not_kept(store: LoanStore) -> None:
    facility = store.open_facility(decision())
    key = new_id("key")
    with pytest.raises(InvalidInput):  # no payee above the entrusted threshold: refused, nothing kept
        store.draw(new_id("draw"), 300_000 * FEN, RULE, facility_id=facility.facility_id, sent={"amount": 300_000},
                   idempotency_key=key)
    refused, _ = store.draw(new_id("draw"), 200_000 * FEN, RULE, facility_id=facility.facility_id,
                            sent={"amount": 200_000}, idempotency_key=key)  # the key was free: the 4xx kept nothing
    assert (refused.accepted, refused.refusal) == (False, "above_available")
    again, replayed = store.draw(new_id("draw"), 200_000 * FEN, RULE, facility_id=facility.facility_id,
                                 sent={"amount": 200_000}, idempotency_key=key)
    assert replayed and again == refused and len(store.draws_of(facility.facility_id)) == 1


def test_racing_retries_under_one_key_record_one_draw(store: LoanStore) -> None:
    facility = store.open_facility(decision())
    url = store.engine.url.render_as_string(hide_password=False)
    other = LoanStore(open_engine(url), KEY)  # two service processes, one database
    key, sent = new_id("key"), {"amount": 10_000}
    answers: list[tuple[DrawResult, bool]] = []

    def retry(loans: LoanStore) -> None:
        answers.append(loans.draw(new_id("draw"), 10_000 * FEN, RULE, facility_id=facility.facility_id,
                                  sent=sent, idempotency_key=key))

    errors = run_together([partial(retry, loans) for loans in (store, other) * 3])
    other.close()
    assert not errors, errors
    assert len({a.request_id for a, _ in answers}) == 1 and sum(not r for _, r in answers) == 1
    assert _rows(store, draws, facility.facility_id) == 1
    assert store.facility(facility_id=facility.facility_id).drawn == 10_000


def test_a_facility_expires_after_its_term_and_a_late_draw_names_it(store: LoanStore) -> None:
    opened = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
    facility = store.open_facility(decision(requested_term_months=1), at=opened)
    assert (facility.term_months, facility.expires_on, facility.expired) == (1, date(2025, 2, 28), False)
    last_day = datetime(2025, 2, 27, 23, 0, tzinfo=UTC)
    assert store.draw(new_id("draw"), 1_000 * FEN, RULE, facility_id=facility.facility_id, at=last_day)[0].accepted
    for field, reference in (("facility_id", {"facility_id": facility.facility_id}),
                             ("decision_request_id", {"decision_request_id": facility.request_id})):
        with pytest.raises(Expired) as late:
            store.draw(new_id("draw"), 1_000 * FEN, RULE, at=datetime(2025, 2, 28, tzinfo=UTC), **reference)
        assert late.value.field == field and "expired on 2025-02-28" in late.value.rule
        assert isinstance(late.value, Conflict)  # answered 409, as other clashes with the record
    assert len(store.draws_of(facility.facility_id)) == 1  # the late draws wrote nothing
    before, after = (store.facility(facility_id=facility.facility_id, at=at) for at in (last_day, last_day
                                                                                        + timedelta(hours=1)))
    assert (before.available, before.expired) == (179_000, False)
    assert (after.available, after.expired, after.drawn) == (0, True, 1_000)


def test_the_term_and_product_are_read_from_the_application_contracts_columns() -> None:
    """The audited input holds the contract's columns: a line read from any other name would
    fall back to the general line's product and term whatever the applicant asked for."""
    assert {PRODUCT_COLUMN, TERM_COLUMN} <= set(APPLICATIONS.names)
    asked = decision(product="pos_loan", requested_term_months=24)
    assert (requested_product(asked), facility_term(asked, POLICY.products)) == ("pos_loan", 24)


@pytest.mark.parametrize(("inputs", "months"), [
    ({"requested_term_months": 36}, POLICY.products.general_credit.max_term_months),  # capped by the product
    ({"requested_term_months": 6}, 6),
    ({"requested_term_months": None}, POLICY.products.general_credit.max_term_months),
    ({"product": "pos_loan", "requested_term_months": 24}, POLICY.products.pos_loan.max_term_months),
])
def test_the_term_is_the_requested_one_capped_by_the_products(inputs: dict[str, object], months: int) -> None:
    assert facility_term(decision(**inputs), POLICY.products) == months
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29) and add_months(date(2024, 11, 30), 3) == date(2025, 2,
                                                                                                              28)


def test_an_officers_freeze_takes_the_batchs_path_and_twice_is_once(store: LoanStore) -> None:
    account = new_id("acct")
    facility = store.open_facility(decision(), account_id=account)
    store.draw(new_id("draw"), 30_000 * FEN, RULE, facility_id=facility.facility_id)
    frozen = store.freeze(facility.facility_id, "officer", officer="li.xiao", reason="no flow for a month")
    assert (frozen.frozen, frozen.available) == (150_000, 0)
    assert store.freeze(facility.facility_id, "officer", officer="li.xiao", reason="again") == frozen
    assert store.freeze_unused([account], "early-warning batch 2025-06-30").already_frozen == 1
    refused, _ = store.draw(new_id("draw"), 1_000 * FEN, RULE, facility_id=facility.facility_id)
    assert (refused.accepted, refused.refusal) == (False, "frozen")
    lifted = store.release(facility.facility_id, "officer", officer="wang.fang", reason="flow back, visited")
    assert store.release(facility.facility_id, "officer", officer="wang.fang", reason="again") == lifted
    events = store.freezes_of(facility.facility_id)
    assert [(e.action, e.frozen, e.officer, e.reason) for e in events] == [
        ("freeze", 150_000, "li.xiao", "no flow for a month"), ("release", 0, "wang.fang", "flow back, visited")]
    store.freeze_unused([account], "early-warning batch 2025-07-31")  # the batch's freeze is in the same history
    assert [(e.action, e.source, e.officer) for e in store.freezes_of(facility.facility_id)][-1] == (
        "freeze", "early-warning batch 2025-07-31", None)


def test_a_bad_freeze_names_its_field_and_writes_nothing(store: LoanStore) -> None:
    with pytest.raises(UnknownReference) as unknown:
        store.freeze(new_id("line"), "officer", officer="li.xiao", reason="r")
    assert unknown.value.field == "facility_id"
    facility = store.open_facility(decision())
    with pytest.raises(InvalidInput) as officer:
        store.freeze(facility.facility_id, "officer", officer="li xiao; drop", reason="r")
    assert officer.value.field == "officer"
    for blank in ("  ", "\u3000", "\u200b", "\ufeff\u00a0"):  # spaces, zero-width or no-break: no reason given
        with pytest.raises(InvalidInput) as reason:
            store.release(facility.facility_id, "officer", officer="li.xiao", reason=blank)
        assert reason.value.field == "reason"
    assert store.freezes_of(facility.facility_id) == [] and store.facility(facility_id=facility.facility_id).frozen == 0


def test_a_store_written_before_terms_gets_its_columns_and_derives_expiry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = open_engine(url)
    LoanStore(engine, KEY)
    with engine.begin() as conn:  # as the first release wrote it
        conn.exec_driver_sql("ALTER TABLE loan_facilities DROP COLUMN expires_on")
        conn.exec_driver_sql("ALTER TABLE loan_freezes DROP COLUMN officer")
        conn.exec_driver_sql("ALTER TABLE loan_freezes DROP COLUMN reason")
        conn.exec_driver_sql("INSERT INTO loan_facilities (facility_id, request_id, opened_at, term_months, limit_fen, "
                             "drawn_fen, frozen_fen, status) VALUES ('old', 'r-old', '2024-03-15T00:00:00+00:00', 12, "
                             "100000, 0, 0, 'open')")
    engine.dispose()
    reopened = LoanStore(open_engine(url), KEY)
    old = reopened.facility(facility_id="old", at=datetime(2025, 3, 14, tzinfo=UTC))
    assert (old.expires_on, old.expired, old.available) == (date(2025, 3, 15), False, 1_000)
    assert reopened.freeze("old", "officer", officer="li.xiao", reason="r").frozen == 1_000
    reopened.close()


def test_an_id_or_phone_typed_into_a_reason_is_stored_masked(store: LoanStore) -> None:
    facility = store.open_facility(decision())
    typed = "客户来电 13912345678，身份证110105197805122318，暂停支用"
    store.freeze(facility.facility_id, "officer", officer="li.xiao", reason=typed)
    (kept,) = [e.reason for e in store.freezes_of(facility.facility_id)]
    assert "13912345678" not in kept and "110105197805122318" not in kept
    assert kept.startswith("客户来电 139") and kept.endswith("暂停支用")  # the words stay readable


def test_an_entrusted_draw_names_its_payee_in_visible_characters() -> None:
    from riskmodels.loans import Payee

    for name, account, field in [("   ", "6222", "payee.name"), ("Acme", "\u3000", "payee.account"),
                                 ("\u200b", "6222", "payee.name")]:
        with pytest.raises(InvalidInput) as blank:
            Payee(name, account)
        assert blank.value.field == field
