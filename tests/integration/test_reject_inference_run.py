"""The A card's run measures itself on every application of the out-of-time months, booked or
not, against the simulator's truth, whatever its reject-inference method."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import riskmodels.training
from riskmodels import registry
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.data.splits import split_by_month
from riskmodels.evaluation.metrics import auc
from riskmodels.models.specs import scorer_from_spec
from riskmodels.training import ApplicationConfig, load_config

DOOR_METRICS = ("ttd_auc", "oracle_ttd_auc", "ttd_auc_to_oracle", "rejected_mean_pd", "rejected_true_pd",
                "rejected_pd_to_true", "rejected_bad_rate", "rejected_pd_to_bad_rate")


def _door_of_the_oot_months(portfolio_dir: Path) -> pd.DataFrame:
    """Every application of the card's out-of-time months with its booking and truth."""
    apps = pd.read_parquet(portfolio_dir / "applications.parquet")
    outcomes = pd.read_parquet(portfolio_dir / "outcomes.parquet")
    truth = pd.read_parquet(portfolio_dir / "truth.parquet")
    rows = apps.merge(outcomes[["application_id", "bad_12m"]], on="application_id").merge(
        truth[["application_id", "true_pd", "bad_12m_if_booked"]], on="application_id")
    booked = rows[rows["bad_12m"].notna()]
    split = split_by_month(booked["application_date"].reset_index(drop=True), load_config(ApplicationConfig,
                                                                                          "application").split)
    first_oot = booked["application_date"].dt.to_period("M")[(split == "oot").to_numpy()].min()
    return rows[rows["application_date"].dt.to_period("M") >= first_oot].reset_index(drop=True)


def test_the_a_card_run_logs_its_through_the_door_figures(trained_store: Settings) -> None:
    version = registry.describe(REGISTERED_MODELS["application"], "champion")
    for name in DOOR_METRICS:
        assert name in version.metrics, name
    method = load_config(ApplicationConfig, "application").reject_inference.method
    assert registry.run_params(version.run_id)["reject_inference.method"] == method


def test_the_gains_are_recomputed_from_the_runs_own_figures(trained_store: Settings) -> None:
    m = registry.describe(REGISTERED_MODELS["application"], "champion").metrics
    assert m["ttd_auc_to_oracle"] == pytest.approx(m["ttd_auc"] / m["oracle_ttd_auc"], rel=1e-12)
    assert m["rejected_pd_to_bad_rate"] == pytest.approx(m["rejected_mean_pd"] / m["rejected_bad_rate"], rel=1e-12)
    assert m["rejected_pd_to_true"] == pytest.approx(m["rejected_mean_pd"] / m["rejected_true_pd"], rel=1e-12)


def test_the_logged_figures_are_the_registered_cards_on_the_oot_applications(trained_store: Settings,
                                                                              portfolio_dir: Path) -> None:
    name = REGISTERED_MODELS["application"]
    metrics = registry.describe(name, "champion").metrics
    door = _door_of_the_oot_months(portfolio_dir)
    spec, _ = registry.load_spec(name, "champion")
    card_pd = scorer_from_spec(spec).score_frame(door)["pd"].to_numpy()
    y, rejected = door["bad_12m_if_booked"].to_numpy(), door["bad_12m"].isna().to_numpy()
    assert metrics["ttd_auc"] == pytest.approx(auc(y, card_pd), abs=1e-6)
    assert metrics["oracle_ttd_auc"] == pytest.approx(auc(y, door["true_pd"]), abs=1e-12)
    assert metrics["rejected_mean_pd"] == pytest.approx(card_pd[rejected].mean(), rel=1e-6)
    assert metrics["rejected_true_pd"] == pytest.approx(door["true_pd"][rejected].mean(), rel=1e-12)
    assert metrics["rejected_bad_rate"] == pytest.approx(y[rejected].mean(), rel=1e-12)
    # The card ranks the whole door close to the truth, not only the loans it was fitted on.
    assert metrics["ttd_auc_to_oracle"] > 0.9, metrics


@pytest.mark.slow
def test_every_method_logs_the_figures(trained_store: Settings, portfolio_dir: Path, tmp_path: Path) -> None:
    from pipelines import run_training

    packaged = Path(riskmodels.training.__file__).parent / "configs" / "application.yaml"
    config = yaml.safe_load(packaged.read_text(encoding="utf-8"))
    other = "none" if config["reject_inference"]["method"] != "none" else "fuzzy"
    config["reject_inference"]["method"] = other
    path = tmp_path / "application.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    result = run_training("application", portfolio_dir, path)
    params = registry.run_params(result.run_id)
    assert params["reject_inference.method"] == other
    rows, rejects = int(params["reject_inference.rows"]), int(params["reject_inference.rejects"])
    assert (rows, rejects > 0) == ((0, False) if other == "none" else (2 * rejects, True))
    logged = registry.describe(result.model_name, result.version).metrics
    for name in DOOR_METRICS:
        assert np.isfinite(logged[name]), name
    assert logged["ttd_auc_to_oracle"] == pytest.approx(logged["ttd_auc"] / logged["oracle_ttd_auc"], rel=1e-12)
