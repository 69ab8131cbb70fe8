"""What the session's training runs left in MLflow, read as a validator or an engineer reusing a
model would: the experiment's kind, run names, the code's commit, the input datasets with their
digests, version descriptions, masked input examples, and requirements that install."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

import riskmodels
from riskmodels import registry
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.registry.runs import CodeVersion, code_version

KINDS = ("application", "fraud")


def _champion(kind: str) -> registry.RegisteredVersion:
    return registry.describe(REGISTERED_MODELS[kind], registry.CHAMPION)


def test_the_experiment_says_it_holds_classical_models(trained_store: Settings) -> None:
    # The MLflow 3 UI opens an experiment on its GenAI overview unless this tag says otherwise.
    experiment = registry.configure().get_experiment_by_name(trained_store.experiment)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_is_named_for_what_it_trained_and_tagged_with_its_code_and_trainer(trained_store: Settings,
                                                                                 kind: str) -> None:
    version = _champion(kind)
    run = registry.run_record(version.run_id or "")
    rows = sum(int(run.params[f"rows.{s}"]) for s in ("train", "test", "oot"))
    assert run.name.startswith(f"{kind} ") and f"n={rows:,}" in run.name
    assert f"data={run.params['data.hash'][:8]}" in run.name
    # The model document's "calendar of the split": every run says which date column it split on.
    assert run.params["date_column"] == "application_date", run.params
    assert run.tags[registry.TRAINED_BY] == os.environ["RISKMODELS_USER"]
    assert run.tags["git_commit"] == code_version().label != "unknown"
    package = Path(riskmodels.__file__).resolve().parent
    head = subprocess.run(["git", "-C", str(package), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=False)
    tracked = subprocess.run(["git", "-C", str(package), "ls-files", "--error-unmatch", "__init__.py"],
                             capture_output=True, check=False)
    if head.returncode == 0 and tracked.returncode == 0:  # the code is a checkout: its commit
        assert run.tags["mlflow.source.git.commit"] == head.stdout.strip()
    else:  # an installed copy: the package version, said to be one, and no made-up commit
        assert "mlflow.source.git.commit" not in run.tags and run.tags["git_commit"].startswith("riskmodels==")


def test_without_a_commit_the_package_version_is_recorded_as_such() -> None:
    labelled = CodeVersion(None, "installed package, no commit recorded", "riskmodels==9.9.9")
    assert labelled.label == "riskmodels==9.9.9 (installed package, no commit recorded)"
    assert "mlflow.source.git.commit" not in labelled.tags()
    dirty = CodeVersion("abc123", "git checkout", "riskmodels==9.9.9", dirty=True)
    assert dirty.tags()["mlflow.source.git.commit"] == "abc123"
    assert dirty.label == "abc123 (uncommitted changes)"


@pytest.mark.parametrize("kind", KINDS)
def test_the_run_logs_each_samples_features_as_a_dataset_with_its_digest(trained_store: Settings, kind: str) -> None:
    version = _champion(kind)
    run = registry.configure().get_run(version.run_id)
    inputs = {next(t.value for t in d.tags if t.key == "mlflow.data.context"): d for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"train", "test", "oot"}
    for split, given in inputs.items():
        sha256 = next(t.value for t in given.tags if t.key == "riskmodels.sha256")
        assert len(sha256) == 64 and given.dataset.digest == sha256[:32]
        assert json.loads(given.dataset.profile)["num_rows"] == int(run.data.params[f"rows.{split}"])
        columns = {c["name"] for c in json.loads(given.dataset.schema)["mlflow_colspec"]}
        assert "event" in columns and not columns & {"owner_id_number", "owner_phone", "application_id"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_version_is_described_in_words(trained_store: Settings, kind: str) -> None:
    version = _champion(kind)
    text = version.description
    assert text.startswith(f"{version.name}, trained by {os.environ['RISKMODELS_USER']}")
    assert "Gates (" in text and "registered as challenger" in text and "Promoted to champion" in text


def _model_dir(name: str, version: str, tmp_path: Path) -> Path:
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}",
                                                    dst_path=str(tmp_path / "model")))


@pytest.mark.parametrize("kind", KINDS)
def test_the_input_example_holds_masked_identifiers_only(trained_store: Settings, portfolio_dir: Path,
                                                         tmp_path: Path, kind: str) -> None:
    version = _champion(kind)
    model = _model_dir(version.name, version.version, tmp_path)
    book = pd.read_parquet(portfolio_dir / "applications.parquet", columns=["owner_id_number", "owner_phone"])
    raw = set(book["owner_id_number"]) | set(book["owner_phone"])
    for name in ("input_example.json", "serving_input_example.json"):
        text = (model / name).read_text(encoding="utf-8")
        assert not [value for value in raw if value in text], name
    example = json.loads((model / "input_example.json").read_text(encoding="utf-8"))
    column = example["columns"].index("owner_phone")
    assert all("****" in row[column] for row in example["data"])


LOAD_WITHOUT_THE_PACKAGE = textwrap.dedent("""
    import importlib.abc, importlib.machinery, sys
    import pandas as pd

    model_dir, rows_file, out_file = sys.argv[1:4]
    code_dir = model_dir + "/code"

    class OnlyTheLoggedCode(importlib.abc.MetaPathFinder):
        # riskmodels as the model carries it, never an installed or editable copy
        def find_spec(self, name, path, target=None):
            if name != "riskmodels":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, [code_dir])
            if spec is None:
                raise ModuleNotFoundError("riskmodels is not in the model's code")
            return spec

    sys.meta_path.insert(0, OnlyTheLoggedCode())
    import mlflow

    model = mlflow.pyfunc.load_model(model_dir)
    import riskmodels
    assert riskmodels.__file__.startswith(code_dir), riskmodels.__file__
    model.predict(pd.read_parquet(rows_file)).to_parquet(out_file)
""")


@pytest.mark.parametrize("kind", KINDS)
def test_the_logged_model_loads_and_scores_from_its_own_code_and_pinned_requirements(
        trained_store: Settings, portfolio_dir: Path, tmp_path: Path, kind: str) -> None:
    from importlib.metadata import version as installed

    from riskmodels.models.specs import scorer_from_spec

    champion = _champion(kind)
    model = _model_dir(champion.name, champion.version, tmp_path)
    requirements = (model / "requirements.txt").read_text(encoding="utf-8").split()
    # Every requirement is on the public index at the version installed here; riskmodels, on no
    # index, travels as code instead.
    assert requirements == registry.scoring_requirements()
    assert all(line == f"{line.split('==')[0]}=={installed(line.split('==')[0])}" for line in requirements)
    assert not any(line.startswith("riskmodels") for line in requirements)
    assert (model / "code" / "riskmodels" / "models" / "specs.py").is_file()
    assert not (model / "code" / "riskmodels" / "synth").exists()  # the reference customers stay home
    rows = pd.read_parquet(portfolio_dir / "applications.parquet").head(200)
    registry.as_signature_types(rows).to_parquet(tmp_path / "rows.parquet")
    done = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_THE_PACKAGE, str(model), str(tmp_path / "rows.parquet"),
                           str(tmp_path / "out.parquet")], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    spec, _ = registry.load_spec(champion.name, champion.version)
    expected = scorer_from_spec(spec).score_frame(rows)
    got = pd.read_parquet(tmp_path / "out.parquet")
    column = "score" if "score" in expected.columns else "fraud_score"
    np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), atol=1e-9)
