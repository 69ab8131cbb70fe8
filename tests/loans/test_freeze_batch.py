"""The early-warning batch freezes the unused limit in the loan store, and the drawdown check
then refuses the warned account's draw (seed 000 §七: no flow for a month)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from riskmodels.loans import LoanStore
from riskmodels.monitoring.portfolio import monitor_portfolio
from riskmodels.policy import load_policy
from tests.loans.conftest import decision, new_id
from tests.monitoring.conftest import make_panel

RULE = load_policy().drawdown


def test_a_no_flow_warning_freezes_the_line_and_the_next_draw_is_refused(store: LoanStore, tmp_path: Path) -> None:
    warned, healthy = new_id("acct"), new_id("acct")
    data = tmp_path / "data"
    data.mkdir()
    panel = make_panel({warned: [{}, {}, {"inflow_month": 0.0}], healthy: [{}, {}, {}]})
    panel.to_parquet(data / "behavior_snapshots.parquet", index=False)
    lines = {a: store.open_facility(decision(), account_id=a) for a in (warned, healthy)}
    for line in lines.values():
        assert store.draw(new_id("draw"), 100_000 * 100, RULE, facility_id=line.facility_id)[0].accepted

    result = monitor_portfolio(data, tmp_path / "out", loans=store)

    flagged = result.accounts.set_index("account_id")["unused_limit_frozen"]
    assert bool(flagged[warned]) and not bool(flagged[healthy])
    assert store.facility(facility_id=lines[warned].facility_id).frozen == 80_000
    refused, _ = store.draw(new_id("draw"), 10_000 * 100, RULE, facility_id=lines[warned].facility_id)
    assert (refused.accepted, refused.refusal, refused.available) == (False, "frozen", 0)
    accepted, _ = store.draw(new_id("draw"), 10_000 * 100, RULE, facility_id=lines[healthy].facility_id)
    assert accepted.accepted and accepted.available == 70_000
    assert isinstance(result.alerts, pd.DataFrame) and set(result.alerts.loc[
        result.alerts["account_id"] == warned, "signal"]) == {"no_flow"}
