"""The loan after the decision (DOMAIN.md §3 steps 3-4, issue 17): facilities opened from
approved decisions, draws checked against the available limit with their payment mode, the
freezes of post-loan warnings, and officers' final decisions (overrides) with their report.
``riskmodels.loans.store`` says where each is kept and why, and which module writes it."""

from riskmodels.loans.draws import DrawResult, Payee
from riskmodels.loans.errors import Conflict, Expired, InvalidInput, LoanError, UnknownReference
from riskmodels.loans.facilities import Facility
from riskmodels.loans.freezes import FreezeEvent, FreezeSummary, freeze_flagged
from riskmodels.loans.inputs import to_fen
from riskmodels.loans.outcomes import (
    FinalDecision,
    RecordedOutcome,
    checked_terms,
    decision_record,
    override_kind,
    record_officer_decision,
    triggers_of,
)
from riskmodels.loans.store import LoanStore
from riskmodels.loans.terms import facility_term

__all__ = ["Conflict", "DrawResult", "Expired", "Facility", "FinalDecision", "FreezeEvent", "FreezeSummary",
           "InvalidInput", "LoanError", "LoanStore", "Payee", "RecordedOutcome", "UnknownReference", "checked_terms",
           "decision_record", "facility_term", "freeze_flagged", "override_kind", "record_officer_decision", "to_fen",
           "triggers_of"]
