"""The command line: readable help and clear errors on bad arguments."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from riskmodels.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "train", "promote", "quality"):
        assert command in result.output


def test_generate_rejects_a_negative_size(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "d"), "--n-applications", "-5"])
    assert result.exit_code == 2
    assert "--n-applications must be a positive integer; got -5" in result.output


def test_generate_rejects_a_path_under_a_file(tmp_path: Path) -> None:
    # Works for root too: nothing can create a folder below a regular file.
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["generate", "--out", str(blocker / "d"), "--n-applications", "10"])
    assert result.exit_code == 2
    assert "must be a writable folder" in result.output


def test_generate_writes_the_contract_tables(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    result = runner.invoke(app, ["generate", "--out", str(out), "--n-applications", "2000", "--seed", "3"])
    assert result.exit_code == 0, result.output
    for name in ("applications", "outcomes", "behavior_snapshots", "collection_cases", "truth"):
        assert (out / f"{name}.parquet").stat().st_size > 0
