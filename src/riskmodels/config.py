"""One typed settings object: paths, tracking URI, score scale and service keys.

Loaded on demand (``get_settings()``), never at import. Every field can be set from the
environment with the ``RISKMODELS_`` prefix, e.g. ``RISKMODELS_HOME=/srv/risk``.

The pseudonym key (``Settings.resolved_pseudonym_key``) is the HMAC key of the audit's input
hashes and of every pseudonymous identifier. Where it comes from, first found wins:

1. ``RISKMODELS_PSEUDONYM_KEY``: the key itself, as text (its UTF-8 bytes are the key);
2. ``RISKMODELS_PSEUDONYM_KEY_FILE``: a file holding it, readable by its owner only (0600);
3. neither: ``$XDG_CONFIG_HOME/riskmodels/pseudonym.key`` (``~/.config/...`` by default), made
   once with 32 random bytes (hex) and mode 0600, its place logged once. That is for the demo
   and a developer's machine; a bank sets 1 or 2 from its secret store.

Either way the key must be at least 32 bytes (``secrets.token_hex(16)`` or longer) and is
never kept with the data it protects: a key file under ``data/``, ``mlruns/`` or the audit
folder is refused, and nothing in the audit database holds more than the key's id.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

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
    pseudonym_key_previous_files: Annotated[tuple[Path, ...], NoDecode] = Field(
        default=(), description="Files of keys rotated out (RISKMODELS_PSEUDONYM_KEY_PREVIOUS_FILES, "
        "comma-separated): used only to verify the audit records hashed with them")
    audit_retention_days: int = Field(
        default=1825, ge=1, description="Days an audit record is kept before `audit purge` deletes it")
    gates: Path | None = Field(
        default=None, description="The bank's promotion gates (RISKMODELS_GATES); default the packaged file")
    link_store_url: str | None = Field(
        default=None, description="The platform's identity-link and list store (RISKMODELS_LINK_STORE_URL, an "
        "SQLAlchemy URL such as postgresql+psycopg://...); default SQLite under stores/")
    loan_store_url: str | None = Field(
        default=None, description="Facilities, draws, freezes and officers' decisions (RISKMODELS_LOAN_STORE_URL, "
        "an SQLAlchemy URL); default SQLite under stores/")
    experiment: str = "riskmodels"

    @field_validator("api_keys", "admin_keys", "pseudonym_key_previous_files", mode="before")
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
    def resolved_link_store_url(self) -> str:
        return self.link_store_url or f"sqlite:///{(self.home / 'stores' / 'links.sqlite').resolve()}"

    @property
    def resolved_loan_store_url(self) -> str:
        return self.loan_store_url or f"sqlite:///{(self.home / 'stores' / 'loans.sqlite').resolve()}"

    @property
    def resolved_audit_db(self) -> Path:
        return self.audit_db or self.home / "audit" / "decisions.sqlite"

    def resolved_pseudonym_key(self) -> bytes:
        """The HMAC key (see the module docstring): from the setting, its file, or the default
        file, made on first use. Raises ``PseudonymKeyError`` for a weak or misplaced key."""
        if self.pseudonym_key is not None:
            return checked_pseudonym_key(self.pseudonym_key.get_secret_value().encode("utf-8"),
                                         "RISKMODELS_PSEUDONYM_KEY")
        path = self.pseudonym_key_file
        if path is None:
            path = default_pseudonym_key_file()
            if not path.exists():
                _create_key_file(path)
            elif path not in _ANNOUNCED:
                log.info("pseudonym key: the default file %s (no RISKMODELS_PSEUDONYM_KEY[_FILE] set)", path)
            _ANNOUNCED.add(path)
        self._refuse_beside_data(path)
        return read_pseudonym_key_file(path)

    def resolved_previous_pseudonym_keys(self) -> tuple[bytes, ...]:
        """The keys rotated out, read from their files (each checked as the key in use is):
        they verify old audit records and never hash anything new."""
        keys = []
        for path in self.pseudonym_key_previous_files:
            self._refuse_beside_data(path)
            keys.append(read_pseudonym_key_file(path))
        return tuple(keys)

    def _refuse_beside_data(self, path: Path) -> None:
        # A backup or a copy of the data must not carry the key that undoes its pseudonyms.
        place = path.resolve()
        for folder in (self.data_dir, self.mlruns_dir, self.resolved_audit_db.parent):
            if place.is_relative_to(folder.resolve()):
                raise PseudonymKeyError(f"the pseudonym key file must be kept apart from the data it protects "
                                        f"(not under {folder}); got {path}")


# The shortest key accepted: 256 bits as 32 random bytes, or 128 bits written as 32 hex digits.
MIN_PSEUDONYM_KEY_BYTES = 32
# Fewer distinct bytes than this is a typed word or a repeated pattern, not a random key.
_MIN_DISTINCT_KEY_BYTES = 8


_ANNOUNCED: set[Path] = set()  # default key files whose place this process has logged


class PseudonymKeyError(ValueError):
    """The pseudonym key is missing, weak, readable by others or kept beside the data."""


def checked_pseudonym_key(key: bytes, source: str) -> bytes:
    """``key`` if it is strong enough to be an HMAC key, else a ``PseudonymKeyError``."""
    if len(key) < MIN_PSEUDONYM_KEY_BYTES:
        raise PseudonymKeyError(f"{source} must be at least {MIN_PSEUDONYM_KEY_BYTES} bytes of random text "
                                f"(e.g. python -c 'import secrets; print(secrets.token_hex(32))'); got {len(key)} bytes")
    if len(set(key)) < _MIN_DISTINCT_KEY_BYTES:
        raise PseudonymKeyError(f"{source} must be random, with at least {_MIN_DISTINCT_KEY_BYTES} distinct characters; "
                                f"got {len(set(key))} in {len(key)} bytes")
    return key


def read_pseudonym_key_file(path: Path) -> bytes:
    """The key held in ``path`` (surrounding whitespace ignored): the file must exist and be
    readable by its owner only, as ssh asks of a private key."""
    source = f"the pseudonym key file {path}"
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_bytes()
    except OSError as exc:
        raise PseudonymKeyError(f"{source} must be a readable file; got {exc.strerror}") from exc
    if os.name == "posix" and mode & 0o077:
        raise PseudonymKeyError(f"{source} must be readable by its owner only (chmod 600); got mode {mode:04o}")
    return checked_pseudonym_key(text.strip(), source)


def default_pseudonym_key_file() -> Path:
    """Where the key is made when none is configured: the user's config folder, never the data's."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "riskmodels" / "pseudonym.key"


def _create_key_file(path: Path) -> None:
    """Write a fresh random key to ``path`` (0600, its folder 0700), unless another process
    has just done so: the key is written to a private temporary file, then linked into place,
    which fails if the name exists, so two processes never end up with two keys."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, path)
        log.warning("no pseudonym key configured: made one at %s (mode 0600). Keep it apart from the data and "
                    "back it up: without it the audit's input hashes cannot be verified. A bank sets "
                    "RISKMODELS_PSEUDONYM_KEY or RISKMODELS_PSEUDONYM_KEY_FILE instead.", path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
