"""The scorecard engine: WoE binning (optbinning), variable selection, logistic fit, points
scaling and the compiled scorer.

Names load on first use: the serving path imports ``riskmodels.scorecard.compiled`` alone and
must not pull in optbinning or scikit-learn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ScorecardModel": "riskmodels.scorecard.model",
    "ScorecardConfig": "riskmodels.scorecard.config",
    "ScoreScale": "riskmodels.scorecard.scaling",
    "CompiledScorecard": "riskmodels.scorecard.compiled",
    "Contribution": "riskmodels.scorecard.compiled",
    "UnseenCategoryWarning": "riskmodels.scorecard.compiled",
    "ManyCategoriesWarning": "riskmodels.scorecard.inputs",
    "LogisticFitWarning": "riskmodels.scorecard.inputs",
    "SeparationWarning": "riskmodels.scorecard.separation",
    "WoeLogisticRegression": "riskmodels.scorecard.logistic",
    "binning_tables": "riskmodels.scorecard.binning",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'riskmodels.scorecard' has no attribute {name!r}")
