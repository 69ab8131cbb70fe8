"""The shared stores' engines: the same SQL on embedded SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa

from riskmodels.config import Settings
from riskmodels.stores import StoreUrlError, open_engine, redacted
from tests._threads import run_together


def _round_trip(url: str) -> list[tuple[str, int]]:
    engine = open_engine(url)
    meta = sa.MetaData()
    table = sa.Table("probe", meta, sa.Column("key", sa.String(64), primary_key=True), sa.Column("n", sa.Integer))
    meta.create_all(engine)
    try:
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"key": "a", "n": 1}, {"key": "b", "n": 2}])
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(table.insert(), [{"key": "c", "n": 3}, {"key": "a", "n": 9}])
        with engine.connect() as conn:  # the failed transaction left nothing: not even "c"
            return [tuple(r) for r in conn.execute(sa.select(table.c.key, table.c.n).order_by(table.c.key))]
    finally:
        meta.drop_all(engine)
        engine.dispose()


def test_sqlite_store_is_made_in_its_folder_and_transactions_are_atomic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'store.sqlite'}"
    assert _round_trip(url) == [("a", 1), ("b", 2)]
    assert (tmp_path / "nested" / "store.sqlite").exists()


def test_postgres_store_behaves_as_sqlite(postgres_url: str) -> None:
    assert _round_trip(postgres_url) == [("a", 1), ("b", 2)]


def test_unknown_backend_is_refused_with_the_password_hidden() -> None:
    with pytest.raises(StoreUrlError, match=r"must be sqlite:///PATH or postgresql\+psycopg://\.\.\.; got mysql://u:\*\*\*@h/db"):
        open_engine("mysql://u:secret@h/db")
    assert "secret" not in redacted("postgresql+psycopg://u:secret@h/db")


def test_default_store_urls_sit_under_the_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.resolved_link_store_url == f"sqlite:///{(tmp_path / 'stores' / 'links.sqlite').resolve()}"
    assert settings.resolved_loan_store_url == f"sqlite:///{(tmp_path / 'stores' / 'loans.sqlite').resolve()}"
    configured = Settings(home=tmp_path, link_store_url="postgresql+psycopg://pg@127.0.0.1/links")
    assert configured.resolved_link_store_url == "postgresql+psycopg://pg@127.0.0.1/links"


def _waits_for_disk(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one()) >= 2  # FULL (or EXTRA)
        return str(conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()) != "off"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_only_the_link_stores_records_of_scored_applications_skip_the_fsync(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from riskmodels.links import LinkStore
    from riskmodels.links import tables as links

    url = (f"sqlite:///{tmp_path / 'links.sqlite'}" if backend == "sqlite"
           else request.getfixturevalue("postgres_url"))
    assert _waits_for_disk(open_engine(url)) and not _waits_for_disk(open_engine(url, durable=False))
    store = LinkStore.open(url, b"k" * 32)
    try:  # lists (an officer's act) are written durably; each scored application's record is not
        assert _waits_for_disk(store.engine) and not _waits_for_disk(store.observations)
    finally:
        store.close()
        links.metadata.drop_all(store.engine)  # the server is shared: its key must not bind later tests
        store.engine.dispose()


def test_stores_opened_by_processes_starting_together_all_open(tmp_path: Path) -> None:
    """The service's workers start at once: each creates the stores' schema if missing. Before
    the schema was created under a lock, the second to find a table missing failed to start."""
    from riskmodels.links import LinkStore
    from riskmodels.loans import LoanStore

    def open_both(links: str, loans: str) -> None:
        LinkStore.open(links, b"k" * 32).close()
        LoanStore(open_engine(loans), b"k" * 32).close()

    for attempt in range(20):  # fresh databases: the race is a matter of timing
        links, loans = f"sqlite:///{tmp_path / f'links{attempt}.sqlite'}", f"sqlite:///{tmp_path / f'loans{attempt}.sqlite'}"
        failures = run_together([partial(open_both, links, loans)] * 4)
        assert failures == []
