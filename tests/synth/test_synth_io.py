"""write_portfolio is atomic and refuses what it cannot write; read_portfolio gives it all back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from riskmodels.synth import Portfolio, generate_portfolio, io, read_portfolio, write_portfolio


@pytest.fixture(scope="module")
def small() -> Portfolio:
    return generate_portfolio(1_500, 2)


def test_round_trip_and_manifest(small: Portfolio, tmp_path: Path) -> None:
    paths = write_portfolio(small, tmp_path / "book")
    assert sorted(p.name for p in paths.values()) == sorted(p.name for p in (tmp_path / "book").iterdir())
    back = read_portfolio(tmp_path / "book")
    for name, df in small.tables().items():
        pd.testing.assert_frame_equal(getattr(back, name), df, check_dtype=True)
    manifest = json.loads(paths["manifest"].read_text())
    assert manifest["seed"] == 2 and manifest["n_applications"] == 1_500 and manifest["drift"] is False
    assert manifest["rows"]["behavior_snapshots"] == len(small.behavior_snapshots)
    assert manifest["generator_version"]


def test_refuses_a_path_below_a_file(small: Portfolio, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(PermissionError, match="out_dir must be a writable folder"):
        write_portfolio(small, blocker / "book")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_refuses_to_replace_a_folder_of_other_files(small: Portfolio, tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="out_dir must be empty or hold a previous portfolio"):
        write_portfolio(small, tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_a_failure_midway_leaves_nothing_half_written(small: Portfolio, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "book"
    write_portfolio(small, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    written: list[Path] = []
    real_write = io._write_table

    def failing_write(df: pd.DataFrame, path: Path) -> None:
        if len(written) == 3:
            raise OSError("disk full")
        written.append(path)
        real_write(df, path)

    monkeypatch.setattr(io, "_write_table", failing_write)
    with pytest.raises(OSError, match="disk full"):
        write_portfolio(generate_portfolio(500, 9), target)
    # The previous portfolio is untouched and no temporary folder is left behind.
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book"]


def test_replaces_a_previous_portfolio(small: Portfolio, tmp_path: Path) -> None:
    write_portfolio(generate_portfolio(500, 9), tmp_path / "book")
    write_portfolio(small, tmp_path / "book")
    assert len(read_portfolio(tmp_path / "book").applications) == 1_500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book"]


def test_read_portfolio_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="applications.parquet"):
        read_portfolio(tmp_path)
