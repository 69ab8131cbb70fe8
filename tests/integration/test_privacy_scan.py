"""No raw identifier anywhere the platform keeps things: every owner ID number and phone, device
fingerprint and business address of the session's generated book, and of the reference
customers, is searched for in every file of the MLflow store (the SQLite database and every
artefact), in the audit database, link store and loan store of a real server that scored some of
them, and in that server's log, which also saw malformed IDs, phones, devices and addresses, and an
owner's ID and phone written into a business name.

Searched as bytes (UTF-8, UTF-16 and UTF-32, so pickled numpy strings count; devices and
addresses also as JSON's ``\\uXXXX`` escapes), inside zip and gzip members and Parquet columns,
and through the SQLite files' SQL dump. A leak is reported by file and count, never by the
identifier itself: a test's output is a log too.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import math
import re
import secrets
import sqlite3
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow.parquet as pq
import pytest

from riskmodels.config import Settings
from riskmodels.contract.privacy import mask_any, mask_id_number, mask_phone
from serving.schemas import ApplicationRequest
from tests._server import running

pytestmark = pytest.mark.e2e

KEY = "e2e-privacy-key"
AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
SCORED = 40  # applications of the book scored one by one, beside the reference customers
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _candidates(width: int) -> re.Pattern[bytes]:
    """An ID or a phone written with ``width`` bytes per character (UTF-8, UTF-16, UTF-32)."""
    pad = re.escape(b"\x00" * (width - 1))
    digit, check, one = b"[0-9]" + pad, b"[0-9X]" + pad, b"1" + pad
    pattern = b"(?:%s){17}%s|%s(?:%s){10}" % (digit, check, one, digit)
    # Standalone in UTF-8 text; wide strings are rarer and searched as they come.
    return re.compile(b"(?<![0-9])(?:%s)(?![0-9])" % pattern if width == 1 else pattern)


_CANDIDATES = {"utf-8": _candidates(1), "utf-16-le": _candidates(2), "utf-32-le": _candidates(4)}
# A device fingerprint is ASCII: runs of the characters its format allows, read window by window.
# An address is mostly Chinese, which text read in the wrong encoding is full of (two ASCII bytes
# read as UTF-16 are often a CJK code point): found by the book's address prefixes instead.
_DEVICE_RUN = re.compile(r"[0-9A-Za-z._:-]{8,}")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_PREFIX = 3  # characters of an address that open the search for it (a city: 北京市, 上海市...)


@dataclass(frozen=True)
class Linked:
    """The book's device fingerprints and business addresses, indexed for the search."""

    devices: frozenset[str]
    addresses: frozenset[str]
    device_lengths: tuple[int, ...]
    address_lengths: tuple[int, ...]
    opening: re.Pattern[str]  # where one of the book's addresses may start

    @classmethod
    def of(cls, devices: set[str], addresses: set[str]) -> Linked:
        prefixes = sorted({a[:_PREFIX] for a in addresses})
        return cls(frozenset(devices), frozenset(addresses), tuple(sorted({len(v) for v in devices})),
                   tuple(sorted({len(v) for v in addresses})),
                   re.compile("(?=(?:" + "|".join(map(re.escape, prefixes)) + "))"))

    def count(self, text: str) -> Counter[str]:
        kinds: Counter[str] = Counter()
        for run in _DEVICE_RUN.finditer(text):
            token = run.group(0)
            kinds["device"] += sum(token[i:i + n] in self.devices for n in self.device_lengths
                                   for i in range(len(token) - n + 1))
        for start in self.opening.finditer(text):
            at = start.start()
            kinds["address"] += any(text[at:at + n] in self.addresses for n in self.address_lengths)
        return +kinds  # only the kinds found


def _texts(data: bytes) -> Iterator[str]:
    """The bytes as text in each encoding and alignment a string could be stored in, and UTF-8
    text with JSON's \\uXXXX escapes read back."""
    text = data.decode("utf-8", "replace")
    yield text
    if "\\u" in text:
        yield _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    for encoding, width in (("utf-16-le", 2), ("utf-32-le", 4)):
        for start in range(width):
            yield data[start:len(data) - (len(data) - start) % width].decode(encoding, "replace")


