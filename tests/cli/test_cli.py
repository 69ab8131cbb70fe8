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


def test_quality_check_exits_non_zero_on_a_critical_failure(portfolio_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    apps = pd.read_parquet(portfolio_dir / "applications.parquet").head(500)
    apps.loc[apps.index[:2], "owner_age"] = 150
    bad = tmp_path / "applications.parquet"
    apps.to_parquet(bad)
    result = runner.invoke(app, ["quality", "check", "--table", "applications", "--data", str(bad),
                                 "--out", str(tmp_path / "q")])
    assert result.exit_code == 1
    assert "FAILED" in result.output and (tmp_path / "q" / "quality_applications.html").exists()


def test_monitor_portfolio_writes_alerts_and_report(portfolio_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["monitor", "portfolio", "--data", str(portfolio_dir), "--out", str(tmp_path),
                                 "--as-of", "2024-06-30", "--no-b-card"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "portfolio_report.html").exists() and (tmp_path / "alerts.parquet").exists()


def test_monitor_rejects_a_bad_date(portfolio_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["monitor", "portfolio", "--data", str(portfolio_dir), "--out", str(tmp_path),
                                 "--as-of", "June"])
    assert result.exit_code == 2 and "--as-of must be a date YYYY-MM-DD; got 'June'" in result.output
