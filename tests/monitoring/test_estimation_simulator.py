"""CBPE validated on the simulator: estimates made from PDs alone, then judged against the
outcomes the simulator drew.

* The simulator's own true PDs (a perfectly calibrated model) on the session's book.
* The session's A card (trained on ``portfolio_dir``) on a fresh stable book, another seed.
* The same card with its PDs doubled, which the bad-rate interval must catch.
* The ``riskmodels monitor estimate`` command.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmodels import registry
from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.monitoring.estimation import compare
from riskmodels.monitoring.estimation.report import HTML_NAME, JSON_NAME
from riskmodels.monitoring.estimation.run import EstimationRun, run_estimate

MODEL = f"{REGISTERED_MODELS['application']}@champion"
FRESH_SIZE, FRESH_SEED = 10_000, 2031
runner = CliRunner()


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stable book from the same generator, seed unseen in training: no drift."""
    from riskmodels.synth import generate_portfolio, write_portfolio

    out = tmp_path_factory.mktemp("fresh") / "portfolio"
    write_portfolio(generate_portfolio(FRESH_SIZE, FRESH_SEED, drift=False), out)
    return out


@pytest.fixture(scope="module")
def a_card_run(trained_store: Settings, fresh_dir: Path) -> EstimationRun:
    return run_estimate(MODEL, fresh_dir)


def test_the_simulator_s_true_pds_predict_the_realised_figures_of_its_booked_loans(portfolio_dir: Path) -> None:
    apps = pd.read_parquet(portfolio_dir / "applications.parquet", columns=["application_id", "application_date"])
    book = (apps.merge(pd.read_parquet(portfolio_dir / "outcomes.parquet"), on="application_id")
            .merge(pd.read_parquet(portfolio_dir / "truth.parquet"), on="application_id"))
    booked = book[book["booked"]]
    result = compare(booked["true_pd"], booked["bad_12m"].astype(float), booked["application_date"], seed=1)
    assert result.overall.bad_rate_verdict == "inside" and result.overall.auc_verdict == "inside"
    # 24 months x 2 figures at 95%: Binomial(48, 0.05) exceeds 8 with probability about 0.002.
    assert len(result.months) == 24 and len(result.flagged) <= 8


def test_a_card_estimate_holds_the_realised_auc_and_bad_rate_of_a_fresh_stable_book(a_card_run: EstimationRun,
                                                                                     fresh_dir: Path) -> None:
    outcomes = pd.read_parquet(fresh_dir / "outcomes.parquet")
    overall = a_card_run.comparison.overall
    # Estimated on the booked loans, the only applications with a credit outcome.
    assert a_card_run.population == "booked loans" and a_card_run.n_rows == FRESH_SIZE
    assert overall.estimate.n == int(outcomes["booked"].sum())
    assert overall.realised is not None and overall.realised.n == overall.estimate.n
    assert overall.realised.bad_rate == pytest.approx(outcomes.loc[outcomes["booked"], "bad_12m"].astype(float).mean())
    assert overall.bad_rate_verdict == "inside", overall.row()
    assert overall.auc_verdict == "inside", overall.row()
    assert 0.65 < overall.estimate.auc < 0.9 and 0.02 < overall.estimate.bad_rate < 0.1
    assert len(a_card_run.comparison.months) == 24 and len(a_card_run.comparison.flagged) <= 8


def test_a_card_with_its_pds_doubled_is_caught_by_the_bad_rate_interval(a_card_run: EstimationRun) -> None:
    doubled = compare(np.minimum(2.0 * a_card_run.pd, 1.0), a_card_run.outcome, a_card_run.dates, seed=1).overall
    assert doubled.realised is not None
    assert doubled.bad_rate_verdict == "outside"
    assert doubled.realised.bad_rate < doubled.estimate.bad_rate_interval.low


def test_the_estimate_command_writes_the_bilingual_report_and_the_figures(trained_store: Settings, fresh_dir: Path,
                                                                          a_card_run: EstimationRun,
                                                                          tmp_path: Path) -> None:
    out = tmp_path / "estimate"
    result = runner.invoke(app, ["monitor", "estimate", "--model", MODEL, "--data", str(fresh_dir),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "expected bad rate" in result.output and "realised on" in result.output
    page = (out / HTML_NAME).read_text(encoding="utf-8")
    assert "预估坏账率" in page and "Performance before outcomes" in page and "data:image/png;base64," in page
    summary = json.loads((out / JSON_NAME).read_text(encoding="utf-8"))
    # The command's defaults are the library's: the same seed gives the same figures.
    assert summary["segments"] == json.loads(json.dumps(
        [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in s.row().items()}
         for s in [*a_card_run.comparison.months, a_card_run.comparison.overall]]))
    assert summary["data"]["population"] == "booked loans"
    # Recorded as a monitoring run of the version, as drift's are: the report, the summary and
    # the overall figures, the version tagged with the outcome.
    version = registry.describe(REGISTERED_MODELS["application"], "champion")
    client = registry.configure()
    mv = client.get_model_version(version.name, version.version)
    run = client.get_run(mv.tags["estimate.last_run_id"])
    assert mv.tags["estimate.last_status"] == ("flagged" if summary["flagged"] else "inside")
    assert run.data.metrics["estimate.bad_rate"] == pytest.approx(a_card_run.comparison.overall.estimate.bad_rate)
    artefacts = {a.path for a in client.list_artifacts(run.info.run_id, "estimate")}
    assert artefacts == {f"estimate/{HTML_NAME}", f"estimate/{JSON_NAME}"}


@pytest.mark.parametrize(("args", "message"), [
    (["--population", "approved"], "error: --population must be one of ['auto', 'booked', 'all']; got 'approved'"),
    (["--level", "95"], "error: --level must lie strictly between 0 and 1; got 95.0"),
    (["--data", "/nonexistent/book"], "error: --data must be a portfolio folder or a Parquet file; "
                                      "got '/nonexistent/book'"),
])
def test_the_estimate_command_refuses_bad_options_in_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["monitor", "estimate", "--model", MODEL, "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_the_estimate_command_names_an_unknown_model(trained_store: Settings, fresh_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["monitor", "estimate", "--model", "no-such-model", "--data", str(fresh_dir),
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2 and result.output.startswith("error: ") and "no-such-model" in result.output