@dataclass(frozen=True)
class Served:
    mlruns: Path
    audit_db: Path
    stores: Path  # the server's link and loan stores
    log: Path
    key: str
    malformed: tuple[str, ...]  # malformed versions of real identifiers the server was sent


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.strftime("%Y-%m-%d")
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="module")
def linked(portfolio_dir: Path) -> Linked:
    """Every device fingerprint and business address of the book (the reference customers send none)."""
    table = pq.read_table(portfolio_dir / "applications.parquet", columns=["device_id", "business_address"])
    devices, addresses = ({v for v in table.column(name).to_pylist() if v} for name in table.column_names)
    for path in REFERENCE_DIR.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        devices |= {body["device_id"]} - {None}
        addresses |= {body["business_address"]} - {None}
    assert len(devices) > 1000 and len(addresses) > 1000
    return Linked.of(devices, addresses)


@pytest.fixture(scope="module")
def identifiers(portfolio_dir: Path) -> frozenset[str]:
    """Every owner ID number and phone of the book and of the reference customers."""
    table = pq.read_table(portfolio_dir / "applications.parquet", columns=["owner_id_number", "owner_phone"])
    found = {v for column in table.columns for v in column.to_pylist() if v}
    for path in REFERENCE_DIR.glob("*.json"):
        body = json.loads(path.read_text(encoding="utf-8"))
        found |= {body["owner_id_number"], body["owner_phone"]}
    assert len(found) > 1000
    return frozenset(found)


def _bodies(portfolio_dir: Path) -> list[dict[str, Any]]:
    frame = pd.read_parquet(portfolio_dir / "applications.parquet").head(SCORED)
    names = [n for n in ApplicationRequest.model_fields if n in frame.columns]
    return [{k: _plain(v) for k, v in row.items()} for row in frame[names].to_dict(orient="records")]


