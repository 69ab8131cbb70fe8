"""Registered models: log a compiled spec as a pyfunc, register it, look versions up by number
or alias, move aliases, read a version's spec back.

Models are logged as MLflow pyfunc models "from code" (``registry/pyfunc.py``) with their
compiled spec as a JSON artefact, so loading a model never unpickles library internals.
An unknown model, version or alias raises ``ModelNotFound``, never MLflow's own exception, so
no caller outside this package needs ``mlflow``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import CHALLENGER, CHAMPION
from riskmodels.registry.runs import configure

__all__ = ["CHALLENGER", "CHAMPION", "SPEC_ARTIFACT", "ModelNotFound", "ModelRef", "RegisteredVersion",
           "as_signature_types", "contract_signature", "describe", "load_spec", "log_spec_model", "model_ref",
           "parse_model_ref", "register", "set_alias", "tag_version"]

SPEC_ARTIFACT = "spec.json"

# What MLflow answers for a name, version (RESOURCE_DOES_NOT_EXIST) or alias
# (INVALID_PARAMETER_VALUE) it does not hold; any other error (the store unreachable, say) is
# not the user's to fix and propagates as it is.
_NOT_FOUND_CODES = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


class ModelNotFound(LookupError):
    """A registered model, version or alias that the registry does not hold. The message names
    the model; ``reason`` is the registry's own words (e.g. "Registered Model with name=x not found")."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class RegisteredVersion:
    """A registered model version and what the service needs to know about it."""

    name: str
    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    metrics: dict[str, float]


@dataclass(frozen=True)
class ModelRef:
    """A registered model as users name it: ``NAME@alias`` or ``NAME:VERSION``."""

    name: str
    version_or_alias: str

    def __str__(self) -> str:
        return model_ref(self.name, self.version_or_alias)


def model_ref(name: str, version_or_alias: str) -> str:
    """``NAME:VERSION`` or ``NAME@alias``, as users write it."""
    return f"{name}{':' if version_or_alias.isdigit() else '@'}{version_or_alias}"


def parse_model_ref(ref: str, default_alias: str = CHAMPION) -> ModelRef:
    """``NAME`` (the champion), ``NAME@alias`` or ``NAME:VERSION``."""
    name, alias_sep, alias = ref.partition("@")
    if not alias_sep:
        name, version_sep, version = ref.partition(":")
        if version_sep and not version.isdigit():
            raise ValueError(f"model must be NAME, NAME@alias or NAME:VERSION (a number); got {ref!r}")
        alias = version if version_sep else default_alias
    if not name.strip() or not alias.strip():
        raise ValueError(f"model must be NAME, NAME@alias or NAME:VERSION; got {ref!r}")
    return ModelRef(name.strip(), alias.strip())


@contextmanager
def _not_found_as_model_not_found(name: str, version_or_alias: str) -> Iterator[None]:
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        if exc.error_code not in _NOT_FOUND_CODES:
            raise
        raise ModelNotFound(f"model must be a registered model version or alias; got "
                            f"{model_ref(name, version_or_alias)} ({exc.message})", exc.message) from exc


def describe(name: str, version_or_alias: str) -> RegisteredVersion:
    """Look a model up by version number or alias, with its run's metrics; ``ModelNotFound``
    (naming the model) when the registry does not hold it."""
    client = configure()
    with _not_found_as_model_not_found(name, version_or_alias):
        mv = (client.get_model_version(name, version_or_alias) if version_or_alias.isdigit()
              else client.get_model_version_by_alias(name, version_or_alias))
    run_id = mv.run_id or (mv.tags or {}).get("run_id")
    metrics = dict(client.get_run(run_id).data.metrics) if run_id else {}
    return RegisteredVersion(name, str(mv.version), run_id, tuple(mv.aliases or ()), metrics)


def load_spec(name: str, version_or_alias: str = CHAMPION) -> tuple[dict[str, Any], RegisteredVersion]:
    """Download the compiled spec of a registered model (no pyfunc, no pickle); ``ModelNotFound``
    when the registry does not hold it."""
    import mlflow

    version = describe(name, version_or_alias)
    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{version.version}", dst_path=tmp)
        spec_file = next(Path(local).rglob(SPEC_ARTIFACT))
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
    return spec, version


def register(model_uri: str, name: str, run_id: str, alias: str = CHALLENGER) -> RegisteredVersion:
    """Register a logged model under the contract's name and point ``alias`` at it."""
    import mlflow

    client = configure()
    mv = mlflow.register_model(model_uri, name, tags={"run_id": run_id})
    client.set_registered_model_alias(name, alias, mv.version)
    return describe(name, str(mv.version))


def set_alias(name: str, alias: str, version: str) -> None:
    with _not_found_as_model_not_found(name, version):
        configure().set_registered_model_alias(name, alias, version)


def tag_version(version: RegisteredVersion, tags: Mapping[str, str]) -> None:
    """Tags on the registered model version itself (e.g. its last drift status and run)."""
    client = configure()
    for key, value in tags.items():
        client.set_model_version_tag(version.name, version.version, key, value)


# MLflow cannot hold a missing value in a long or boolean column, so nullable integers and
# flags are declared as doubles; the feature builders read them as floats anyway.
_MLFLOW_TYPES = {"int": "long", "float": "double", "bool": "boolean", "category": "string",
                 "date": "datetime", "string": "string"}


def contract_signature(table_name: str, output: pd.DataFrame) -> Any:
    """The model signature from the data contract, not guessed from a few example rows."""
    from mlflow.models import ModelSignature, infer_signature
    from mlflow.types.schema import ColSpec, Schema

    from riskmodels.contract import table

    inputs = Schema([
        ColSpec("double" if c.nullable and c.dtype in ("int", "bool") else _MLFLOW_TYPES[c.dtype],
                c.name, required=not c.nullable)
        for c in table(table_name).columns
    ])
    return ModelSignature(inputs=inputs, outputs=infer_signature(None, output).outputs)


def as_signature_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable integer and boolean columns as floats, as the signature declares them."""
    out = frame.copy()
    for name in out.columns:
        if str(out[name].dtype) in ("Int64", "boolean"):
            out[name] = out[name].astype("float64")
    return out


def log_spec_model(spec: Mapping[str, Any], input_example: pd.DataFrame) -> str:
    """Log a compiled spec into the active run as a pyfunc model with signature and input
    example; return its URI."""
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
    return str(info.model_uri)


def _version() -> str:
    from importlib.metadata import version

    return version("riskmodels")
