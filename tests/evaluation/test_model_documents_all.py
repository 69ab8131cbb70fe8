"""A model document for every registered model (issue 18 §4): the A, B and C cards, the fraud
model and the A-card challenger, written by the CLI from each training run's evidence, in
Chinese and English. For the LightGBM models the importances and the SHAP summary shown are the
run's logged artefacts, and the SHAP summary is what the registered model itself gives on the
same out-of-time sample."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings

runner = CliRunner()
NAMES = ("application", "behavior", "collection", "fraud", "challenger")
LIGHTGBM = ("fraud", "challenger")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def documents(post_loan_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Kind -> (the page the CLI wrote for the newest version, its run id)."""
    from riskmodels import registry

    out = tmp_path_factory.mktemp("model-docs")
    written = {}
    for kind in NAMES:
        name = REGISTERED_MODELS[kind]
        version = registry.describe(name, registry.LATEST)
        result = runner.invoke(app, ["report", "model", "--name", name, "--version", version.version,
                                     "--out", str(out)])
        assert result.exit_code == 0, f"{name}: {result.output}"
        written[kind] = (out / f"model_document_{name}_v{version.version}.html", str(version.run_id))
    return written


def _cells(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)]


def _section(page: str, english_title: str) -> str:
    start = page.index(f"<h2>{english_title} ")
    end = page.find("<section>", start)
    return page[start:end if end > 0 else len(page)]


def test_every_registered_model_has_a_bilingual_document(documents: dict[str, tuple[Path, str]]) -> None:
    from riskmodels import registry

    for kind, (path, run_id) in documents.items():
        page = path.read_text(encoding="utf-8")
        assert run_id in page and REGISTERED_MODELS[kind] in page
        headings = re.findall(r"<h2>(.*?)</h2>", page)
        assert len(headings) >= 7, (kind, headings)
        # Every section title in both languages: English, then the Chinese in a zh-CN span.
        for heading in headings:
            assert re.search(r"[A-Za-z]", heading) and CJK.search(heading), (kind, heading)
        metrics = registry.configure().get_run(run_id).data.metrics
        cells = set(_cells(page))
        for split in ("train", "test", "oot"):
            assert f"{metrics[f'{split}_auc']:.4f}" in cells, (kind, split)
        if kind in LIGHTGBM:
            for title in ("Feature importance (gain)", "SHAP summary", "Monotone constraints", "Calibration"):
                assert "Not recorded in this run" not in _section(page, title), (kind, title)
        # The post-loan cards' calibration tests count one row per account, and the document says how many.
        counted = "rows the tests counted (one per account)" in page
        assert counted == (kind in ("behavior", "collection")), kind
        if counted:
            assert f"{metrics['oot_calibration_rows']:,.0f}" in cells  # a count, as the table writes one
            assert metrics["oot_calibration_rows"] < metrics["oot_n"], kind


