"""The MLflow pyfunc model of every riskmodels model, logged "from code".

MLflow loads this file and the model's compiled spec (``spec.json``); nothing is unpickled.
The pyfunc takes the raw contract table the model was built on and returns its scores.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from mlflow.models import set_model
from mlflow.pyfunc.model import PythonModel  # mypy sees mlflow.pyfunc as mlflow's lazy loader


def predict_with_spec(spec: dict[str, Any], frame: pd.DataFrame) -> pd.DataFrame:
    """Score raw rows with a compiled spec (the same code the service and batch use)."""
    from riskmodels.models.specs import scorer_from_spec

    return scorer_from_spec(spec).score_frame(frame)


class SpecModel(PythonModel):
    def load_context(self, context: Any) -> None:
        from riskmodels.models.specs import scorer_from_spec

        with open(context.artifacts["spec"], encoding="utf-8") as handle:
            self._scorer = scorer_from_spec(json.load(handle))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self._scorer.score_frame(model_input)


set_model(SpecModel())
