"""``riskmodels lists add|remove|show``: a round trip on the configured link store, identifiers
never printed or stored raw, errors on one line with exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import get_settings
from riskmodels.links import IdentifierKind, LinkStore, ListKind
from tests.links.conftest import KEY

runner = CliRunner()
ID, PHONE = "110101199003071234", "13812345678"


@pytest.fixture
def link_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'links.sqlite'}"
    monkeypatch.setenv("RISKMODELS_LINK_STORE_URL", url)
    monkeypatch.setenv("RISKMODELS_PSEUDONYM_KEY", KEY.decode())
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["lists", *args])
    return result.exit_code, result.stdout, result.stderr


def test_add_show_remove_round_trip(link_store: str) -> None:
    code, out, _ = run("add", "--list", "court", "--phone", PHONE, "--source", "(2024)京01执123号",
                       "--by", "alice", "--reason", "court listing", "--expires", "2099-01-01")
    assert code == 0 and out.strip() == "added entry 1: 138****5678 on the court list until 2099-01-01"
    code, out, _ = run("add", "--list", "bank", "--id-number", ID, "--source", "fraud team", "--by", "alice",
                       "--reason", "forged statements")
    assert code == 0 and "110101********1234 on the bank list" in out
    code, out, _ = run("show", "--phone", "138 1234 5678")
    assert code == 0 and "138****5678" in out and "(2024)京01执123号" in out and "1 active entries" in out
    code, out, _ = run("remove", "1", "--by", "bob", "--reason", "lifted by the court")
    assert code == 0 and out.strip() == "removed entry 1: 138****5678 from the court list"
    assert "1 active entries" in run("show")[1]
    code, out, _ = run("show", "--all")
    assert "removed by bob: lifted by the court" in out and "2 entries" in out
    code, out, _ = run("show", "--changes")
    assert [line.split()[4] for line in out.splitlines()] == ["add", "add", "remove"]
    store = LinkStore.open(link_store, KEY)
    try:
        assert store.lists.hits({"owner_id_number": ID}) and not store.lists.hits({"owner_id_number": "1", "owner_phone": PHONE})
    finally:
        store.close()
    everything = "".join(run(*a)[1] for a in (("show", "--all"), ("show", "--changes")))
    assert ID not in everything and PHONE not in everything
    folder = Path(link_store.removeprefix("sqlite:///")).parent
    stored = b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())
    assert ID.encode() not in stored and PHONE.encode() not in stored


@pytest.mark.parametrize(("args", "message"), [
    (("remove", "7", "--by", "bob", "--reason", "x"), "error: entry_id must name a list entry; got 7 (no such entry)"),
    (("add", "--list", "pboc", "--source", "s", "--by", "b", "--reason", "r"),
     "error: one of --id-number, --phone, --device, --address must be given; got none"),
    (("add", "--list", "gov", "--phone", PHONE, "--source", "s", "--by", "b", "--reason", "r"),
     "error: --list must be one of pboc, bank, court; got 'gov'"),
    (("add", "--list", "bank", "--phone", PHONE, "--id-number", ID, "--source", "s", "--by", "b", "--reason", "r"),
     "error: --id-number, --phone, --device, --address must be given one at a time; got --id-number, --phone"),
    (("add", "--list", "bank", "--phone", PHONE, "--source", "s", "--by", "b", "--reason", "r", "--expires", "2020-01-01"),
     "error: expires must be after the entry is added"),
])
def test_errors_are_one_line_with_exit_code_2(link_store: str, args: tuple[str, ...], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and err.startswith(message), err
    assert PHONE not in err and ID not in err


def test_an_expired_entry_cannot_be_removed(link_store: str) -> None:
    store = LinkStore.open(link_store, KEY)
    try:
        past = datetime.now(UTC) - timedelta(days=40)
        store.lists.add(ListKind.BANK, IdentifierKind.PHONE, PHONE, source="s", added_by="b", reason="r",
                        at=past, expires_at=past + timedelta(days=10))
    finally:
        store.close()
    code, _, err = run("remove", "1", "--by", "bob", "--reason", "x")
    assert code == 2 and err.startswith("error: entry_id must name an active list entry; got 1 (expired on ")