def test_lightgbm_importances_and_shap_are_the_logged_and_the_models_own(
        documents: dict[str, tuple[Path, str]], portfolio_dir: Path) -> None:
    from riskmodels import registry
    from riskmodels.data.splits import split_by_month
    from riskmodels.evaluation.explain import explanation_rows
    from riskmodels.models.specs import load_model
    from riskmodels.training import FraudConfig
    from riskmodels.training.samples import fraud_sample
    from riskmodels.training.steps import load_config, read_optional, read_tables

    path, run_id = documents["fraud"]
    page = path.read_text(encoding="utf-8")
    evidence = registry.load_run_evidence(REGISTERED_MODELS["fraud"], registry.describe(
        REGISTERED_MODELS["fraud"], registry.LATEST).version)
    assert evidence.version.run_id == run_id
    spec, _ = registry.load_spec(REGISTERED_MODELS["fraud"], evidence.version.version)
    model = load_model(spec["model"])

    # Importances: the page shows the logged CSV, and the CSV is the registered booster's gain.
    logged = evidence.tables["model/feature_importance.csv"].set_index("feature")
    booster_gain = dict(zip(model.features_, model.booster_.feature_importance(importance_type="gain"), strict=True))
    assert set(logged.index) == set(model.features_)
    np.testing.assert_allclose(logged["gain"].to_numpy(), [booster_gain[f] for f in logged.index], rtol=1e-9)
    rows = re.findall(r"<tr>(.*?)</tr>", _section(page, "Feature importance (gain)"), flags=re.S)
    shown = {c[0]: c[1] for c in (_cells(r) for r in rows) if len(c) >= 2}
    assert shown == {f: f"{g:.4f}" for f, g in logged["gain"].items()}

    # SHAP: rebuild the run's out-of-time rows from the data, draw the same sample, and ask the
    # registered model for its TreeSHAP values.
    cfg = load_config(FraudConfig, "fraud")
    tables = read_tables(portfolio_dir, ("applications", "outcomes"))
    sample = fraud_sample(tables["applications"], tables["outcomes"], read_optional(portfolio_dir, "truth"),
                          cfg.target)
    split = split_by_month(sample.dates, cfg.split)
    sampled = explanation_rows(split, int(evidence.params["shap.max_rows"]), int(evidence.params["shap.seed"]))
    assert len(sampled) == int(evidence.params["shap.rows"])
    contributions = model.contribution_matrix(sample.features.iloc[sampled])[:, :-1]
    summary = evidence.tables["model/shap_summary.csv"].set_index("feature")
    recomputed = pd.Series(np.abs(contributions).mean(axis=0), index=model.features_)
    np.testing.assert_allclose(summary["mean_abs_shap"], recomputed[summary.index], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(summary["mean_shap"], contributions.mean(axis=0)[
        [model.features_.index(f) for f in summary.index]], rtol=1e-9, atol=1e-12)
    # The page lists the features by descending mean |SHAP|, with the logged values.
    shap_rows = [c for c in (_cells(r) for r in re.findall(r"<tr>(.*?)</tr>", _section(page, "SHAP summary"),
                                                           flags=re.S)) if c]
    assert [r[0] for r in shap_rows] == list(summary.index)
    assert (np.diff(summary["mean_abs_shap"].to_numpy()) <= 0).all()
    assert [r[1] for r in shap_rows] == [f"{v:.4f}" for v in summary["mean_abs_shap"]]


def test_lightgbm_document_shows_constraints_and_decile_calibration(documents: dict[str, tuple[Path, str]]) -> None:
    import json

    from riskmodels import registry
    from riskmodels.models.gbm import monotone_direction

    for kind in LIGHTGBM:
        path, _ = documents[kind]
        page = path.read_text(encoding="utf-8")
        name = REGISTERED_MODELS[kind]
        evidence = registry.load_run_evidence(name, registry.describe(name, registry.LATEST).version)
        constraints = json.loads(evidence.texts["model/monotone_constraints.json"])["constraints"]
        # What the booster was trained with is what the catalogue asks for.
        assert constraints == {f: monotone_direction(f) for f in constraints}
        assert any(c != 0 for c in constraints.values())
        cells = _cells(_section(page, "Monotone constraints"))
        for feature, c in constraints.items():
            assert feature in cells and str(c) in cells
        deciles = evidence.tables["model/calibration_table.csv"]
        oot = deciles[deciles["split"] == "oot"]
        assert len(oot) == 10 and int(oot["n"].sum()) == int(evidence.params["rows.oot"])
        calibration = _section(page, "Calibration")
        assert f"{evidence.metrics['oot_hl_pvalue']:.4f}" in _cells(calibration)
        assert {f"{v:.4f}" for v in oot["mean_pd"]} <= set(_cells(calibration))
        assert 'alt="calibration by decile"' in calibration


def test_the_fraud_document_renders_its_chinese_labels_in_a_browser(
        documents: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    import _browser as browser

    browser.require_chromium()
    path, _ = documents["fraud"]
    page = path.read_text(encoding="utf-8")
    shot = browser.screenshot(path, tmp_path / "fraud_document.png", height=3000)
    browser.assert_not_blank(shot, min_colours=8, what="fraud model document")
    # Two of the page's own Chinese titles of the same length must draw as different glyphs.
    titles = [t[:4] for t in re.findall(r'<span class="zh" lang="zh-CN">([\u4e00-\u9fff]{4,})', page)]
    first, second = titles[0], next(t for t in titles if t != titles[0])
    browser.assert_chinese_draws(page, (first, second), tmp_path)
    pngs = browser.embedded_pngs(page)
    assert len(pngs) >= 3  # importance, SHAP, calibration by decile
    for i, png in enumerate(pngs):
        browser.assert_not_blank(png, min_colours=20, min_chroma=0.002, what=f"fraud document plot {i}")


def test_a_run_from_before_the_lightgbm_evidence_says_what_it_lacks(documents: dict[str, tuple[Path, str]]) -> None:
    """A fraud run of an older release logged none of the new artefacts (only
    ``model/importance.csv``): its document still renders, and says what it does not record."""
    from dataclasses import replace

    from riskmodels import registry
    from riskmodels.evaluation.model_document import model_document

    name = REGISTERED_MODELS["fraud"]
    current = registry.load_run_evidence(name, registry.describe(name, registry.LATEST).version)
    new = ("model/feature_importance.csv", "model/shap_summary.csv", "model/calibration_table.csv",
           "model/monotone_constraints.json")
    older = replace(current, tables={k: v for k, v in current.tables.items() if k not in new},
                    texts={k: v for k, v in current.texts.items() if k not in new},
                    params={k: v for k, v in current.params.items() if not k.startswith(("gbm.", "shap."))})
    page = model_document(older)
    for title in ("SHAP summary", "Monotone constraints", "Model and hyper-parameters"):
        assert "Not recorded in this run" in _section(page, title), title
    assert "calibration by decile" in _section(page, "Calibration") and "Not recorded" in _section(page, "Calibration")
    # The recorded parts are still there: the split metrics.
    assert f"{current.metrics['oot_auc']:.4f}" in _cells(page)


@pytest.mark.parametrize("name", ["no-such-model", "sme-fraud-typo"])
def test_cli_refuses_an_unknown_name_in_one_line(trained_store: Settings, tmp_path: Path, name: str) -> None:
    result = runner.invoke(app, ["report", "model", "--name", name, "--out", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0] and "must be a registered model" in lines[0], result.output
    assert not list(tmp_path.glob("*.html"))
