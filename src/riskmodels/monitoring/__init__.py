"""Monitoring: drift and back-testing of a registered model, and the portfolio's nightly
early-warning batch."""
