"""Monitoring runs: a check of a registered version (drift, back-testing) recorded as an MLflow
run in the ``EXPERIMENT-monitoring`` experiment, with its outcome tagged on the version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from riskmodels.config import Settings, get_settings
from riskmodels.registry.runs import code_version, experiment_id, log_artifact_file, log_metrics, log_params, set_tags
from riskmodels.registry.store import RegisteredVersion, tag_version


@contextmanager
def monitoring_run(kind: str, version: RegisteredVersion, settings: Settings | None = None) -> Iterator[str]:
    """An MLflow run in the monitoring experiment, tagged with the model version it checks;
    yields its id."""
    import mlflow

    settings = settings or get_settings()
    exp = experiment_id(f"{settings.experiment}-monitoring", settings)
    with mlflow.start_run(experiment_id=exp, run_name=f"{kind}-{version.name}-v{version.version}") as run:
        set_tags({"riskmodels.kind": kind, "riskmodels.model_name": version.name,
                  "riskmodels.model_version": version.version, "riskmodels.model_run_id": version.run_id or "",
                  **code_version().tags()})
        yield str(run.info.run_id)


def record_monitoring_run(kind: str, version: RegisteredVersion, status: str, params: Mapping[str, object],
                          metrics: Mapping[str, float], files: Sequence[Path]) -> str:
    """One finished check of ``version``: a run tagged ``riskmodels.KIND_status``, with its params,
    metrics and ``files`` under ``KIND/``; the version is tagged ``KIND.last_status`` and
    ``KIND.last_run_id``. Returns the run id."""
    with monitoring_run(kind, version) as run_id:
        set_tags({f"riskmodels.{kind}_status": status})
        log_params(params)
        log_metrics(metrics)
        for path in files:
            log_artifact_file(path, kind)
    tag_version(version, {f"{kind}.last_status": status, f"{kind}.last_run_id": run_id})
    return run_id
