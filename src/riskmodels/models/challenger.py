"""The LightGBM challenger of the application scorecard: a ``CalibratedGBM`` (see ``gbm.py``)
fitted on the A card's candidates and training rows, reported beside the champion's AUC."""

from __future__ import annotations

import numpy as np

from riskmodels.features.catalogue import APPLICATION_FEATURES
from riskmodels.models.gbm import CalibratedGBM, Rows


class GBMChallenger(CalibratedGBM):
    """LightGBM challenger of the A card: credit default (e.g. ``bad_12m``) on
    ``APPLICATION_FEATURES``, monotone where known; reported beside the champion's AUC."""

    default_features = APPLICATION_FEATURES
    kind = "application_challenger"

    def predict_pd(self, X: Rows) -> np.ndarray:
        """Calibrated probability of default."""
        return self.predict_bad_probability(X)
