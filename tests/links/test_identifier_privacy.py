"""Scoring a generated book's applications with their device fingerprints and business addresses:
the link store counts them (its values are what the decision used), and neither the audit log
nor the link store keeps any of them raw: the audit holds masked copies, the store keyed hashes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from riskmodels.audit import AuditLog
from riskmodels.config import Settings
from serving.schemas import ApplicationRequest
from serving.scoring import Scoring

IDENTIFIERS = ("device_id", "business_address")
HONEST = 20


@dataclass(frozen=True)
class Scored:
    bodies: list[dict[str, Any]]
    decided_on: list[dict[str, Any]]
    audit_db: Path
    link_db: Path
    settings: Settings


def _bodies(portfolio_dir: Path) -> list[dict[str, Any]]:
    """The largest fraud ring's applications in date order, then some honest ones, as the API takes them."""
    book = pd.read_parquet(portfolio_dir / "applications.parquet")
    ring = pd.read_parquet(portfolio_dir / "truth.parquet", columns=["application_id", "fraud_ring_id"])
    book = book.merge(ring, on="application_id")
    largest = book["fraud_ring_id"].value_counts().index[0]
    chosen = pd.concat([book[book["fraud_ring_id"] == largest].sort_values("application_date"),
                        book[book["fraud_ring_id"].isna()].head(HONEST)])
    rows = json.loads(chosen.drop(columns="fraud_ring_id").to_json(orient="records", date_format="iso"))
    for row in rows:
        row["application_date"] = row["application_date"][:10]
    return [ApplicationRequest.model_validate(row).model_dump(mode="json") for row in rows]


@pytest.fixture(scope="module")
def scored(trained_store: Settings, portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scored]:
    tmp = tmp_path_factory.mktemp("identifier-privacy")
    settings = trained_store.model_copy(update={"audit_db": tmp / "audit" / "decisions.sqlite",
                                                "link_store_url": f"sqlite:///{tmp / 'links.sqlite'}"})
    bodies = _bodies(portfolio_dir)
    scoring = Scoring(settings)
    try:
        rows = [(f"privacy-{i:03d}", body) for i, body in enumerate(bodies)]
        _, records = scoring.decide_rows("application", rows)
        scoring.commit(records)
        decided_on = [r.decided_on for r in records]
    finally:
        scoring.close()
    yield Scored(bodies, decided_on, settings.resolved_audit_db, tmp / "links.sqlite", settings)


def _searchable(path: Path) -> bytes:
    """A SQLite database's bytes (with its journal files) and its SQL dump."""
    raw = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    with sqlite3.connect(path) as conn:
        dump = "\n".join(conn.iterdump()).encode("utf-8")
    return raw + dump


def _spellings(value: str) -> list[bytes]:
    return [value.encode("utf-8"), json.dumps(value).encode("ascii"), value.encode("utf-16-le")]


def test_the_decision_used_the_store_counts_of_devices_and_addresses(scored: Scored) -> None:
    for name, column in (("device_shared_count", "device_id"), ("address_shared_count", "business_address")):
        for i, (body, used) in enumerate(zip(scored.bodies, scored.decided_on, strict=True)):
            earlier = {b["owner_id_number"] for b in scored.bodies[:i]
                       if b[column] == body[column] and b["owner_id_number"] != body["owner_id_number"]}
            assert used[name] == len(earlier), (name, i)
    ring = scored.decided_on[: len(scored.bodies) - HONEST]
    assert max(u["device_shared_count"] for u in ring) >= 1  # the ring's members were linked by device


def test_no_device_or_address_is_kept_raw_in_the_audit_log_or_the_link_store(scored: Scored) -> None:
    values = {body[c] for body in scored.bodies for c in IDENTIFIERS}
    assert len(values) > len(scored.bodies) // 2 and None not in values
    for path in (scored.audit_db, scored.link_db):
        found = _searchable(path)
        leaked = sum(any(s in found for s in _spellings(v)) for v in values)
        assert leaked == 0, f"{leaked} raw devices or addresses in {path.name}"


def test_the_audit_keeps_masked_copies_and_verifies_the_original_body(scored: Scored) -> None:
    from riskmodels.audit import verify_body

    log = AuditLog.from_settings(scored.settings)
    try:
        for i, body in enumerate(scored.bodies[:5]):
            record = log.get(f"privacy-{i:03d}")
            for column in IDENTIFIERS:
                assert record.input_masked[column] == "*" * len(body[column])
            assert verify_body(record, body, log.key).matches
    finally:
        log.close()
