"""MLflow runs: the store, the experiment, and what a run records (params, metrics, artefacts).

Everything here acts on the *active* run opened by ``training_run`` (or ``monitoring_run``),
so a training step logs its evidence without holding an MLflow object.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from riskmodels.config import Settings, apply_offline_environment, get_settings

log = logging.getLogger(__name__)

TRAINED_BY = "riskmodels.trained_by"  # run and version tag: the maker of maker-checker


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


# The MLflow 3 UI opens an experiment on its GenAI overview unless the experiment says it holds
# classical models (the UI's own values: genai_development, custom_model_development).
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}


def experiment_id(name: str, settings: Settings | None = None) -> str:
    """The experiment's id, created when absent; tagged as classical machine learning."""
    import mlflow

    settings = settings or get_settings()
    client = configure(settings)
    found = client.get_experiment_by_name(name)
    if found is None:
        return str(mlflow.create_experiment(name, artifact_location=settings.artifact_root.resolve().as_uri(),
                                            tags=EXPERIMENT_KIND))
    for key, value in EXPERIMENT_KIND.items():
        if found.tags.get(key) != value:  # an experiment created before the tag existed
            client.set_experiment_tag(found.experiment_id, key, value)
    return str(found.experiment_id)


def current_user() -> str:
    """Who is running this: ``RISKMODELS_USER``, else the operating-system user. Recorded as
    the trainer of every run, so a promotion can refuse an approver who trained the model."""
    named = os.environ.get("RISKMODELS_USER", "").strip()
    if named:
        return named
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:  # no login name and no passwd entry (some containers)
        raise RuntimeError(f"the user must be known to record who trained a model: set RISKMODELS_USER ({exc})") \
            from exc


@dataclass(frozen=True)
class CodeVersion:
    """The code a run was trained with: a commit when one is known, and where it came from."""

    commit: str | None
    source: str  # "git checkout", "recorded at install" or "installed package (no commit recorded)"
    package: str  # riskmodels==VERSION
    dirty: bool = False  # a git checkout with uncommitted changes to the package

    @property
    def label(self) -> str:
        """``git_commit`` as recorded: the commit, or the package version said to be one."""
        if self.commit is None:
            return f"{self.package} ({self.source})"
        return self.commit + (" (uncommitted changes)" if self.dirty else "")

    def tags(self) -> dict[str, str]:
        tags = {"git_commit": self.label, "riskmodels.code_version": self.package,
                "riskmodels.code_source": self.source}
        if self.commit is not None:
            tags["mlflow.source.git.commit"] = self.commit
        return tags


def _git(package_dir: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(package_dir), *args], capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.debug("git not available: %s", exc)
        return None


def _installed_commit() -> str | None:
    """The VCS commit pip recorded when the package was installed from a repository URL."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        direct_url = distribution("riskmodels").read_text("direct_url.json")
    except PackageNotFoundError:
        return None
    if not direct_url:
        return None
    commit = json.loads(direct_url).get("vcs_info", {}).get("commit_id")
    return str(commit) if commit else None


def code_version() -> CodeVersion:
    """The commit of the package's own source when it sits in a git checkout (the package file
    is tracked there: a copy installed under a checkout's .venv is not), else the commit pip
    recorded at install, else only the package version, labelled as such."""
    import riskmodels

    package = f"riskmodels=={_package_version()}"
    package_dir = Path(riskmodels.__file__).resolve().parent
    tracked = _git(package_dir, "ls-files", "--error-unmatch", "__init__.py")
    head = _git(package_dir, "rev-parse", "HEAD") if tracked is not None and tracked.returncode == 0 else None
    if head is not None and head.returncode == 0:
        diff = _git(package_dir, "diff", "--quiet", "HEAD", "--", ".")
        return CodeVersion(head.stdout.strip(), "git checkout", package, dirty=diff is not None and diff.returncode == 1)
    installed = _installed_commit()
    if installed is not None:
        return CodeVersion(installed, "recorded at install", package)
    return CodeVersion(None, "installed package, no commit recorded", package)


def git_commit() -> str:
    """The commit the code was trained from, or the package version, labelled (``CodeVersion.label``)."""
    return code_version().label


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("riskmodels")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def run_name(kind: str, rows: int, data_hash: str, when: datetime | None = None) -> str:
    """A run name that says what was trained: ``application n=29,871 data=1a2b3c4d 2026-12-06 09:03Z``."""
    when = when or datetime.now(UTC)
    return f"{kind} n={rows:,} data={data_hash[:8]} {when:%Y-%m-%d %H:%MZ}"


@contextmanager
def training_run(kind: str, run_name: str, settings: Settings | None = None,
                 description: str | None = None) -> Iterator[str]:
    """An MLflow run in the project's experiment, tagged with the model kind, the code version
    and who trained it; yields its id. ``description`` is the run's note in the UI."""
    import mlflow

    settings = settings or get_settings()
    exp = experiment_id(settings.experiment, settings)
    trainer = current_user()
    with mlflow.start_run(experiment_id=exp, run_name=run_name, description=description) as run:
        mlflow.set_tags({"riskmodels.kind": kind, TRAINED_BY: trainer, **code_version().tags()})
        yield str(run.info.run_id)


