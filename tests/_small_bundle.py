"""A small A card and fraud model fitted on a generated book the way the pipelines fit them (a
few seconds), for tests that decide without the session's trained registry."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

import riskmodels.training
from riskmodels.contract import APPLICATIONS
from riskmodels.decision import ModelBundle
from riskmodels.features import build_features
from riskmodels.policy import load_policy, with_class_pds

CONFIG = Path(riskmodels.training.__file__).parent / "configs" / "application.yaml"


@lru_cache(maxsize=2)
def small_bundle(n_applications: int = 5000, seed: int = 1) -> ModelBundle:
    from riskmodels.models.fraud import FraudModel
    from riskmodels.policy.risk_classes import RiskBands
    from riskmodels.scorecard import ScorecardConfig, ScorecardModel
    from riskmodels.synth import generate_portfolio

    book = generate_portfolio(n_applications=n_applications, seed=seed)
    portfolio = book.applications.merge(book.outcomes, on="application_id")
    features = build_features(portfolio[APPLICATIONS.names])
    fraud = FraudModel(num_threads=1).fit(features, portfolio["is_fraud"].to_numpy())
    booked = portfolio["bad_12m"].notna().to_numpy()
    config = ScorecardConfig.model_validate(yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["scorecard"])
    bad = portfolio.loc[booked, "bad_12m"].astype(int).to_numpy()
    card = ScorecardModel.from_config(config).fit(features[booked], bad)
    bands = RiskBands.default().with_pds(bad, card.predict_score(features[booked]))
    policy = with_class_pds(load_policy(), {b.name: b.pd for b in bands.bands})
    return ModelBundle(scorecard=card.compiled_, fraud=fraud, policy=policy,
                       versions={"sme-application-scorecard": 3, "sme-fraud": "2"})
