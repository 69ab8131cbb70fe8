"""The one door to MLflow: runs, logged models, the registry, champions and promotion.

No module outside this package imports ``mlflow`` (import-linter checks it). By concern:
``runs`` (the store, the active run and what it records), ``store`` (registered models and
their versions), ``evidence`` (what a version's training run recorded), ``monitoring``
(checks of a version recorded as runs), ``gates`` (the bank's file), ``comparison`` (a
challenger against the champion), ``promotion`` (gates, comparison, maker-checker) and
``champions``.
"""

from __future__ import annotations

from riskmodels.registry.evidence import RunEvidence, load_run_evidence
from riskmodels.registry.monitoring import monitoring_run, record_monitoring_run
from riskmodels.registry.runs import (
    TRAINED_BY,
    ArtifactNotFound,
    CodeVersion,
    RunRecord,
    active_run_id,
    artifact_location,
    code_version,
    configure,
    current_user,
    experiment_id,
    git_commit,
    load_artifact_text,
    log_artifact_file,
    log_artifact_folder,
    log_artifact_frame,
    log_artifact_text,
    log_dataset,
    log_metrics,
    log_params,
    run_name,
    run_params,
    run_record,
    set_tags,
    training_run,
)
from riskmodels.registry.store import (
    CHALLENGER,
    CHAMPION,
    LATEST,
    SPEC_ARTIFACT,
    ModelNotFound,
    ModelRef,
    RegisteredVersion,
    as_signature_types,
    contract_signature,
    describe,
    load_spec,
    log_spec_model,
    masked_example,
    model_ref,
    parse_model_ref,
    register,
    registered_names,
    scoring_requirements,
    set_alias,
    set_description,
    tag_version,
    versions_of,
)

__all__ = ["CHALLENGER", "CHAMPION", "LATEST", "SPEC_ARTIFACT", "TRAINED_BY", "ArtifactNotFound", "CodeVersion", "ModelNotFound",
           "ModelRef", "RegisteredVersion", "RunEvidence", "RunRecord", "active_run_id", "artifact_location", "as_signature_types",
           "code_version", "configure", "contract_signature", "current_user", "describe", "experiment_id",
           "git_commit", "load_artifact_text", "load_run_evidence", "load_spec", "log_artifact_file",
           "log_artifact_folder", "log_artifact_frame", "log_artifact_text", "log_dataset", "log_metrics",
           "log_params", "log_spec_model", "masked_example", "model_ref", "monitoring_run", "parse_model_ref",
           "record_monitoring_run", "register", "registered_names", "run_name", "run_params", "run_record",
           "scoring_requirements", "set_alias", "set_description", "set_tags", "tag_version", "training_run",
           "versions_of"]
