"""The one door to MLflow: runs, logged models, the registry, champions and promotion.

No module outside this package imports ``mlflow`` (import-linter checks it). By concern:
``runs`` (the store, the active run and what it records), ``store`` (registered models and
their versions), ``evidence`` (what a version's training run recorded), ``monitoring``
(checks of a version recorded as runs), ``promotion`` (gates) and ``champions``.
"""

from __future__ import annotations

from riskmodels.registry.evidence import RunEvidence, load_run_evidence
from riskmodels.registry.monitoring import monitoring_run, record_monitoring_run
from riskmodels.registry.runs import (
    active_run_id,
    configure,
    experiment_id,
    git_commit,
    load_artifact_text,
    log_artifact_file,
    log_artifact_folder,
    log_artifact_frame,
    log_artifact_text,
    log_metrics,
    log_params,
    run_params,
    set_tags,
    training_run,
)
from riskmodels.registry.store import (
    CHALLENGER,
    CHAMPION,
    SPEC_ARTIFACT,
    ModelNotFound,
    ModelRef,
    RegisteredVersion,
    as_signature_types,
    contract_signature,
    describe,
    load_spec,
    log_spec_model,
    model_ref,
    parse_model_ref,
    register,
    set_alias,
    tag_version,
)

__all__ = ["CHALLENGER", "CHAMPION", "SPEC_ARTIFACT", "ModelNotFound", "ModelRef", "RegisteredVersion",
           "RunEvidence", "active_run_id", "as_signature_types", "configure", "contract_signature", "describe",
           "experiment_id", "git_commit", "load_artifact_text", "load_run_evidence", "load_spec", "log_artifact_file",
           "log_artifact_folder", "log_artifact_frame", "log_artifact_text", "log_metrics", "log_params",
           "log_spec_model", "model_ref", "monitoring_run", "parse_model_ref", "record_monitoring_run", "register",
           "run_params", "set_alias", "set_tags", "tag_version", "training_run"]
