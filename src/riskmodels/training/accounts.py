"""The behavioural (B) and collection (C) scorecards. Both have one shape: a contract table of
accounts, a target with its orientation, and the simulator's truth when there is one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from riskmodels.config import get_settings
from riskmodels.contract import table as contract_table
from riskmodels.policy.post_loan import load_post_loan_policy
from riskmodels.policy.risk_classes import RiskBands
from riskmodels.training.samples import account_sample, release_read_buffers
from riskmodels.training.scorecard import ScorecardPipelineConfig, train_and_register
from riskmodels.training.steps import TrainingResult, data_fingerprint, read_optional, read_tables, require_clean


@dataclass(frozen=True)
class AccountCard:
    """Where a post-loan scorecard's rows and truth live."""

    kind: str
    table: str
    keys: tuple[str, ...]
    truth_table: str
    truth_column: str
    truth_is_event: bool  # False: the truth holds the probability of the good outcome (cure)


# B card: monthly snapshots → 90+ DPD in the next 6 months.
BEHAVIOR_CARD = AccountCard("behavior", "behavior_snapshots", ("account_id", "snapshot_date"), "behavior_truth",
                            "true_bad_6m_prob", True)
# C card: collection cases → not cured within 30 days (the bad event); cure probability = 1 - PD.
# An account can fall into collection several times (the demo book: 5,772 accounts, 10,426 cases):
# the contract table names its account column, and the calibration tests count one case each.
COLLECTION_CARD = AccountCard("collection", "collection_cases", ("case_id",), "collection_truth", "true_cure_prob",
                              False)


def train_account_scorecard(card: AccountCard, data_dir: Path, cfg: ScorecardPipelineConfig,
                            bands: RiskBands | None = None) -> TrainingResult:
    """Train, evaluate, log and register a B or C card from a portfolio folder; ``bands``: the
    classes its evidence (class table, monotonicity gate, drift) is reported in."""
    tables = read_tables(data_dir, (card.table,))
    quality_reports = require_clean(tables, get_settings().home / "reports" / "quality")
    data_hash = data_fingerprint(tables[card.table])
    # The sample keeps its labelled rows; the whole table (a million-application book has 7M
    # snapshots) is not held here to the end of the run (nor by the quality gate, which lets go).
    rows = tables.pop(card.table)
    sample = account_sample(rows, read_optional(data_dir, card.truth_table), cfg, card.table,
                            list(card.keys), card.truth_column, card.truth_is_event, contract_table(card.table).account)
    del rows
    release_read_buffers()
    return train_and_register(card.kind, cfg, sample, card.table, quality_reports, data_hash, bands=bands,
                              data_dir=data_dir)


def train_behavior(data_dir: Path, cfg: ScorecardPipelineConfig) -> TrainingResult:
    # The B card's classes are the post-loan policy's, the ones its answers are given in.
    return train_account_scorecard(BEHAVIOR_CARD, data_dir, cfg, load_post_loan_policy().bands)


def train_collection(data_dir: Path, cfg: ScorecardPipelineConfig) -> TrainingResult:
    return train_account_scorecard(COLLECTION_CARD, data_dir, cfg)
