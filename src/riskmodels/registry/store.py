"""The one module that talks to MLflow: runs, logged models, the registry and aliases.

Models are logged as MLflow pyfunc models "from code" (``riskmodels/mlflow_model.py``) with
their compiled spec as a JSON artefact, so loading a model never unpickles library internals.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import Settings, apply_offline_environment, get_settings

log = logging.getLogger(__name__)

CHALLENGER = "challenger"
CHAMPION = "champion"
SPEC_ARTIFACT = "spec.json"


@dataclass(frozen=True)
class RegisteredVersion:
    """A registered model version and what the service needs to know about it."""

    name: str
    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    metrics: dict[str, float]


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
        return found.experiment_id
    return mlflow.create_experiment(name, artifact_location=settings.artifact_root.resolve().as_uri())


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
def training_run(kind: str, run_name: str, settings: Settings | None = None) -> Iterator[Any]:
    """An MLflow run in the project's experiment, tagged with the model kind and commit."""
    import mlflow

    settings = settings or get_settings()
    exp = experiment_id(settings.experiment, settings)
    with mlflow.start_run(experiment_id=exp, run_name=run_name) as run:
        mlflow.set_tags({"riskmodels.kind": kind, "git_commit": git_commit(settings.home)})
        yield run


def log_artifact_text(text: str, artifact_file: str) -> None:
    import mlflow

    mlflow.log_text(text, artifact_file)


def log_artifact_frame(frame: pd.DataFrame, artifact_file: str) -> None:
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_file).name
        frame.to_csv(path, index=False)
        mlflow.log_artifact(str(path), artifact_path=str(Path(artifact_file).parent) or None)


# MLflow cannot hold a missing value in a long or boolean column, so nullable integers and
# flags are declared as doubles; the feature builders read them as floats anyway.
_MLFLOW_TYPES = {"int": "long", "float": "double", "bool": "boolean", "category": "string",
                 "date": "datetime", "string": "string"}


def contract_signature(table_name: str, output: pd.DataFrame) -> Any:
    """The model signature from the data contract, not guessed from a few example rows."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    from riskmodels.contract import table

    inputs = Schema([
        ColSpec("double" if c.nullable and c.dtype in ("int", "bool") else _MLFLOW_TYPES[c.dtype],  # type: ignore[arg-type]
                c.name, required=not c.nullable)
        for c in table(table_name).columns
    ])
    from mlflow.models import infer_signature

    return ModelSignature(inputs=inputs, outputs=infer_signature(None, output).outputs)


def log_spec_model(spec: Mapping[str, Any], input_example: pd.DataFrame) -> str:
    """Log a compiled spec as a pyfunc model with signature and input example; return its URI."""
    import mlflow

    from riskmodels.registry import pyfunc as mlflow_model

    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / SPEC_ARTIFACT
        spec_path.write_text(json.dumps(spec, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        output = mlflow_model.predict_with_spec(dict(spec), input_example)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=mlflow_model.__file__,
            artifacts={"spec": str(spec_path)},
            signature=contract_signature(spec["input_table"], output),
            input_example=as_signature_types(input_example),
            # Explicit requirements: inferring them would import and run the model in a subprocess.
            pip_requirements=[f"riskmodels=={_version()}"],
        )
    return info.model_uri


def register(model_uri: str, name: str, run_id: str, alias: str = CHALLENGER) -> RegisteredVersion:
    """Register a logged model under the contract's name and point ``alias`` at it."""
    import mlflow

    client = configure()
    mv = mlflow.register_model(model_uri, name, tags={"run_id": run_id})
    client.set_registered_model_alias(name, alias, mv.version)
    return describe(name, str(mv.version))


def set_alias(name: str, alias: str, version: str) -> None:
    configure().set_registered_model_alias(name, alias, version)