def active_run_id() -> str:
    """The id of the run being recorded; an error outside ``training_run``/``monitoring_run``."""
    import mlflow

    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("an MLflow run must be active (inside registry.training_run); got none")
    return str(run.info.run_id)


def artifact_location(artifact_path: str) -> str:
    """Where an artefact of the active run is: a local path for a local store, else its URI."""
    import mlflow

    uri = str(mlflow.get_artifact_uri(artifact_path))
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


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


@dataclass(frozen=True)
class RunRecord:
    """A run as a listing shows it."""

    run_id: str
    name: str
    start_time_ms: int
    tags: dict[str, str]
    params: dict[str, str]


def run_record(run_id: str) -> RunRecord:
    run = configure().get_run(run_id)
    return RunRecord(run_id, str(run.info.run_name or ""), int(run.info.start_time or 0), dict(run.data.tags),
                     dict(run.data.params))


def run_params(run_id: str) -> dict[str, str]:
    """The params a run recorded."""
    return dict(configure().get_run(run_id).data.params)


class ArtifactNotFound(LookupError):
    """A run has no artefact at that path."""


def load_artifact_text(run_id: str, artifact_file: str) -> str:
    """One text artefact of a run (the comparison a promotion reads, for instance);
    ``ArtifactNotFound`` when the run has none at that path."""
    import mlflow
    from mlflow.exceptions import MlflowException

    configure()
    try:
        return str(mlflow.artifacts.load_text(f"runs:/{run_id}/{artifact_file}"))
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise ArtifactNotFound(f"run {run_id} must have the artefact {artifact_file}; it has none") from exc


def log_dataset(frame: pd.DataFrame, name: str, context: str, sha256: str, source: str,
                targets: str | None = None) -> None:
    """A dataset the active run used (``mlflow.log_input``): its schema, size and digest, never its
    rows. The digest is the first 32 hex digits of ``sha256`` (MLflow holds 36 characters); the
    whole hash is the input's tag ``riskmodels.sha256``. ``source`` (where the rows were read) is
    recorded as the dataset's source: it was built in code from there, not read as one file."""
    import mlflow
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.pandas_dataset import from_pandas

    # Integer columns as floats: the schema MLflow records then says a value may be missing, as
    # a feature's may (and MLflow warns about integer columns otherwise).
    ints = [c for c in frame.columns if pd.api.types.is_integer_dtype(frame[c])]
    frame = frame.astype(dict.fromkeys(ints, "float64"))
    dataset = from_pandas(frame, source=CodeDatasetSource({"riskmodels.data": source}), name=name,
                          digest=sha256[:32], targets=targets)
    mlflow.log_input(dataset, context=context, tags={"riskmodels.sha256": sha256})
