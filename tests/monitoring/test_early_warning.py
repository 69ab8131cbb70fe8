"""Each early-warning rule alone, on arrays: fires where it should, quiet at its boundary."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from riskmodels.policy import early_warning as ew

BASE = 100.0


def _inflow(*months_latest_first: list[float]) -> np.ndarray:
    return np.array(months_latest_first, dtype=float)


def test_flow_drop_needs_three_consecutive_months_below_half() -> None:
    inflow = _inflow(
        [40, 45, 49.9],      # three months down more than 50%: fires
        [40, 45, 100],       # only two months down: quiet
        [50, 50, 50],        # exactly 50% down: not "more than" 50%, quiet
        [49.99, 49.99, 49.99],  # just past the boundary: fires
        [40, np.nan, 40],    # a month without a snapshot breaks the run
        [0, 0, 0],           # no flow at all is a 100% drop
        [100, 40, 40],       # recovered this month: quiet
    )
    fired = ew.flow_drop(inflow, np.full(len(inflow), BASE), min_drop=0.5, months=3)
    assert fired.tolist() == [True, False, False, True, False, True, False]


def test_flow_drop_window_and_baseline() -> None:
    two_months = _inflow([40, 45, 100])
    assert ew.flow_drop(two_months, np.array([BASE]), months=2).tolist() == [True]
    assert ew.flow_drop(two_months, np.array([BASE]), months=3).tolist() == [False]
    # Nothing to fall from: no or zero baseline never fires.
    assert ew.flow_drop(_inflow([0, 0, 0], [0, 0, 0]), np.array([0.0, np.nan])).tolist() == [False, False]
    with pytest.raises(ValueError, match=r"inflow must be a 2-D array with at least 3 month columns; got shape \(1, 2"):
        ew.flow_drop(_inflow([1, 2]), np.array([BASE]))


def test_no_flow() -> None:
    inflow = _inflow([0, 100], [0.01, 100], [np.nan, 100], [0, 0])
    assert ew.no_flow(inflow, months=1).tolist() == [True, False, False, True]
    assert ew.no_flow(inflow, months=2).tolist() == [False, False, False, True]


def test_co_debt() -> None:
    assert ew.co_debt(np.array([1.0, 0.0, np.nan])).tolist() == [True, False, False]
    assert ew.co_debt(np.array([True, False])).tolist() == [True, False]


def test_instalment_shortfall_at_the_boundary() -> None:
    before_due = np.array([9_999.99, 10_000.0, 12_000.0, 0.0, np.nan])
    due = np.array([10_000.0, 10_000.0, 10_000.0, 0.0, 10_000.0])
    assert ew.instalment_shortfall(before_due, due).tolist() == [True, False, False, False, False]


def test_class_downgrade() -> None:
    before, now = np.array([1, 1, 2, np.nan, 0]), np.array([2, 1, 1, 3, 3])  # 0 = A ... 3 = D
    assert ew.class_downgrade(before, now).tolist() == [True, False, False, False, True]
    assert ew.class_downgrade(before, now, min_classes=2).tolist() == [False, False, False, False, True]


def test_config_defaults_follow_the_seeds_and_reject_nonsense() -> None:
    cfg = ew.EarlyWarningConfig()
    assert (cfg.flow_drop.min_drop, cfg.flow_drop.months, cfg.flow_drop.severity) == (0.5, 3, "yellow")
    assert cfg.no_flow.freeze_unused_limit and cfg.window_months == 3
    assert cfg.rule("co_debt").severity == "yellow"
    with pytest.raises(ValueError, match="signal must be one of"):
        cfg.rule("weather")
    with pytest.raises(ValidationError, match="min_drop"):
        ew.EarlyWarningConfig.model_validate({"flow_drop": {"min_drop": 1.5, "severity": "yellow", "action": "x"}})
    with pytest.raises(ValidationError, match="severity"):
        ew.EarlyWarningConfig.model_validate({"co_debt": {"severity": "purple", "action": "x"}})


def test_a_disabled_rule_stays_quiet_in_the_batch_and_the_others_still_fire(
        panel: Callable[..., pd.DataFrame]) -> None:
    # A bank may switch a seed rule off in the policy: its accounts get no alert (and, for the
    # no-flow rule with the freeze switched off, keep their unused limit), the rest are unchanged.
    from riskmodels.monitoring.portfolio import run_portfolio_monitor
    from riskmodels.policy.post_loan import load_post_loan_policy

    snapshots = panel({
        "codebt": [{}, {}, {"new_large_loan_other_bank": True}],
        "noflow": [{}, {}, {"inflow_month": 0.0}],
        "short": [{}, {}, {"balance_before_due": 9_000.0}],
    })
    default = load_post_loan_policy()
    switched = default.early_warning.model_copy(update={
        "co_debt": default.early_warning.co_debt.model_copy(update={"enabled": False}),
        "no_flow": default.early_warning.no_flow.model_copy(update={"freeze_unused_limit": False})})
    policy = default.model_copy(update={"early_warning": switched})
    result = run_portfolio_monitor(snapshots, None, policy=policy)
    fired = result.alerts.groupby("account_id")["signal"].agg(sorted).to_dict()
    assert fired == {"noflow": ["no_flow"], "short": ["instalment_shortfall"]}
    assert not result.accounts["unused_limit_frozen"].any()
    codebt = result.accounts.set_index("account_id").loc["codebt"]
    assert codebt["n_signals"] == 0 and pd.isna(codebt["worst_severity"])
    default_run = run_portfolio_monitor(snapshots, None, policy=default)
    assert set(default_run.alerts["account_id"]) == {"codebt", "noflow", "short"}
