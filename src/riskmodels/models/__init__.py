"""The gradient-boosted models: the fraud model (``fraud``), the A-card challenger
(``challenger``), their calibrated LightGBM base (``gbm``), LightGBM's one-row fast path kept
apart (``lgb_fast``), and the registered model spec that turns any model back into a scorer
(``specs``, with ``load_model``)."""
