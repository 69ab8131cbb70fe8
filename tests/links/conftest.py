"""The link store on both engines: embedded SQLite (a file of the test's own) and the real
PostgreSQL server of the session (its tables dropped after each test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from riskmodels.links import LinkStore
from riskmodels.links.tables import metadata
from riskmodels.stores import open_engine

KEY = b"links-test-pseudonym-key-0123456789abcdef"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty link-store URL on each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'links.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    engine = open_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[LinkStore]:
    opened = LinkStore.open(store_url, KEY)
    yield opened
    opened.close()
