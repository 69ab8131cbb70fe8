"""The model document: every number it shows is the training run's, read back from MLflow."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings

NAME = REGISTERED_MODELS["application"]
SECTIONS = ("Purpose and data", "Sample and exclusions", "Variable selection", "Binning",
            "Coefficients (Wald tests, VIF)", "Scaling and risk classes", "Performance on train, test and out-of-time",
            "Calibration", "Stability", "Champion vs challenger", "Policy cut-offs", "Limitations")
runner = CliRunner()


@pytest.fixture(scope="module")
def documented(trained_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """(page, version, run id) written by the CLI for the champion's version number."""
    from riskmodels import registry

    version = registry.describe(NAME, registry.CHAMPION)
    out = tmp_path_factory.mktemp("docs")
    result = runner.invoke(app, ["report", "model", "--name", NAME, "--version", version.version, "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / f"model_document_{NAME}_v{version.version}.html").read_text(encoding="utf-8")
    return page, version.version, str(version.run_id)


def _cells(page: str) -> set[str]:
    return {html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)}


def _artefact(run_id: str, path: str) -> pd.DataFrame:
    import mlflow

    from riskmodels import registry

    registry.configure()
    return pd.read_csv(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path))


def test_the_document_has_every_section(documented: tuple[str, str, str]) -> None:
    page, version, run_id = documented
    for heading in SECTIONS:
        assert f"<h2>{heading} <span" in page  # English, then its Chinese
    assert f"{NAME} v{version}" in page and run_id in page


def test_performance_and_calibration_are_the_runs_metrics(documented: tuple[str, str, str]) -> None:
    from riskmodels import registry

    page, _, run_id = documented
    metrics = registry.configure().get_run(run_id).data.metrics
    params = registry.configure().get_run(run_id).data.params
    cells = _cells(page)
    for split in ("train", "test", "oot"):
        for name in ("auc", "gini", "ks", "hl_pvalue", "herfindahl", "bad_rate"):
            assert f"{metrics[f'{split}_{name}']:.4f}" in cells, f"{split}_{name}"
        assert f"{int(metrics[f'{split}_n']):,}" in cells
        assert f"{metrics[f'challenger_{split}_auc']:.4f}" in cells
        assert f"{int(params[f'rows.{split}']):,}" in cells
    assert f"{metrics['psi_train_oot']:.4f}" in cells


def test_each_gates_verdict_and_the_figure_it_judged_are_the_runs(documented: tuple[str, str, str]) -> None:
    """The Hosmer-Lemeshow gate may judge a shape p-value the calibration table does not show: the
    document shows every gate's verdict and figure, as the run's verdict artefact recorded them."""
    import json

    import mlflow

    from riskmodels import registry

    page, _, run_id = documented
    registry.configure()
    recorded = json.loads(mlflow.artifacts.load_text(f"runs:/{run_id}/governance/gates_verdict.json"))
    cells = _cells(page)
    assert "Gate verdicts of this run" in page
    for result in recorded["results"]:
        assert result["detail"] in cells and result["gate"] in cells
    hl = next(r for r in recorded["results"] if r["gate"] == "min_oot_hl_pvalue")
    metric = "oot_hl_shape_pvalue" if "shape" in hl["detail"] else "oot_hl_pvalue"
    metrics = registry.configure().get_run(run_id).data.metrics
    assert f"{metrics[metric]:.4f}" in hl["detail"]  # the figure the gate judged, read from the run


def test_coefficients_classes_and_selection_are_the_runs_artefacts(documented: tuple[str, str, str]) -> None:
    page, _, run_id = documented
    cells = _cells(page)
    coefs = _artefact(run_id, "model/coefficients.csv")
    for row in coefs.itertuples():
        assert {row.variable, f"{row.coef:.4f}", f"{row.std_err:.4f}"} <= cells
    classes = _artefact(run_id, "model/risk_classes.csv")
    for row in classes.itertuples():
        assert f"{row.pd:.4f}" in cells
    selection = _artefact(run_id, "selection/variable_selection.csv")
    dropped = selection[selection["status"] == "dropped"]
    assert set(dropped["reason"]) <= cells and len(dropped) > 0
    assert f"{len(selection)} candidates; {int((selection['status'] == 'selected').sum())} selected" in page
    # One binning plot per selected characteristic.
    assert page.count("alt=\"binning of ") == int((selection["status"] == "selected").sum())


def test_policy_cut_offs_come_from_the_default_policy(documented: tuple[str, str, str]) -> None:
    from riskmodels.policy import load_policy

    page, _, _ = documented
    policy = load_policy()
    assert f"approve from score {policy.bands.approve_from:g}, reject below {policy.bands.reject_below:g}" in page
    cells = _cells(page)
    for cls in policy.classes:
        assert {cls.name, f"{cls.min_score:g}", f"{cls.limit_cap:,.0f}"} <= cells


def test_limitations_state_the_recorded_evidence(documented: tuple[str, str, str]) -> None:
    from riskmodels import registry

    page, _, run_id = documented
    metrics = registry.configure().get_run(run_id).data.metrics
    limits = page.split("<h2>Limitations ")[1]
    assert f"{metrics['oot_auc_to_oracle']:.1%}" in limits  # simulated data, against its oracle
    if metrics["oot_jeffreys_failures"] > 0:
        assert f"{int(metrics['oot_jeffreys_failures'])} class(es) with an underestimated PD on oot" in limits


@pytest.mark.parametrize(("name", "version"), [(NAME, "999"), ("no-such-model", "1"), (NAME, "nobody")])
def test_cli_refuses_an_unknown_model_or_version(trained_store: Settings, tmp_path: Path, name: str,
                                                 version: str) -> None:
    result = runner.invoke(app, ["report", "model", "--name", name, "--version", version, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--name/--version must be a registered model version or alias" in result.output
    assert not list(tmp_path.glob("*.html"))


def test_the_document_renders_in_a_browser(documented: tuple[str, str, str], tmp_path: Path) -> None:
    import _browser as browser

    browser.require_chromium()
    page, _, _ = documented
    html_path = tmp_path / "doc.html"
    html_path.write_text(page, encoding="utf-8")
    shot = browser.screenshot(html_path, tmp_path / "doc.png", height=2400)
    browser.assert_not_blank(shot, min_colours=8, what="model document")
    pngs = browser.embedded_pngs(page)
    assert pngs
    for i, png in enumerate(pngs):
        # Colour, not just colours: an empty matplotlib axes has 20 shades of grey.
        browser.assert_not_blank(png, min_colours=20, min_chroma=0.002, what=f"binning plot {i}")
