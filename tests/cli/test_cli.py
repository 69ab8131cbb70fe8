"""The command line: readable help and clear errors on bad arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from riskmodels.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("generate", "train", "promote", "quality"):
        assert command in result.output


@pytest.mark.parametrize(("args", "says"), [
    (["promote"], "error: Missing argument 'name'."),
    (["promote", "sme-fraud", "--bogus"], "error: No such option: --bogus"),
    (["train", "nothing"], "error: Invalid value for 'kind'"),
])
def test_the_parsers_own_usage_errors_fit_on_one_line_with_exit_code_2(args: list[str], says: str) -> None:
    # The console script's path (``main``), not CliRunner's: it is what a user runs.
    done = subprocess.run([sys.executable, "-m", "riskmodels.cli", *args], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(says), done.stderr
    assert "--help" in lines[0] and not done.stdout


def test_generate_rejects_a_negative_size(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--out", str(tmp_path / "d"), "--n-applications", "-5"])
    assert result.exit_code == 2
    assert "--n-applications must be a positive integer; got -5" in result.output


@pytest.mark.parametrize(("args", "says"), [
    (["--workers", "0"], "--workers must be between 1 and 64; got 0"),
    (["--port", "70000"], "--port must be between 1 and 65535; got 70000"),
])
def test_serve_refuses_a_bad_setting_before_starting_anything(args: list[str], says: str) -> None:
    result = runner.invoke(app, ["serve", *args])
    assert result.exit_code == 2
    assert says in result.output


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


def test_help_lists_the_model_listing() -> None:
    result = runner.invoke(app, ["models", "--help"])
    assert result.exit_code == 0 and "list" in result.output and "show" in result.output


def _one_line_error(output: str) -> str:
    """The one error line of a command's stderr (MLflow may log that it created its database)."""
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in output and len(errors) == 1, output
    return errors[0]


def test_train_on_bad_data_fails_on_one_line_with_the_reports_path(portfolio_dir: Path, tmp_path: Path) -> None:
    import pandas as pd

    data = tmp_path / "book"
    data.mkdir()
    apps = pd.read_parquet(portfolio_dir / "applications.parquet").head(2000)
    apps.loc[apps.index[:3], "owner_age"] = 150
    apps.to_parquet(data / "applications.parquet")
    outcomes = pd.read_parquet(portfolio_dir / "outcomes.parquet")
    outcomes[outcomes["application_id"].isin(apps["application_id"])].to_parquet(data / "outcomes.parquet")
    result = runner.invoke(app, ["train", "fraud", "--data", str(data)])
    assert result.exit_code == 1
    line = _one_line_error(result.stderr)
    report = line.rsplit("report: ", 1)[-1]
    assert "fraud not trained: data quality applications failed" in line and "owner_age" in line
    assert report.endswith("quality_applications.html") and Path(report).is_file()


def test_train_refuses_a_config_that_sets_its_own_gates(tmp_path: Path) -> None:
    import riskmodels.training

    config = tmp_path / "fraud.yaml"
    packaged = Path(riskmodels.training.__file__).parent / "configs" / "fraud.yaml"
    config.write_text(packaged.read_text(encoding="utf-8") + "\ngates:\n  min_oot_auc: 0.5\n", encoding="utf-8")
    result = runner.invoke(app, ["train", "fraud", "--data", str(tmp_path), "--config", str(config)])
    assert result.exit_code == 2
    assert "gates must not be set in a training config: promotion gates moved to the bank's gates file" in \
        _one_line_error(result.stderr)


