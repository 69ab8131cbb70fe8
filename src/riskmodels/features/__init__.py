"""Raw application sources -> model features: one pure numpy module per source.

``build_features`` (a frame) and ``build_features_one`` (one dict) share every line of
feature logic; ``catalogue`` describes each feature for models and reason codes.
"""

from __future__ import annotations

from riskmodels.features.build import (
    INPUT_COLUMNS,
    build_feature_arrays,
    build_features,
    build_features_one,
    observed_annual_revenue,
)
from riskmodels.features.catalogue import (
    APPLICATION_FEATURES,
    FEATURES,
    FRAUD_FEATURES,
    SOURCE_MISSING,
    FeatureInfo,
)

__all__ = [
    "APPLICATION_FEATURES", "FEATURES", "FRAUD_FEATURES", "INPUT_COLUMNS", "SOURCE_MISSING", "FeatureInfo",
    "build_feature_arrays", "build_features", "build_features_one", "observed_annual_revenue",
]