@pytest.fixture(scope="module")
def served(post_loan_store: Settings, portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Served:
    """A real server on the session's store (A, B, C cards and fraud) that scored real bodies and
    was sent malformed ones, then stopped: its audit database and log are complete."""
    tmp = tmp_path_factory.mktemp("privacy-scan")
    pseudonym_key = "privacy-scan-key-" + secrets.token_hex(24)  # from the setting: never written to a file here
    env = {"RISKMODELS_HOME": str(post_loan_store.home), "RISKMODELS_API_KEYS": KEY,
           "RISKMODELS_AUDIT_DB": str(tmp / "audit" / "decisions.sqlite"), "RISKMODELS_PSEUDONYM_KEY": pseudonym_key,
           "RISKMODELS_LINK_STORE_URL": f"sqlite:///{tmp / 'stores' / 'links.sqlite'}",
           "RISKMODELS_LOAN_STORE_URL": f"sqlite:///{tmp / 'stores' / 'loans.sqlite'}"}
    (tmp / "stores").mkdir()
    bodies = _bodies(portfolio_dir) + [json.loads(p.read_text(encoding="utf-8")) for p in REFERENCE_DIR.glob("*.json")]
    sent = [v for b in bodies for v in (b["device_id"], b["business_address"]) if v]
    assert len(sent) > SCORED  # the book's bodies carry their device and address
    real_id, real_phone = bodies[0]["owner_id_number"], bodies[0]["owner_phone"]
    device, address = next((b["device_id"], b["business_address"]) for b in bodies
                           if b["device_id"] and b["business_address"])
    # Malformed: cut short, full-width, a space inside, punctuation inside.
    malformed = (real_id[:-1], real_id.translate(FULL_WIDTH), real_phone[:-1], real_phone.translate(FULL_WIDTH),
                 real_phone + "0", device[:4] + " " + device[4:], address[:3] + "，" + address[3:])
    log = tmp / "server.log"
    with running(env, wait_path="/readyz", log_file=log, timeout=180.0) as base, httpx.Client(base_url=base, timeout=60.0) as client:
        for body in bodies:
            answer = client.post("/v1/score/application", headers=AUTH, content=json.dumps(body).encode())
            assert answer.status_code == 200, answer.text[:300]
        # An owner who writes their own phone and ID number into the business name (free text).
        own = bodies[4]
        carrier = {**own, "business_name": f"{own['business_name']}电话{own['owner_phone']}身份证{own['owner_id_number']}"}
        answer = client.post("/v1/score/application", headers=AUTH, content=json.dumps(carrier, ensure_ascii=False).encode())
        assert answer.status_code == 200, answer.text[:300]
        fraud = client.post("/v1/score/fraud", headers=AUTH, content=json.dumps(bodies[1]).encode())
        assert fraud.status_code == 200, fraud.text[:300]
        # Malformed identifiers, as JSON with and without escapes, and bad strings beside real ones.
        for bad_id, bad_phone in zip(malformed[:2], malformed[2:4]):
            for ensure_ascii in (True, False):
                text = json.dumps({**bodies[2], "owner_id_number": bad_id, "owner_phone": bad_phone},
                                  ensure_ascii=ensure_ascii)
                rejected = client.post("/v1/score/application", headers=AUTH, content=text.encode())
                assert 400 <= rejected.status_code < 500, rejected.text[:300]
        for field, bad in (("device_id", malformed[5]), ("business_address", malformed[6])):
            for ensure_ascii in (True, False):
                text = json.dumps({**bodies[2], field: bad}, ensure_ascii=ensure_ascii)
                rejected = client.post("/v1/score/application", headers=AUTH, content=text.encode())
                assert rejected.status_code == 422, rejected.text[:300]
                assert [(e["field"], e["got"]) for e in rejected.json()["errors"]] == [(field, mask_any(field, bad))]
        raw = json.dumps({**bodies[3], "owner_phone": malformed[4]}).encode()
        for bad in (raw.replace(b'"business_name": "', b'"business_name": "\\ud800'),  # a lone surrogate
                    raw.replace(b'"business_name": "', b'"business_name": "\xff\xfe'),  # invalid UTF-8
                    raw[: len(raw) // 2]):  # cut short
            # Each on its own connection, which such a body may break: the API's tests assert
            # the answer (a 4xx); here only what the server logs about it matters.
            with httpx.Client(base_url=base, timeout=60.0) as fresh, contextlib.suppress(httpx.TransportError):
                fresh.post("/v1/score/application", headers=AUTH, content=bad)
    return Served(post_loan_store.mlruns_dir, tmp / "audit" / "decisions.sqlite", tmp / "stores", log, pseudonym_key,
                  malformed)


# -- the search ------------------------------------------------------------------------------
def _views(path: Path) -> Iterator[tuple[str, bytes]]:
    """The file's bytes, and what it holds in forms a byte search would miss."""
    data = path.read_bytes()
    yield "", data
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                yield f"!{member}", archive.read(member)
    elif data[:2] == b"\x1f\x8b":
        yield "!gunzip", gzip.decompress(data)
    elif data[:4] == b"PAR1":
        yield "!parquet", pq.read_table(io.BytesIO(data)).to_pandas().to_csv(index=False).encode()
    elif data[:16] == b"SQLite format 3\x00":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            yield "!sql", "\n".join(conn.iterdump()).encode("utf-8", "surrogatepass")


def leaks(paths: list[Path], raw: frozenset[str], also: tuple[str, ...] = (),
          linked: Linked | None = None) -> dict[str, Counter[str]]:
    """For each file (and member) holding a raw identifier: how many of each kind it holds."""
    found: dict[str, Counter[str]] = {}
    extra = [(s, s.encode(enc)) for s in also for enc in ("utf-8", "utf-16-le", "utf-32-le")]
    extra += [(s, json.dumps(s).strip('"').encode()) for s in also]  # JSON's \uff11 escapes
    for path in paths:
        for part, data in _views(path):
            kinds: Counter[str] = Counter()
            for encoding, pattern in _CANDIDATES.items():
                for match in pattern.finditer(data):
                    value = match.group(0).decode(encoding)
                    if value in raw:
                        kinds["ID number" if len(value) == 18 else "phone"] += 1
            kinds.update("malformed identifier" for s, b in extra if b in data)
            if linked is not None:
                for text in _texts(data):
                    kinds.update(linked.count(text))
            if kinds:
                found[f"{path}{part}"] = kinds
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _report(found: dict[str, Counter[str]]) -> str:
    return "\n".join(f"{where}: {dict(kinds)}" for where, kinds in found.items())


# -- the checks ------------------------------------------------------------------------------
def test_the_search_finds_an_identifier_where_one_is(tmp_path: Path, identifiers: frozenset[str],
                                                     linked: Linked) -> None:
    """The scan is meaningful: raw identifiers in each form it reads are found, masked ones not."""
    some_id = next(v for v in sorted(identifiers) if len(v) == 18)
    some_phone = next(v for v in sorted(identifiers) if len(v) == 11)
    device, other_device = sorted(linked.devices)[:2]
    address, other_address = sorted(linked.addresses)[:2]
    (tmp_path / "example.json").write_text(json.dumps({"owner_id_number": some_id}))
    pd.DataFrame({"owner_phone": [some_phone]}).to_parquet(tmp_path / "rows.parquet", compression="snappy")
    with zipfile.ZipFile(tmp_path / "model.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("input_example.json", json.dumps([some_id]))
    (tmp_path / "strings.npy").write_bytes(some_phone.encode("utf-32-le"))
    with sqlite3.connect(tmp_path / "db.sqlite") as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.execute("INSERT INTO t VALUES (?)", (some_id,))
    (tmp_path / "masked.json").write_text(json.dumps([mask_id_number(some_id), mask_phone(some_phone),
                                                      mask_any("device_id", device),
                                                      mask_any("business_address", address)]))
    (tmp_path / "log.txt").write_text("rejected " + json.dumps("１３８"), encoding="utf-8")
    # Devices and addresses: JSON escaped and not, inside a longer token, in Parquet, as numpy's
    # UTF-32 strings at an odd offset and UTF-16 ones, in SQLite, in a zip member.
    (tmp_path / "device.json").write_text(json.dumps({"device_id": device}))
    (tmp_path / "address.json").write_text(json.dumps({"business_address": address}))  # \uXXXX escapes
    (tmp_path / "address.log").write_text(f"address={address}，suspicious", encoding="utf-8")
    (tmp_path / "token.txt").write_text(f"hash:{device}ffff", encoding="utf-8")
    pd.DataFrame({"business_address": [other_address]}).to_parquet(tmp_path / "addresses.parquet")
    (tmp_path / "devices.npy").write_bytes(b"\x93NUMPY" + (device + other_device).encode("utf-32-le"))
    (tmp_path / "address.utf16").write_bytes(b"x" + other_address.encode("utf-16-le"))
    with sqlite3.connect(tmp_path / "links.sqlite") as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.execute("INSERT INTO t VALUES (?)", (other_device,))
    with zipfile.ZipFile(tmp_path / "example.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("input_example.json", json.dumps({"business_address": address}, ensure_ascii=False))
    found = leaks(_files(tmp_path), identifiers, also=("１３８",), linked=linked)
    assert {Path(k.split("!")[0]).name for k in found} == {
        "example.json", "rows.parquet", "model.zip", "strings.npy", "db.sqlite", "log.txt", "device.json",
        "address.json", "address.log", "token.txt", "addresses.parquet", "devices.npy", "address.utf16",
        "links.sqlite", "example.zip"}
    assert found[f"{tmp_path / 'devices.npy'}"]["device"] == 2


def test_the_mlflow_store_holds_no_raw_identifier(served: Served, identifiers: frozenset[str],
                                                  linked: Linked) -> None:
    files = _files(served.mlruns)
    assert any(p.name == "mlflow.db" for p in files) and len(files) > 20
    found = leaks(files, identifiers, linked=linked)  # named, so a failure shows files and counts, never the values
    assert not found, "raw identifiers in the MLflow store:\n" + _report(found)


def test_the_audit_database_holds_no_raw_identifier_nor_the_key(served: Served, identifiers: frozenset[str],
                                                                linked: Linked) -> None:
    files = sorted(served.audit_db.parent.glob(served.audit_db.name + "*"))
    with sqlite3.connect(served.audit_db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] >= SCORED
    found = leaks(files, identifiers, also=(*served.malformed, served.key), linked=linked)
    assert not found, "raw identifiers (or the key) in the audit database:\n" + _report(found)


def test_the_link_and_loan_stores_hold_no_raw_identifier(served: Served, identifiers: frozenset[str],
                                                         linked: Linked) -> None:
    files = _files(served.stores)
    with sqlite3.connect(served.stores / "links.sqlite") as conn:
        (devices, addresses) = conn.execute("SELECT COUNT(device_hash), COUNT(address_hash) "
                                            "FROM link_applications").fetchone()
    assert devices >= SCORED // 2 and addresses >= SCORED // 2  # the server linked the bodies' devices and addresses
    found = leaks(files, identifiers, also=(*served.malformed, served.key), linked=linked)
    assert not found, "raw identifiers (or the key) in the link or loan store:\n" + _report(found)


def test_the_server_log_holds_no_raw_identifier_even_from_malformed_requests(
        served: Served, identifiers: frozenset[str], linked: Linked) -> None:
    assert served.log.stat().st_size > 0
    found = leaks([served.log], identifiers, also=served.malformed, linked=linked)
    assert not found, "raw identifiers in the server's log:\n" + _report(found)


def test_the_key_is_kept_apart_from_the_store(served: Served) -> None:
    found = leaks([*_files(served.mlruns), *_files(served.stores), served.log], frozenset(), also=(served.key,))
    assert not found, _report(found)