def test_promote_needs_an_approver_and_a_reason() -> None:
    for args, message in ((["promote", "sme-fraud"], "--approver must name the person approving"),
                          (["promote", "sme-fraud", "--approver", "someone"], "--reason must say why")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and message in _one_line_error(result.stderr)


def test_promote_and_show_name_an_unknown_model_on_one_line() -> None:
    for args in (["promote", "no-such-model", "--approver", "a", "--reason", "r"],
                 ["models", "show", "no-such-model"], ["models", "show", "sme-fraud", "--version", "999"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "NAME/--version must be a registered model version or alias" in _one_line_error(result.stderr)


def test_score_batch_names_an_unknown_model_on_one_line(portfolio_dir: Path, tmp_path: Path) -> None:
    for model in ("no-such-model", "sme-application-scorecard:999"):
        result = runner.invoke(app, ["score", "batch", "--model", model, "--input",
                                     str(portfolio_dir / "applications.parquet"), "--output", str(tmp_path / "s.parquet")])
        assert result.exit_code == 2, result.output
        assert "--model must be a registered model version" in _one_line_error(result.stderr)
        assert not (tmp_path / "s.parquet").exists()


def test_models_list_and_show_give_versions_aliases_gates_and_approver(trained_store: object) -> None:
    from riskmodels import registry
    from riskmodels.config import REGISTERED_MODELS

    listing = runner.invoke(app, ["models", "list"])
    assert listing.exit_code == 0, listing.output
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["MODEL", "VERSION", "ALIASES", "GATES", "TRAINED", "BY", "APPROVER", "REGISTERED",
                              "(UTC)"]
    name = REGISTERED_MODELS["fraud"]
    champion = registry.describe(name, registry.CHAMPION)
    row = next(r.split() for r in rows if r.split()[:2] == [name, champion.version])
    assert "champion" in row[2] and row[3] == "passed" and row[4] == champion.tags[registry.TRAINED_BY]
    assert row[5] == champion.tags["approval.approver"]
    shown = runner.invoke(app, ["models", "show", name])
    assert shown.exit_code == 0, shown.output
    text = shown.stdout
    assert text.startswith(f"{name} v{champion.version}") and f"run          {champion.run_id}" in text
    assert "pass min_oot_auc" in text and "pass min_oot_hl_pvalue" in text
    assert f"by {champion.tags['approval.approver']}" in text and "reason: " in text
    assert "comparison   no incumbent" in text and "oot_auc " in text


@pytest.mark.parametrize(("changes", "says"), [
    ({"owner_age": float("nan")}, "owner_age: must be a finite number; got nan"),
    ({"requested_amount": float("inf")}, "requested_amount: must be a finite number; got inf"),
    ({"pb_months_since_overdue": -5}, "pb_months_since_overdue: must be between 0 and 600 or -1"),
    ({"product": "nonexistent"}, "product: must be one of ['general_credit'"),
    ({"owner_age": "45"}, "owner_age: must be a number; got str"),
    ({"surprise": 1}, "surprise: is not a field of the applications contract"),
    ({"pb_inquiries_3m": 9, "pb_inquiries_6m": 0}, "pb_inquiries_3m: must be at most pb_inquiries_6m"),
    ({"owner_id_number": "110105197805122318X"}, "owner_id_number: must be 18 characters"),
], ids=["nan", "infinity", "below-range", "unknown-product", "number-as-text", "unknown-field", "row-rule", "bad-id"])
def test_decide_refuses_what_the_api_refuses_on_one_line(tmp_path: Path, changes: dict[str, object],
                                                         says: str) -> None:
    # Checked before any model is loaded: no store is needed to be refused.
    from riskmodels.synth import reference_bodies

    body = tmp_path / "application.json"
    body.write_text(json.dumps({**reference_bodies()["laowang"], **changes}), encoding="utf-8")
    result = runner.invoke(app, ["decide", "--input", str(body)])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --input breaks the applications contract, nothing was scored: ") and says in line
    assert "110105197805122318" not in result.stderr  # a refused personal value is quoted masked


@pytest.mark.parametrize(("text", "says"), [
    ("[]", "must hold one application, a JSON object; got a JSON list"),
    ("{}", "application_id: is required"),
    ("{", "must be a readable JSON file"),
])
def test_decide_refuses_a_body_that_is_no_application_on_one_line(tmp_path: Path, text: str, says: str) -> None:
    body = tmp_path / "application.json"
    body.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["decide", "--input", str(body)])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1 and says in result.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["generate", "--seed", "-1", "--out", "{tmp}/g"], "error: --seed must be a non-negative integer; got -1"),
    (["quality", "check", "--table", "applications", "--data", "{tmp}/bad.parquet"],
     "error: --data must be a readable Parquet file; got"),
    (["score", "batch", "--model", "m", "--kind", "foo", "--input", "{tmp}/bad.parquet", "--output", "{tmp}/o.parquet"],
     "error: --kind must be one of ['score', 'decision']; got 'foo'"),
    (["loans", "draw", "--decision", "d-1", "--", "inf"], "error: amount must be a positive amount (CNY) of at most"),
    (["loans", "draw", "--decision", "d-1", "--", "1e308"], "error: amount must be a positive amount (CNY) of at most"),
], ids=["negative-seed", "not-parquet", "unknown-kind", "infinite-draw", "huge-draw"])
def test_bad_values_are_one_line_errors_not_tracebacks(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "bad.parquet").write_text("not parquet", encoding="utf-8")
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 1 and lines[0].startswith(says), result.stderr


def test_an_error_quoting_an_id_or_a_phone_masks_them(capsys: pytest.CaptureFixture[str]) -> None:
    # A settings file's error quotes the values it refused: the review's policy file was an application.
    from riskmodels.cli._common import fail

    exit_ = fail("policy.owner_id_number is not a known setting; got '110105197805122318'\n"
                 "policy.owner_phone is not a known setting; got '13912345678'")
    err = capsys.readouterr().err
    assert exit_.exit_code == 2 and len(err.strip().splitlines()) == 1
    assert "110105197805122318" not in err and "13912345678" not in err
    assert "110105********2318" in err and "139****5678" in err
