"""One typed settings object: paths, tracking URI, score scale and service keys.

Loaded on demand (``get_settings()``), never at import. Every field can be set from the
environment with the ``RISKMODELS_`` prefix, e.g. ``RISKMODELS_HOME=/srv/risk``.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Switches that stop the libraries we use from phoning home. The machines this runs on have
# no network, and a bank's production servers must not send anything out either.
OFFLINE_ENVIRONMENT = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "DO_NOT_TRACK": "1",
    "BENTOML_DO_NOT_TRACK": "true",
    "GX_ANALYTICS_ENABLED": "false",
    "HF_HUB_OFFLINE": "1",
}



class ModelKind(StrEnum):
    """The models the platform registers, by what they do. The one list of them: the CLI, the
    training dispatch, the registry and the service all read it from here."""

    APPLICATION = "application"
    FRAUD = "fraud"
    BEHAVIOR = "behavior"
    COLLECTION = "collection"
    CHALLENGER = "challenger"  # LightGBM beside the A card, trained with it

    @property
    def registered_name(self) -> str:
        """The name in the model registry (the contract's)."""
        return REGISTERED_MODELS[self]


REGISTERED_MODELS: dict[ModelKind, str] = {
    ModelKind.APPLICATION: "sme-application-scorecard",
    ModelKind.BEHAVIOR: "sme-behavior-scorecard",
    ModelKind.COLLECTION: "sme-collection-scorecard",
    ModelKind.FRAUD: "sme-fraud",
    ModelKind.CHALLENGER: "sme-application-challenger",
}
# What `train all` runs, in order (the challenger is trained with the A card).
TRAINED_KINDS = (ModelKind.FRAUD, ModelKind.APPLICATION, ModelKind.BEHAVIOR, ModelKind.COLLECTION)
# An application decision needs both; the B and C cards are served once each has a champion.
DECISION_KINDS = (ModelKind.APPLICATION, ModelKind.FRAUD)
ACCOUNT_KINDS = (ModelKind.BEHAVIOR, ModelKind.COLLECTION)

# Registry aliases: every training run registers a `challenger`; promotion moves `champion`.
CHAMPION = "champion"
CHALLENGER = "challenger"


def apply_offline_environment() -> None:
    """Turn off telemetry unless the operator set the variable explicitly."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RISKMODELS_", extra="ignore")

    home: Path = Field(default_factory=Path.cwd, description="Project folder holding data/ and mlruns/")
    tracking_uri: str | None = Field(default=None, description="MLflow tracking URI; default SQLite under mlruns/")
    audit_db: Path | None = Field(default=None, description="SQLite file of the decision audit log")
    policy_path: Path | None = Field(default=None, description="Policy YAML; default the packaged policy")
    api_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Keys accepted by the scoring API (RISKMODELS_API_KEYS, comma-separated)")
    admin_keys: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="Keys accepted by /v1/admin/* only (RISKMODELS_ADMIN_KEYS, comma-separated)")
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC key of the audit's input hashes and every pseudonymous identifier "
        "(RISKMODELS_PSEUDONYM_KEY); kept apart from the data it protects")
    pseudonym_key_file: Path | None = Field(
        default=None, description="File holding the HMAC key when RISKMODELS_PSEUDONYM_KEY is not set")
    audit_retention_days: int = Field(
        default=1825, ge=1, description="Days an audit record is kept before `audit purge` deletes it")
    gates: Path | None = Field(
        default=None, description="The bank's promotion gates (RISKMODELS_GATES); default the packaged file")
    experiment: str = "riskmodels"

    @field_validator("api_keys", "admin_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(k.strip() for k in value.split(",") if k.strip())
        return value

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def mlruns_dir(self) -> Path:
        return self.home / "mlruns"

    @property
    def resolved_tracking_uri(self) -> str:
        # MLflow 3 refuses a bare file store for the registry, so the default is SQLite.
        return self.tracking_uri or f"sqlite:///{(self.mlruns_dir / 'mlflow.db').resolve()}"

    @property
    def artifact_root(self) -> Path:
        return self.mlruns_dir / "artifacts"

    @property
    def resolved_audit_db(self) -> Path:
        return self.audit_db or self.home / "audit" / "decisions.sqlite"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
