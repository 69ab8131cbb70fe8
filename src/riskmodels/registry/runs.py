"""MLflow runs: the store, the experiment, and what a run records (params, metrics, artefacts).

Everything here acts on the *active* run opened by ``training_run`` (or ``monitoring_run``),
so a training step logs its evidence without holding an MLflow object.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import Settings, apply_offline_environment, get_settings

log = logging.getLogger(__name__)


def configure(settings: Settings | None = None) -> Any:
    """Point MLflow at our store (SQLite under mlruns/ by default) and return a client."""
    apply_offline_environment()
    import mlflow

    settings = settings or get_settings()
    settings.mlruns_dir.mkdir(parents=True, exist_ok=True)
    uri = settings.resolved_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return mlflow.MlflowClient(uri, registry_uri=uri)


def experiment_id(name: str, settings: Settings | None = None) -> str:
    import mlflow

    settings = settings or get_settings()
    client = configure(settings)
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=settings.artifact_root.resolve().as_uri()))


def git_commit(cwd: Path | None = None) -> str:
    """The commit the code was trained from, or 'unknown' outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("git not available: %s", exc)
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


@contextmanager
def training_run(kind: str, run_name: str, settings: Settings | None = None) -> Iterator[str]:
    """An MLflow run in the project's experiment, tagged with the model kind and commit; yields its id."""
    import mlflow

    settings = settings or get_settings()
    exp = experiment_id(settings.experiment, settings)
    with mlflow.start_run(experiment_id=exp, run_name=run_name) as run:
        mlflow.set_tags({"riskmodels.kind": kind, "git_commit": git_commit(settings.home)})
        yield str(run.info.run_id)


def active_run_id() -> str:
    """The id of the run being recorded; an error outside ``training_run``/``monitoring_run``."""
    import mlflow

    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("an MLflow run must be active (inside registry.training_run); got none")
    return str(run.info.run_id)


def log_params(params: Mapping[str, object]) -> None:
    import mlflow

    mlflow.log_params(dict(params))


def log_metrics(metrics: Mapping[str, float]) -> None:
    import mlflow

    mlflow.log_metrics(dict(metrics))


def set_tags(tags: Mapping[str, str]) -> None:
    import mlflow

    mlflow.set_tags(dict(tags))


def log_artifact_text(text: str, artifact_file: str) -> None:
    import mlflow

    mlflow.log_text(text, artifact_file)


def log_artifact_frame(frame: pd.DataFrame, artifact_file: str) -> None:
    """A frame as a CSV artefact (no index) at ``artifact_file``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_file).name
        frame.to_csv(path, index=False)
        log_artifact_file(path, str(Path(artifact_file).parent) or None)


def log_artifact_file(path: Path, artifact_path: str | None = None) -> None:
    """A file on disk, under the folder ``artifact_path`` of the run (its root when None)."""
    import mlflow

    # Path("x.csv").parent is ".", which MLflow would take as a folder named ".".
    mlflow.log_artifact(str(path), artifact_path=None if artifact_path in (None, ".") else artifact_path)


def log_artifact_folder(folder: Path, artifact_path: str) -> None:
    """Every file of a folder in one upload, under ``artifact_path``."""
    import mlflow

    mlflow.log_artifacts(str(folder), artifact_path=artifact_path)


def run_params(run_id: str) -> dict[str, str]:
    """The params a run recorded."""
    return dict(configure().get_run(run_id).data.params)


def load_artifact_text(run_id: str, artifact_file: str) -> str:
    """One text artefact of a run (the ``gates.json`` a promotion is judged by, for instance)."""
    import mlflow

    configure()
    return str(mlflow.artifacts.load_text(f"runs:/{run_id}/{artifact_file}"))
