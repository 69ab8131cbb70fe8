"""``riskmodels loans``: open a facility, draw on it, freeze it or lift a freeze, record an officer's final
decision and write the report of overrides; the same store and rules as the service's routes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import typer

from riskmodels.cli._common import fail, writable_dir

if TYPE_CHECKING:
    from riskmodels.audit import AuditLog
    from riskmodels.loans import LoanStore

loans_app = typer.Typer(help="The loan after the decision: facilities, draws, freezes, officers' decisions.",
                        no_args_is_help=True)
T = TypeVar("T")


@contextmanager
def _stores() -> Iterator[tuple[LoanStore, AuditLog]]:
    from riskmodels.audit import AuditLog
    from riskmodels.config import get_settings
    from riskmodels.loans import LoanStore

    settings = get_settings()
    loans, audit = LoanStore.from_settings(settings), AuditLog.from_settings(settings)
    try:
        yield loans, audit
    finally:
        loans.close()
        audit.close()


def _refused(work: Callable[[], T]) -> T:
    """``work()``, its refusal (a ``LoanError``) on one line naming the field, exit code 2."""
    from riskmodels.loans import InvalidInput, LoanError

    try:
        return work()
    except LoanError as exc:
        more = exc.more if isinstance(exc, InvalidInput) else ()
        raise fail("; ".join(str(e) for e in (exc, *more))) from exc


@loans_app.command("open")
def open_facility(
    request_id: Annotated[str, typer.Argument(help="The request id of the approved decision.")],
    account_id: Annotated[str | None, typer.Option(help="The loan system's account id (the batch's key).")] = None,
) -> None:
    """Open the credit line of an approved decision (the officer's terms when recorded), for its
    term capped by the product's (the configured policy's)."""
    from riskmodels.config import get_settings
    from riskmodels.loans import decision_record
    from riskmodels.policy import load_policy

    products = load_policy(get_settings().policy_path).products
    with _stores() as (loans, audit):
        facility = _refused(lambda: loans.open_facility(decision_record(audit, request_id), account_id=account_id,
                                                        products=products))
    typer.echo(facility.model_dump_json(indent=2))


@loans_app.command("draw")
def draw(
    amount: Annotated[float, typer.Argument(help="Amount to draw, CNY.")],
    facility_id: Annotated[str | None, typer.Option(help="The facility drawn on.")] = None,
    decision: Annotated[str | None, typer.Option(help="Or the request id of the decision it was opened from.")] = None,
    payee_name: Annotated[str | None, typer.Option(help="Supplier paid by the bank (entrusted payment).")] = None,
    payee_account: Annotated[str | None, typer.Option(help="The supplier's bank account.")] = None,
) -> None:
    """Check and record a draw: accepted or refused, with its payment mode."""
    from riskmodels.config import get_settings
    from riskmodels.loans import Payee, to_fen
    from riskmodels.policy import load_policy

    if (payee_name is None) != (payee_account is None):
        raise fail("--payee-name and --payee-account must be given together")
    rule = load_policy(get_settings().policy_path).drawdown
    payee = (_refused(lambda: Payee(payee_name, payee_account))
             if payee_name is not None and payee_account is not None else None)
    sent = {"facility_id": facility_id, "decision_request_id": decision, "amount": amount,
            "payee": {"name": payee_name, "account": payee_account} if payee else None}
    with _stores() as (loans, _):
        result, _ = _refused(lambda: loans.draw(f"cli-{uuid.uuid4().hex}", to_fen(amount, "amount"), rule,
                                                facility_id=facility_id, decision_request_id=decision,
                                                payee=payee, sent=sent))
    typer.echo(result.model_dump_json(indent=2))


@loans_app.command("freeze")
def freeze(
    facility_id: Annotated[str, typer.Argument(help="The facility whose unused limit is frozen.")],
    officer: Annotated[str, typer.Option(help="Who freezes it (staff id or pseudonym).")],
    reason: Annotated[str, typer.Option(help="Why (the warning acted on).")],
) -> None:
    """Freeze the unused limit (the early-warning batch's action, taken by an officer); frozen already: unchanged."""
    _officers_act("freeze", facility_id, officer, reason)


@loans_app.command("release")
def release(
    facility_id: Annotated[str, typer.Argument(help="The facility whose freeze is lifted.")],
    officer: Annotated[str, typer.Option(help="Who lifts it (staff id or pseudonym).")],
    reason: Annotated[str, typer.Option(help="Why (the risk mitigated, 风险缓释).")],
) -> None:
    """Lift a freeze once the risk is mitigated (风险缓释); nothing frozen: unchanged."""
    _officers_act("release", facility_id, officer, reason)


def _officers_act(act: Literal["freeze", "release"], facility_id: str, officer: str, reason: str) -> None:
    """Freeze or release a facility as ``officer`` for ``reason``, and print it."""
    text = _text("--reason", reason)
    with _stores() as (loans, _):
        change = loans.freeze if act == "freeze" else loans.release
        facility = _refused(lambda: change(facility_id, f"officer via CLI: {officer}", officer=officer, reason=text))
    typer.echo(facility.model_dump_json(indent=2))


def _text(option: str, value: str) -> str:
    if not value.strip():
        raise fail(f"{option} must be a non-empty text; got {value!r}")
    return value.strip()


@loans_app.command("outcome")
def outcome(
    request_id: Annotated[str, typer.Argument(help="The request id of the audited decision.")],
    decision: Annotated[str, typer.Option(help="approve or decline.")],
    officer: Annotated[str, typer.Option(help="The officer's staff id or pseudonym.")],
    reason: Annotated[str, typer.Option(help="A code of the override reason catalogue.")],
    amount: Annotated[float | None, typer.Option(help="Approved amount, CNY (approve only).")] = None,
    rate: Annotated[float | None, typer.Option(help="Approved rate, percent a year (approve only).")] = None,
) -> None:
    """Record the officer's final decision on an audited decision, once."""
    from riskmodels.loans import record_officer_decision
    from riskmodels.policy.override_reasons import load_override_reasons
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    if decision not in ("approve", "decline"):
        raise fail(f"--decision must be approve or decline; got {decision!r}")
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:
        raise fail(f"{exc}; the decision's rules are found again with the champion models") from exc
    with _stores() as (loans, audit):
        recorded = _refused(lambda: record_officer_decision(
            loans, audit, bundle, load_override_reasons(), request_id, "approve" if decision == "approve" else "decline",
            officer=officer, reason_code=reason, amount=amount, rate=rate))
    typer.echo(recorded.model_dump_json(indent=2))


@loans_app.command("report")
def report(
    out: Annotated[Path, typer.Option(help="Folder for overrides_report.html.")] = Path("reports/loans"),
    data: Annotated[Path | None, typer.Option(help="Folder with outcomes.parquet (and truth.parquet) for the "
                                              "loans' performance.")] = None,
) -> None:
    """Write the report of officers' decisions: override rates by rule, class and officer."""
    from riskmodels.loans.report import outcome_frame, write_override_report
    from riskmodels.policy.override_reasons import load_override_reasons

    with _stores() as (loans, _):
        frame = outcome_frame(loans.outcome_rows())
    if frame.empty:
        raise fail("the loan store must hold officers' decisions to report on; got none (riskmodels loans outcome)")
    path = write_override_report(frame, load_override_reasons(), writable_dir(out) / "overrides_report.html", data)
    typer.echo(f"{len(frame):,} officers' decisions, {int(frame['overridden'].sum()):,} overrides: {path}")
