"""The one door to MLflow: runs, logged models, the registry, champions and promotion.

No module outside this package imports ``mlflow`` (import-linter checks it).
"""

from __future__ import annotations

from riskmodels.registry.store import (
    CHALLENGER, CHAMPION, ModelNotFound, RegisteredVersion, RunEvidence, SPEC_ARTIFACT, as_signature_types, configure, contract_signature, describe, experiment_id, find_version, git_commit, load_run_evidence, load_spec, log_artifact_frame, log_artifact_text, log_spec_model, monitoring_run, register, set_alias, tag_version, training_run,
)

__all__ = ["CHALLENGER", "CHAMPION", "ModelNotFound", "RegisteredVersion", "RunEvidence", "SPEC_ARTIFACT", "as_signature_types", "configure", "contract_signature", "describe", "experiment_id", "find_version", "git_commit", "load_run_evidence", "load_spec", "log_artifact_frame", "log_artifact_text", "log_spec_model", "monitoring_run", "register", "set_alias", "tag_version", "training_run"]
