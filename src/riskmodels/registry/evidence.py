"""A registered version's training evidence: what its run recorded, for documents built only
from that evidence (``evaluation.model_document``)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from riskmodels.registry.runs import configure
from riskmodels.registry.store import ModelNotFound, RegisteredVersion, describe


@dataclass(frozen=True)
class RunEvidence:
    """What a training run recorded."""

    version: RegisteredVersion
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    start_time_ms: int
    tables: dict[str, pd.DataFrame]  # every CSV artefact, by its path in the run
    texts: dict[str, str]  # every JSON artefact, by its path in the run


def load_run_evidence(name: str, version_or_alias: str) -> RunEvidence:
    """Params, metrics, tags and the CSV/JSON artefacts of a registered version's training run;
    ``ModelNotFound`` for an unknown model or a version without a run."""
    import mlflow

    version = describe(name, version_or_alias)
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
