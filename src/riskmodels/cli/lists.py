"""``riskmodels lists add|remove|show``: the platform's blacklists (central bank, the bank's own,
court enforcement), in the link store (``RISKMODELS_LINK_STORE_URL``).

An identifier given on the command line is hashed before it is stored and only ever printed
masked; every change is recorded with who made it and why (``lists show --changes``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING, Annotated

import typer

from riskmodels.cli._common import fail

if TYPE_CHECKING:
    from riskmodels.links import IdentifierKind, LinkStore, ListEntry, ListKind, Lists

lists_app = typer.Typer(help="Blacklists: central bank (pboc), the bank's own (bank), court enforcement (court).",
                        no_args_is_help=True)

LIST_HELP = "The list: pboc (central bank), bank (the bank's own), court (失信被执行人)."
IdNumber = Annotated[str | None, typer.Option("--id-number", help="Owner's resident ID number.")]
Phone = Annotated[str | None, typer.Option("--phone", help="Mobile number.")]
Device = Annotated[str | None, typer.Option("--device", help="Device id.")]
Address = Annotated[str | None, typer.Option("--address", help="Business address.")]


@contextmanager
def open_lists() -> Iterator[Lists]:
    """The lists of the configured link store; its errors as one line, exit 2."""
    import sqlalchemy as sa

    from riskmodels.config import PseudonymKeyError, get_settings
    from riskmodels.links import LinkStore, LinkStoreError, ListError
    from riskmodels.stores import StoreUrlError

    store: LinkStore | None = None
    try:
        store = LinkStore.from_settings(get_settings())
        yield store.lists
    except ListError as exc:
        raise fail(str(exc)) from exc
    except (LinkStoreError, PseudonymKeyError, StoreUrlError) as exc:
        raise fail(str(exc)) from exc
    except sa.exc.OperationalError as exc:
        raise fail(f"the link store must be reachable (RISKMODELS_LINK_STORE_URL); got {exc.orig}") from exc
    finally:
        if store is not None:
            store.close()


def _identifier(id_number: str | None, phone: str | None, device: str | None,
                address: str | None) -> tuple[IdentifierKind, str] | None:
    from riskmodels.links import IdentifierKind

    given = [(kind, value) for kind, value in ((IdentifierKind.ID_NUMBER, id_number), (IdentifierKind.PHONE, phone),
                                               (IdentifierKind.DEVICE, device), (IdentifierKind.ADDRESS, address))
             if value is not None]
    if len(given) > 1:
        raise fail(f"--id-number, --phone, --device, --address must be given one at a time; got "
                   f"{', '.join('--' + k.value.replace('_', '-') for k, _ in given)}")
    return given[0] if given else None


def _list_kind(value: str | None) -> ListKind | None:
    from riskmodels.links import ListKind

    if value is None:
        return None
    try:
        return ListKind(value)
    except ValueError:
        raise fail(f"--list must be one of {', '.join(k.value for k in ListKind)}; got {value!r}") from None


def _expiry(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise fail(f"--expires must be a date written YYYY-MM-DD; got {value!r}") from None
    return datetime.combine(day, time(), tzinfo=UTC)


def _line(entry: ListEntry, now: datetime) -> str:
    state = entry.state_at(now)
    removed = f" removed by {entry.removed_by}: {entry.removed_reason}" if entry.removed_at else ""
    return (f"{entry.entry_id:>5}  {entry.list_kind.value:<5}  {entry.identifier_kind.value:<9}  "
            f"{entry.identifier_masked:<20}  {state:<7}  added {entry.added_at:%Y-%m-%d} by {entry.added_by}  "
            f"expires {entry.expires_at:%Y-%m-%d}  source: {entry.source}  reason: {entry.reason}{removed}")


@lists_app.command("add")
def add(
    list_kind: Annotated[str, typer.Option("--list", help=LIST_HELP)],
    source: Annotated[str, typer.Option(help="Where the listing comes from (a PBOC report, a court ruling's number).")],
    by: Annotated[str, typer.Option(help="Who adds it.")],
    reason: Annotated[str, typer.Option(help="Why.")],
    id_number: IdNumber = None, phone: Phone = None, device: Device = None, address: Address = None,
    expires: Annotated[str | None, typer.Option(help="Expiry date YYYY-MM-DD (default: the list's term: "
                                                     "5 years for pboc and bank, 2 for court).")] = None,
) -> None:
    """Put one identifier on a list (stored as a keyed hash; shown masked)."""
    kind = _list_kind(list_kind)
    assert kind is not None  # --list is required
    identifier = _identifier(id_number, phone, device, address)
    if identifier is None:
        raise fail("one of --id-number, --phone, --device, --address must be given; got none")
    with open_lists() as lists:
        entry = lists.add(kind, *identifier, source=source, added_by=by, reason=reason, expires_at=_expiry(expires))
    typer.echo(f"added entry {entry.entry_id}: {entry.identifier_masked} on the {entry.list_kind.value} list "
               f"until {entry.expires_at:%Y-%m-%d}")


@lists_app.command("remove")
def remove(
    entry_id: Annotated[int, typer.Argument(help="The entry's number (see lists show).")],
    by: Annotated[str, typer.Option(help="Who removes it.")],
    reason: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Take an active entry off its list (kept, marked removed, the change recorded)."""
    with open_lists() as lists:
        entry = lists.remove(entry_id, by=by, reason=reason)
    typer.echo(f"removed entry {entry.entry_id}: {entry.identifier_masked} from the {entry.list_kind.value} list")


@lists_app.command("show")
def show(
    list_kind: Annotated[str | None, typer.Option("--list", help=LIST_HELP + " Default: all.")] = None,
    id_number: IdNumber = None, phone: Phone = None, device: Device = None, address: Address = None,
    all_entries: Annotated[bool, typer.Option("--all", help="Also expired and removed entries.")] = False,
    changes: Annotated[bool, typer.Option("--changes", help="Every change made, in order, instead.")] = False,
) -> None:
    """The entries active now (or all, or those of one identifier), masked; or the changes."""
    kind = _list_kind(list_kind)
    identifier = _identifier(id_number, phone, device, address)
    now = datetime.now(UTC)
    with open_lists() as lists:
        entries = lists.entries(kind, identifier=identifier, active_at=None if all_entries or changes else now)
        history = lists.changes() if changes else []
    if changes:
        shown = {e.entry_id for e in entries}
        for change in history:
            if change.entry_id in shown:
                typer.echo(f"{change.at:%Y-%m-%d %H:%M:%S}  entry {change.entry_id:>5}  {change.action:<6}  "
                           f"by {change.by}: {change.reason}")
        return
    for entry in entries:
        typer.echo(_line(entry, now))
    typer.echo(f"{len(entries)} {'entries' if all_entries else 'active entries'}")
