"""The B and C decisions (``riskmodels.decision.accounts``, behind the routes) answer one row
without frames: the same answer, to the last bit, as the batch (frame) path gives the same row,
on a few hundred generated snapshots and cases, with the champions the registry loads."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodels.config import Settings
from riskmodels.decision import score_behavior, score_collection
from riskmodels.registry.champions import load_account_models
from serving.schemas import BehaviorRequest, CollectionRequest

ROWS = 300


def _requests(frame: pd.DataFrame, model: Any) -> list[dict[str, Any]]:
    """Rows as the service sees them: validated by the request schema, dumped as JSON values."""
    names = [n for n in model.model_fields if n in frame.columns]
    plain = [{k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
             for row in frame[names].to_dict(orient="records")]
    return [model.model_validate(row).model_dump(mode="json") for row in plain]


def _answer(result: Any) -> dict[str, Any]:
    return result.model_dump(exclude={"request_id"})


def test_one_row_answers_equal_the_batch_answers_exactly(post_loan_store: Settings, portfolio_dir: Path) -> None:
    models = load_account_models(post_loan_store)
    assert set(models.models) == {"behavior", "collection"}, models.problems
    for kind, score, model, table in (("behavior", score_behavior, BehaviorRequest, "behavior_snapshots"),
                                      ("collection", score_collection, CollectionRequest, "collection_cases")):
        rows = _requests(pd.read_parquet(portfolio_dir / f"{table}.parquet").sample(ROWS, random_state=7), model)
        batch = [_answer(r) for r in score(models, rows)]
        single = [_answer(score(models, [row])[0]) for row in rows]
        if kind == "collection":
            # Priority orders the cases of one request: a lone case is called first.
            assert all(s.pop("priority") == 1 for s in single)
            assert sorted(b.pop("priority") for b in batch) == list(range(1, ROWS + 1))
        differing = [i for i, (s, b) in enumerate(zip(single, batch, strict=True)) if s != b]
        assert differing == [], (kind, single[differing[0]], batch[differing[0]])
        # The sample exercises the rules, not one corner of them.
        assert len({a["action" if kind == "behavior" else "treatment"] for a in batch}) >= 2
        assert any(a["reasons"] for a in batch)


def test_account_champions_load_with_their_registry_versions(post_loan_store: Settings) -> None:
    from riskmodels import registry
    from riskmodels.config import REGISTERED_MODELS, ModelKind
    from riskmodels.registry.champions import load_account_model

    models = load_account_models(post_loan_store)
    assert models.problems == {} and models.policy is not None
    for kind in (ModelKind.BEHAVIOR, ModelKind.COLLECTION):
        champion = registry.describe(REGISTERED_MODELS[kind], registry.CHAMPION)
        loaded = models.models[kind]
        assert (loaded.kind, loaded.name, loaded.version, loaded.run_id) == (
            kind, champion.name, champion.version, champion.run_id)
        assert load_account_model(kind).version == champion.version
