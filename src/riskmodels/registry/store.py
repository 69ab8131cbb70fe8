"""Registered models: log a compiled spec as a pyfunc, register it, look versions up by number
or alias, move aliases, read a version's spec back.

Models are logged as MLflow pyfunc models "from code" (``registry/pyfunc.py``) with their
compiled spec as a JSON artefact, so loading a model never unpickles library internals.
An unknown model, version or alias raises ``ModelNotFound``, never MLflow's own exception, so
no caller outside this package needs ``mlflow``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import CHALLENGER, CHAMPION
from riskmodels.registry.runs import configure

__all__ = ["CHALLENGER", "CHAMPION", "LATEST", "SPEC_ARTIFACT", "ModelNotFound", "ModelRef", "RegisteredVersion",
           "as_signature_types", "contract_signature", "describe", "load_spec", "log_spec_model", "masked_example",
           "model_ref", "parse_model_ref", "register", "registered_names", "scoring_code", "scoring_requirements", "set_alias",
           "set_description", "tag_version", "versions_of"]

SPEC_ARTIFACT = "spec.json"
LATEST = "latest"  # not an alias: the newest version of a model (a run that failed its gates has no alias)

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
    tags: dict[str, str] = field(default_factory=dict)  # the version's own (gates, approval, trainer)
    description: str = ""
    created_ms: int = 0  # when it was registered (epoch milliseconds)


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
    """Look a model up by version number, alias or ``latest`` (the newest version, whatever its
    gates said), with its run's metrics; ``ModelNotFound`` (naming the model) when the registry
    does not hold it."""
    client = configure()
    if version_or_alias == LATEST:
        return versions_of(name)[0]
    with _not_found_as_model_not_found(name, version_or_alias):
        mv = (client.get_model_version(name, version_or_alias) if version_or_alias.isdigit()
              else client.get_model_version_by_alias(name, version_or_alias))
    return _registered(client, mv)


def _registered(client: Any, mv: Any) -> RegisteredVersion:
    tags = dict(mv.tags or {})
    run_id = mv.run_id or tags.get("run_id")
    metrics = dict(client.get_run(run_id).data.metrics) if run_id else {}
    return RegisteredVersion(mv.name, str(mv.version), run_id, tuple(mv.aliases or ()), metrics, tags,
                             mv.description or "", int(mv.creation_timestamp or 0))


def registered_names() -> list[str]:
    """Every registered model's name, sorted."""
    client = configure()
    return sorted(m.name for m in client.search_registered_models(max_results=1000))


def versions_of(name: str) -> list[RegisteredVersion]:
    """Every version of a registered model, newest first; ``ModelNotFound`` for an unknown name."""
    client = configure()
    with _not_found_as_model_not_found(name, LATEST):
        client.get_registered_model(name)
    # search_model_versions leaves the aliases out; get_model_version has them.
    found = client.search_model_versions(f"name = '{name}'", max_results=1000)
    if not found:
        raise ModelNotFound(f"model must have a registered version; {name} has none")
    return sorted((_registered(client, client.get_model_version(name, mv.version)) for mv in found),
                  key=lambda v: -int(v.version))


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


def register(model_uri: str, name: str, run_id: str, alias: str | None = CHALLENGER,
             tags: Mapping[str, str] | None = None, description: str | None = None) -> RegisteredVersion:
    """Register a logged model under the contract's name, with ``tags`` and ``description``,
    and point ``alias`` at it (no alias when None: a version that failed its gates)."""
    import mlflow

    client = configure()
    mv = mlflow.register_model(model_uri, name, tags={"run_id": run_id, **(tags or {})})
    if description:
        client.update_model_version(name, mv.version, description=description)
    if alias is not None:
        client.set_registered_model_alias(name, alias, mv.version)
    return describe(name, str(mv.version))


def set_description(version: RegisteredVersion, description: str) -> None:
    """Replace the version's description (the registry UI's text of it)."""
    configure().update_model_version(version.name, version.version, description=description)


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


def masked_example(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with every personal column of the contract masked (``contract.privacy``): what
    an MLflow artefact may hold. The models never read these columns, so they score the same.
    A malformed value is hidden whole (``mask_any``): it has no safe part to show."""
    from riskmodels.contract.privacy import PII_COLUMNS, mask_any

    out = rows.copy()
    for column in PII_COLUMNS:
        if column in out.columns:
            out[column] = out[column].map(
                lambda value, name=column: value if value is None or pd.isna(value) else mask_any(name, str(value)))
    return out


# What scoring a spec imports (measured: the modules a fresh process loads to score every kind),
# pinned to the versions installed here, all on PyPI. riskmodels itself travels as code (code_paths).
SCORING_DISTRIBUTIONS = ("mlflow", "numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "pydantic", "pyyaml")


def scoring_requirements() -> list[str]:
    """``NAME==VERSION`` of every distribution a logged model needs, as installed here."""
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in SCORING_DISTRIBUTIONS]


# The parts of the package a spec is scored with (measured as above). Only these travel with the
# model: the rest (the simulator with its reference customers, the service, training) is not
# needed to score, and an artefact should hold nothing it does not need.
SCORING_CODE = ("__init__.py", "py.typed", "config.py", "config_files.py", "contract", "features", "models",
                "policy", "scorecard")


def scoring_code(folder: Path) -> Path:
    """A copy of the package's scoring code in ``folder/riskmodels`` (the model's code path)."""
    import riskmodels

    source = Path(riskmodels.__file__).resolve().parent
    target = folder / "riskmodels"
    target.mkdir(parents=True)
    for name in SCORING_CODE:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source / name, target / name)
    return target


def log_spec_model(spec: Mapping[str, Any], input_example: pd.DataFrame) -> str:
    """Log a compiled spec into the active run as a pyfunc model with signature and a masked
    input example; return its URI.

    The package's scoring code is logged with the model (``code/riskmodels``) and the
    requirements are the installable distributions it needs, so ``mlflow models serve`` or a
    plain ``pyfunc.load_model`` works where riskmodels is not installed (no index holds it)."""
    import mlflow

    from riskmodels.registry import pyfunc as mlflow_model

    example = masked_example(input_example)
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / SPEC_ARTIFACT
        spec_path.write_text(json.dumps(spec, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        output = mlflow_model.predict_with_spec(dict(spec), example)
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=mlflow_model.__file__,
            artifacts={"spec": str(spec_path)},
            signature=contract_signature(spec["input_table"], output),
            input_example=as_signature_types(example),
            code_paths=[str(scoring_code(Path(tmp) / "code"))],
            # Explicit requirements: inferring them would import and run the model in a subprocess.
            pip_requirements=scoring_requirements(),
        )
    return str(info.model_uri)
