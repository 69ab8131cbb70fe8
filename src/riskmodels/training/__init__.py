"""Training: samples, the steps every model composes, and train-and-register for each kind.

    from riskmodels.training import train
    result = train("application", Path("data/synthetic"))   # or ModelKind.APPLICATION

``train`` reads the kind's YAML (default: the packaged ``configs/KIND.yaml``) and calls its
function (``train_application``, ``train_fraud``, ``train_behavior``, ``train_collection``),
which a notebook may also call with a config it built itself.
"""

from __future__ import annotations

from riskmodels.training.accounts import (
    BEHAVIOR_CARD,
    COLLECTION_CARD,
    AccountCard,
    train_account_scorecard,
    train_behavior,
    train_collection,
)
from riskmodels.training.application import ApplicationConfig, ChallengerConfig, train_application, train_challenger
from riskmodels.training.dispatch import TRAINERS, Trainer, train
from riskmodels.training.fraud import FraudConfig, FraudParams, train_fraud
from riskmodels.training.samples import account_sample, booked_sample, fraud_sample
from riskmodels.training.scorecard import ScorecardPipelineConfig, ScorecardSample, train_and_register
from riskmodels.training.steps import (
    PipelineConfig,
    TrainingResult,
    data_fingerprint,
    flatten,
    load_config,
    read_optional,
    read_tables,
    require_clean,
)

__all__ = ["BEHAVIOR_CARD", "COLLECTION_CARD", "TRAINERS", "AccountCard", "ApplicationConfig", "ChallengerConfig",
           "FraudConfig", "FraudParams", "PipelineConfig", "ScorecardPipelineConfig", "ScorecardSample", "Trainer",
           "TrainingResult", "account_sample", "booked_sample", "data_fingerprint", "flatten", "fraud_sample",
           "load_config", "read_optional", "read_tables", "require_clean", "train", "train_account_scorecard",
           "train_and_register", "train_application", "train_behavior", "train_challenger", "train_collection",
           "train_fraud"]
