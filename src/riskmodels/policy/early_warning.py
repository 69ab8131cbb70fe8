"""The seeds' post-loan early-warning rules (DOMAIN.md §3 step 4), each a pure vectorised test.

Every rule takes plain arrays, one row per account, and returns a boolean array: True where
the signal fires. Monthly inputs are ``(accounts, months)`` arrays whose column 0 is the month
being monitored and column ``j`` the month ``j`` months earlier (the contract's ``m01`` first
order); a month without a snapshot is NaN, and a rule never fires on a month it cannot see.
Thresholds and the severity and action of each signal live in ``EarlyWarningConfig`` (the
``early_warning`` section of ``post_loan_policy.yaml``).
"""

from __future__ import annotations

from typing import Literal, cast

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Chinese banks grade warnings red / orange / yellow / blue (红橙黄蓝预警), most severe first.
Severity = Literal["red", "orange", "yellow", "blue"]
SEVERITIES: tuple[Severity, ...] = ("red", "orange", "yellow", "blue")
SIGNALS = ("flow_drop", "co_debt", "instalment_shortfall", "no_flow", "class_downgrade")


class SignalRule(BaseModel):
    """What a fired signal means for the bank: how severe, and what to do about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    severity: Severity
    action: str = Field(min_length=1, description="Recommended action code, shown to the account manager")


class FlowDropRule(SignalRule):
    """Flow down more than ``min_drop`` against the pre-loan baseline for ``months`` months in a row."""

    min_drop: float = Field(default=0.5, gt=0, lt=1, description="Share of the baseline lost; strictly more fires")
    months: int = Field(default=3, ge=1, le=12)


class NoFlowRule(SignalRule):
    """No account inflow for ``months`` months: a risk-check task and the unused limit frozen."""

    months: int = Field(default=1, ge=1, le=12)
    freeze_unused_limit: bool = True


class ClassDowngradeRule(SignalRule):
    """B-score class at least ``min_classes`` classes worse than last month."""

    min_classes: int = Field(default=1, ge=1)


class EarlyWarningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    flow_drop: FlowDropRule = FlowDropRule(severity="yellow", action="yellow_warning_review")
    co_debt: SignalRule = SignalRule(severity="yellow", action="co_debt_review")
    instalment_shortfall: SignalRule = SignalRule(severity="blue", action="reminder_sms")
    no_flow: NoFlowRule = NoFlowRule(severity="orange", action="risk_check_task_and_freeze_unused_limit")
    class_downgrade: ClassDowngradeRule = ClassDowngradeRule(severity="yellow", action="review_limit")

    @property
    def window_months(self) -> int:
        """Months of history the batch must read: the longest rule, and last month for migration."""
        return max(self.flow_drop.months, self.no_flow.months, 2)

    def rule(self, signal: str) -> SignalRule:
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {SIGNALS}; got {signal!r}")
        rule: SignalRule = getattr(self, signal)
        return rule


def _recent(monthly: np.ndarray, months: int, name: str) -> np.ndarray:
    values = np.asarray(monthly, dtype=float)
    if values.ndim != 2 or values.shape[1] < months:
        raise ValueError(f"{name} must be a 2-D array with at least {months} month columns; got shape {values.shape}")
    return values[:, :months]


def flow_drop(inflow: np.ndarray, baseline: np.ndarray, min_drop: float = 0.5, months: int = 3) -> np.ndarray:
    """Inflow below ``(1 - min_drop)`` x baseline in each of the last ``months`` months.

    Exactly ``min_drop`` does not fire ("down more than 50%"); a missing month breaks the run,
    and an account without a positive baseline has nothing to fall from.
    """
    recent = _recent(inflow, months, "inflow")
    base = np.asarray(baseline, dtype=float)
    down = recent < (1.0 - min_drop) * base[:, None]  # NaN compares False: a gap breaks the run
    return down.all(axis=1) & (base > 0)


def no_flow(inflow: np.ndarray, months: int = 1) -> np.ndarray:
    """No account inflow at all in each of the last ``months`` months."""
    # numpy types ndarray == scalar as Any; it is a boolean array.
    return cast(np.ndarray, (_recent(inflow, months, "inflow") == 0).all(axis=1))


def co_debt(new_large_loan_other_bank: np.ndarray) -> np.ndarray:
    """A new large loan at another lender this month (the bureau's flag; null does not fire)."""
    return np.asarray(new_large_loan_other_bank, dtype=float) > 0


def instalment_shortfall(balance_before_due: np.ndarray, instalment_due: np.ndarray) -> np.ndarray:
    """Deposit 3 days before the due date short of the instalment: send a reminder SMS."""
    due = np.asarray(instalment_due, dtype=float)
    return (due > 0) & (np.asarray(balance_before_due, dtype=float) < due)


def class_downgrade(class_rank_before: np.ndarray, class_rank_now: np.ndarray, min_classes: int = 1) -> np.ndarray:
    """Risk class ``min_classes`` or more worse than last month (rank 0 is the best class;
    NaN: no score last month, nothing to compare)."""
    steps = np.asarray(class_rank_now, dtype=float) - np.asarray(class_rank_before, dtype=float)
    return cast(np.ndarray, steps >= min_classes)  # numpy types the comparison as Any
