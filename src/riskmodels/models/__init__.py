"""The gradient-boosted models (the fraud model, the A-card challenger), LightGBM's one-row fast
path kept apart, and the registered model spec that turns any model back into a scorer."""