def describe(name: str, version_or_alias: str) -> RegisteredVersion:
    """Look a model up by version number or alias, with its run's metrics."""
    client = configure()
    mv = (client.get_model_version(name, version_or_alias) if version_or_alias.isdigit()
          else client.get_model_version_by_alias(name, version_or_alias))
    run_id = mv.run_id or (mv.tags or {}).get("run_id")
    metrics = dict(client.get_run(run_id).data.metrics) if run_id else {}
    return RegisteredVersion(name, str(mv.version), run_id, tuple(mv.aliases or ()), metrics)


def load_spec(name: str, version_or_alias: str = CHAMPION) -> tuple[dict[str, Any], RegisteredVersion]:
    """Download the compiled spec of a registered model (no pyfunc, no pickle)."""
    import mlflow

    version = describe(name, version_or_alias)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version.version}", dst_path=tmp)
        spec_file = next(Path(local).rglob(SPEC_ARTIFACT))
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
    return spec, version


def as_signature_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer and boolean columns as floats, as the signature declares them."""
    out = frame.copy()
    for name in out.columns:
        if str(out[name].dtype) in ("Int64", "boolean"):
            out[name] = out[name].astype("float64")
    return out


def _version() -> str:
    from importlib.metadata import version

    return version("riskmodels")


class ModelNotFound(LookupError):
    """A registered model, version or alias that the registry does not hold."""


def find_version(name: str, version_or_alias: str) -> RegisteredVersion:
    """Like ``describe``, but an unknown name, version or alias raises ``ModelNotFound``
    with a message a user can act on (the CLI turns it into exit code 2)."""
    from mlflow.exceptions import MlflowException

    sep = ":" if version_or_alias.isdigit() else "@"
    try:
        return describe(name, version_or_alias)
    except MlflowException as exc:
        raise ModelNotFound(f"model must be a registered model version or alias; got "
                            f"{name}{sep}{version_or_alias} ({exc.message})") from exc


@dataclass(frozen=True)
class RunEvidence:
    """What a training run recorded: for documents built only from the evidence."""

    version: RegisteredVersion
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    start_time_ms: int
    tables: dict[str, pd.DataFrame]  # every CSV artefact, by its path in the run
    texts: dict[str, str]  # every JSON artefact, by its path in the run


def load_run_evidence(name: str, version_or_alias: str) -> RunEvidence:
    """Params, metrics, tags and the CSV/JSON artefacts of a registered version's training run."""
    import mlflow

    version = find_version(name, version_or_alias)
    if version.run_id is None:
        raise ModelNotFound(f"model version must come from a training run; {name}:{version.version} has none")
    run = configure().get_run(version.run_id)
    tables: dict[str, pd.DataFrame] = {}
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(run_id=version.run_id, dst_path=tmp))
        for path in sorted(local.rglob("*")):
            key = path.relative_to(local).as_posix()
            if path.suffix == ".csv":
                tables[key] = pd.read_csv(path)
            elif path.suffix == ".json" and not key.startswith("model/model/"):
                texts[key] = path.read_text(encoding="utf-8")
    return RunEvidence(version, dict(run.data.params), dict(run.data.metrics), dict(run.data.tags),
                       int(run.info.start_time), tables, texts)


@contextmanager
def monitoring_run(kind: str, version: RegisteredVersion, settings: Settings | None = None) -> Iterator[Any]:
    """An MLflow run in the monitoring experiment, tagged with the model version it checks."""
    import mlflow

    settings = settings or get_settings()
    exp = experiment_id(f"{settings.experiment}-monitoring", settings)
    with mlflow.start_run(experiment_id=exp, run_name=f"{kind}-{version.name}-v{version.version}") as run:
        mlflow.set_tags({"riskmodels.kind": kind, "riskmodels.model_name": version.name,
                         "riskmodels.model_version": version.version,
                         "riskmodels.model_run_id": version.run_id or "",
                         "git_commit": git_commit(settings.home)})
        yield run


def tag_version(version: RegisteredVersion, tags: Mapping[str, str]) -> None:
    """Tags on the registered model version itself (e.g. its last drift status and run)."""
    client = configure()
    for key, value in tags.items():
        client.set_model_version_tag(version.name, version.version, key, value)
