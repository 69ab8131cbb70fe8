"""The daily batch on constructed panels: which account gets which alert, and what is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from riskmodels.monitoring.portfolio import FrameScorer, MonitorResult, monitor_portfolio, run_portfolio_monitor

Panel = Callable[..., pd.DataFrame]  # the ``panel`` fixture of conftest.py

DOWN = {"inflow_month": 40_000.0}  # 40% of the 100,000 baseline: down 60%
HALF = {"inflow_month": 50_000.0}  # down exactly 50%


@pytest.fixture
def snapshots(panel: Panel) -> pd.DataFrame:
    return panel({
        "drop3": [DOWN, DOWN, DOWN],
        "drop2": [{}, DOWN, DOWN],
        "half3": [HALF, HALF, HALF],
        "noflow": [{}, {}, {"inflow_month": 0.0}],
        "codebt": [{}, {}, {"new_large_loan_other_bank": True, "new_lenders_since_booking": 2}],
        "short": [{}, {}, {"balance_before_due": 9_000.0}],
        "clean": [{}, {}, {}],
        "closed": [{}, {}, None],  # no snapshot in the monitored month: not monitored
        "gap": [DOWN, None, DOWN],  # a month missing breaks the 3-month run
    })


def _signals(result: MonitorResult) -> dict[str, list[str]]:
    return result.alerts.groupby("account_id")["signal"].agg(sorted).to_dict()


def test_each_rule_fires_on_its_account_only(snapshots: pd.DataFrame) -> None:
    result = run_portfolio_monitor(snapshots, None)
    assert result.as_of == date(2025, 3, 31)
    assert _signals(result) == {"drop3": ["flow_drop"], "noflow": ["no_flow"], "codebt": ["co_debt"],
                                "short": ["instalment_shortfall"]}
    assert set(result.accounts["account_id"]) == set(snapshots["account_id"]) - {"closed"}
    assert result.n_accounts_alerted == 4 and result.migration is None
    alerts = result.alerts.set_index("account_id")
    assert alerts.loc["drop3", "severity"] == "yellow" and alerts.loc["drop3", "action"] == "yellow_warning_review"
    assert "40%/40%/40%" in alerts.loc["drop3", "evidence"]
    assert alerts.loc["short", "evidence"] == "deposit 3 days before due 9000 CNY < instalment 10000 CNY"
    assert "new lenders since booking: 2" in alerts.loc["codebt", "evidence"]
    assert alerts.loc["noflow", "severity"] == "orange"
    assert result.alerts["severity"].iloc[0] == "orange"  # most severe first
    frozen = result.accounts.set_index("account_id")["unused_limit_frozen"]
    assert frozen["noflow"] and not frozen.drop("noflow").any()
    summary = result.summary.set_index("signal")
    assert summary.loc["flow_drop", "alerts"] == 1
    assert summary.loc["flow_drop", "accounts_share"] == pytest.approx(1 / 8)


def test_as_of_picks_the_last_month_end_on_or_before_it(snapshots: pd.DataFrame) -> None:
    # Mid-March: March's month end is not there yet, so February is monitored.
    result = run_portfolio_monitor(snapshots, date(2025, 3, 15))
    assert result.as_of == date(2025, 2, 28)
    assert "closed" in set(result.accounts["account_id"])
    assert "drop3" not in set(result.alerts["account_id"])  # only two months down by February
    assert run_portfolio_monitor(snapshots, date(2025, 3, 31)).as_of == date(2025, 3, 31)
    with pytest.raises(ValueError, match=r"must have rows for month 2025-05 .*latest month in the data is 2025-03"):
        run_portfolio_monitor(snapshots, date(2025, 6, 1))


def test_bad_panels_are_refused(snapshots: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="one row per account and month; got several for 'clean'"):
        run_portfolio_monitor(pd.concat([snapshots, snapshots[snapshots["account_id"] == "clean"]]), None)
    with pytest.raises(ValueError, match=r"must have columns \['inflow_month'\]"):
        run_portfolio_monitor(snapshots.drop(columns="inflow_month"), None)


def test_b_score_change_migration_and_actions(panel: Panel, b_card: FrameScorer) -> None:
    snapshots = panel({
        "steady_a": [{"a_score_origination": 85.0}, {"a_score_origination": 86.0, "months_to_maturity": 1}],
        "far_a": [{"a_score_origination": 85.0}, {"a_score_origination": 86.0, "months_to_maturity": 6}],
        "b_to_c": [{"a_score_origination": 67.0}, {"a_score_origination": 62.0}],  # B card classes: B 65-70, C 60-65
        "c_to_b": [{"a_score_origination": 62.0}, {"a_score_origination": 67.0}],
        "new_d": [None, {"a_score_origination": 40.0}],
    })
    result = run_portfolio_monitor(snapshots, None, b_card)
    accounts = result.accounts.set_index("account_id")
    assert accounts.loc["b_to_c", "b_score_change"] == pytest.approx(-5)
    assert (accounts.loc["b_to_c", "risk_class_prev"], accounts.loc["b_to_c", "risk_class"]) == ("B", "C")
    assert pd.isna(accounts.loc["new_d", "b_score_prev"])
    # 续贷 only inside the renewal window before maturity (policy: 2 months); further out, keep.
    assert accounts["action"].to_dict() == {"steady_a": "renew", "far_a": "keep", "b_to_c": "keep", "c_to_b": "keep",
                                            "new_d": "reduce"}
    assert _signals(result) == {"b_to_c": ["class_downgrade"]}
    assert result.alerts.loc[0, "evidence"] == "B score 67.0 -> 62.0 (class B -> C)"
    migration = result.migration
    assert migration is not None and int(migration.to_numpy().sum()) == 5
    moves = [migration.loc[before, now] for before, now in (("A", "A"), ("B", "C"), ("C", "B"), ("new", "D"))]
    assert moves == [2, 1, 1, 1]


def test_monitor_portfolio_reads_and_writes(tmp_path: Path, snapshots: pd.DataFrame, b_card: FrameScorer) -> None:
    data = tmp_path / "data"
    data.mkdir()
    snapshots.to_parquet(data / "behavior_snapshots.parquet", index=False)
    result = monitor_portfolio(data, tmp_path / "out", date(2025, 3, 31), b_card)
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {"alerts.parquet", "alerts.csv", "summary.csv", "accounts.parquet", "migration.csv",
                       "portfolio_report.html"}
    back = pd.read_parquet(tmp_path / "out" / "alerts.parquet")
    pd.testing.assert_frame_equal(back, result.alerts, check_dtype=False)
    assert len(pd.read_csv(tmp_path / "out" / "alerts.csv")) == len(result.alerts)
    with pytest.raises(FileNotFoundError, match="data must hold behavior_snapshots.parquet"):
        monitor_portfolio(tmp_path / "nowhere", tmp_path / "out", None, None)
