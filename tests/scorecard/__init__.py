"""Tests of the scorecard engine (riskmodels.scorecard)."""
