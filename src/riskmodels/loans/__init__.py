"""The loan after the decision (DOMAIN.md §3 steps 3-4, issue 17): facilities opened from
approved decisions, draws checked against the available limit with their payment mode, the
freezes of post-loan warnings, and officers' final decisions (overrides) with their report.
``riskmodels.loans.store`` says where each is kept and why."""

from riskmodels.loans.errors import Conflict, InvalidInput, LoanError, UnknownReference
from riskmodels.loans.freeze import freeze_flagged
from riskmodels.loans.outcomes import checked_terms, decision_record, record_officer_decision, triggers_of
from riskmodels.loans.store import (
    DrawResult,
    Facility,
    FinalDecision,
    FreezeSummary,
    LoanStore,
    Payee,
    RecordedOutcome,
    override_kind,
    to_fen,
)

__all__ = ["Conflict", "DrawResult", "Facility", "FinalDecision", "FreezeSummary", "InvalidInput", "LoanError",
           "LoanStore", "Payee", "RecordedOutcome", "UnknownReference", "checked_terms", "decision_record",
           "freeze_flagged", "override_kind", "record_officer_decision", "to_fen", "triggers_of"]
