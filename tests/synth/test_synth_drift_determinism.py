"""Same seed, same bytes; another seed or ``drift=True``, another population."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels.synth import generate_portfolio, write_portfolio
from riskmodels.synth import portfolio as portfolio_module

PSI_SHIFTED = 0.25  # the usual "significant shift" threshold of population stability


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))}


def test_the_same_seed_gives_byte_identical_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Small chunks, so the test also covers several chunks with their own generators.
    monkeypatch.setattr(portfolio_module, "CHUNK_SIZE", 1_000)
    for run in ("a", "b"):
        write_portfolio(generate_portfolio(2_500, 5), tmp_path / run)
    write_portfolio(generate_portfolio(2_500, 6), tmp_path / "other")
    first, second, other = _digests(tmp_path / "a"), _digests(tmp_path / "b"), _digests(tmp_path / "other")
    assert len(first) == 7 and first == second
    assert first["applications.parquet"] != other["applications.parquet"]
    assert (tmp_path / "a" / "manifest.json").read_bytes() == (tmp_path / "b" / "manifest.json").read_bytes()


def _psi(expected: pd.Series, actual: pd.Series, bins: int = 10) -> float:
    edges = np.unique(np.quantile(expected.dropna(), np.linspace(0, 1, bins + 1)))
    def shares(x: pd.Series) -> np.ndarray:
        counts = np.histogram(x.dropna().clip(edges[0], edges[-1]), edges)[0] + 0.5
        return counts / counts.sum()
    e, a = shares(expected), shares(actual)
    return float(((a - e) * np.log(a / e)).sum())


def _category_psi(expected: pd.Series, actual: pd.Series) -> float:
    e = expected.value_counts(normalize=True)
    a = actual.value_counts(normalize=True).reindex(e.index, fill_value=1e-4)
    return float(((a - e) * np.log(a / e)).sum())


def test_drift_shifts_the_population_enough_for_psi() -> None:
    base = generate_portfolio(10_000, 3)
    drifted = generate_portfolio(10_000, 3, drift=True)
    a, d = base.applications, drifted.applications
    assert _category_psi(a["industry"], d["industry"]) > PSI_SHIFTED
    assert _psi(a["pb_inquiries_6m"], d["pb_inquiries_6m"]) > PSI_SHIFTED
    assert d["eb_lenders"].isna().mean() > a["eb_lenders"].isna().mean() + 0.1  # thinner files
    assert drifted.truth["health"].mean() < base.truth["health"].mean() - 0.2
    assert drifted.truth["true_pd"].mean() > base.truth["true_pd"].mean()
    assert not set(a["application_id"]) & set(d["application_id"])  # the two books can be stacked
