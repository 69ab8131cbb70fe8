"""The daily post-loan batch over the whole portfolio: early warnings, B score and migration.

``run_portfolio_monitor`` takes the ``behavior_snapshots`` panel (month-end rows per account),
monitors the month of ``as_of`` (the last month end on or before it; default the latest
month in the data) and returns a ``MonitorResult``: one alert row per account and signal, the
counts by signal and severity, one row per account (B score, its change against last month,
class, action, new limit) and the class-migration matrix. Everything is vectorised: a million
accounts is a few numpy passes, no Python loop over accounts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol, cast

import numpy as np
import pandas as pd

from riskmodels.features.behavior import CATEGORICAL_COLUMNS, NUMERIC_COLUMNS, build_behavior_features
from riskmodels.links import Lists
from riskmodels.loans import LoanStore, freeze_flagged
from riskmodels.loans.exits import ExitSummary, arrears_exits, blacklist_exits, list_exits, read_owners, usury_exits
from riskmodels.policy import early_warning as ew
from riskmodels.policy.account_actions import behavior_actions
from riskmodels.policy.post_loan import PostLoanPolicy, load_post_loan_policy

KEY_COLUMNS = ("account_id", "snapshot_date")
RULE_COLUMNS = ("industry", "months_to_maturity", "limit_amount", "balance", "instalment_due", "balance_before_due",
                "inflow_month", "inflow_baseline", "new_large_loan_other_bank", "new_lenders_since_booking")
log = logging.getLogger(__name__)
ALERT_COLUMNS = ("account_id", "snapshot_date", "signal", "severity", "action", "evidence")


class FrameScorer(Protocol):
    """A B scorecard: ``CompiledScorecard`` or anything scoring a feature frame in points."""

    def score_frame(self, frame: pd.DataFrame) -> np.ndarray: ...


@dataclass(frozen=True)
class AccountPanel:
    """The monitored month's snapshot per account, last month's (aligned) and the inflow history."""

    month: pd.Period
    current: pd.DataFrame  # one row per active account
    previous: pd.DataFrame  # same order as ``current``; valid only where ``has_previous``
    has_previous: np.ndarray
    inflow: np.ndarray  # (accounts, months): column 0 the monitored month, j = j months earlier


@dataclass(frozen=True)
class MonitorResult:
    as_of: date  # month end of the monitored month
    alerts: pd.DataFrame  # ALERT_COLUMNS
    summary: pd.DataFrame  # signal, severity, alerts, accounts_share
    accounts: pd.DataFrame  # one row per monitored account
    migration: pd.DataFrame | None  # last month's class (rows) x this month's (columns); None without a B card

    @property
    def n_accounts(self) -> int:
        return len(self.accounts)

    @property
    def n_accounts_alerted(self) -> int:
        return int((self.accounts["n_signals"] > 0).sum())


def _month_number(dates: pd.Series) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise ValueError(f"snapshot_date must be datetime64; got dtype {dates.dtype}")
    return cast(np.ndarray, dates.dt.year.to_numpy() * 12 + dates.dt.month.to_numpy() - 1)  # numpy: Any


def monitored_month(dates: pd.Series, as_of: date | None) -> pd.Period:
    """The month to monitor: the one holding the last month end on or before ``as_of``."""
    months = _month_number(dates)
    if len(months) == 0:
        raise ValueError("behavior_snapshots must have at least one row; got none")
    if as_of is None:
        target = int(months.max())
    else:
        day = pd.Timestamp(as_of)
        target = day.year * 12 + day.month - 1 - (0 if day.is_month_end else 1)
        if not (months == target).any():
            raise ValueError(f"behavior_snapshots must have rows for month {target // 12}-{target % 12 + 1:02d} "
                             f"(the last month end on or before as_of={as_of}); latest month in the data is "
                             f"{months.max() // 12}-{months.max() % 12 + 1:02d}")
    return pd.Period(year=target // 12, month=target % 12 + 1, freq="M")


def build_panel(snapshots: pd.DataFrame, month: pd.Period, months: int) -> AccountPanel:
    """Align the last ``months`` months of every account active in ``month`` into arrays."""
    missing = [c for c in (*KEY_COLUMNS, *RULE_COLUMNS) if c not in snapshots.columns]
    if missing:
        raise ValueError(f"behavior_snapshots must have columns {missing}; got {list(snapshots.columns)}")
    offset = (month.year * 12 + month.month - 1) - _month_number(snapshots["snapshot_date"])
    window = snapshots[(offset >= 0) & (offset < months)]
    offset = offset[(offset >= 0) & (offset < months)]
    current = window[offset == 0].reset_index(drop=True)
    if current["account_id"].duplicated().any():
        dup = current.loc[current["account_id"].duplicated(), "account_id"].iloc[0]
        raise ValueError(f"behavior_snapshots must have one row per account and month; got several for {dup!r}")
    account = pd.Index(current["account_id"]).get_indexer(window["account_id"])
    active = account >= 0  # accounts closed before the monitored month are not monitored
    inflow = np.full((len(current), months), np.nan)
    inflow[account[active], offset[active]] = window["inflow_month"].to_numpy(dtype=float)[active]
    last = active & (offset == 1)
    position = np.full(len(current), -1)
    position[account[last]] = np.flatnonzero(last)
    has_previous = position >= 0
    # Rows without a previous month hold a placeholder; read them through ``has_previous``.
    previous = window.iloc[np.where(has_previous, position, 0)].reset_index(drop=True)
    return AccountPanel(month, current, previous, has_previous, inflow)


def _text(values: np.ndarray | pd.Series, decimals: int = 0) -> pd.Series:
    rounded = pd.Series(np.round(np.asarray(values, dtype=float), decimals))
    return rounded.astype("int64").astype(str) if decimals == 0 else rounded.astype(str)


def _evidence(signal: str, panel: AccountPanel, rows: np.ndarray, policy: PostLoanPolicy,
              scores: dict[str, np.ndarray]) -> pd.Series:
    cur = panel.current.iloc[rows]
    cfg = policy.early_warning
    if signal == "flow_drop":
        shares = panel.inflow[rows, :cfg.flow_drop.months] / cur["inflow_baseline"].to_numpy(dtype=float)[:, None]
        listed = pd.Series("", index=range(len(rows)))
        for j in range(shares.shape[1]):
            listed += ("" if j == 0 else "/") + _text(shares[:, j] * 100) + "%"
        return ("inflow vs pre-loan monthly mean, latest month first: " + listed
                + f" (warning when below {1 - cfg.flow_drop.min_drop:.0%} for {cfg.flow_drop.months} months)")
    if signal == "co_debt":
        return ("new large loan at another lender this month; new lenders since booking: "
                + _text(cur["new_lenders_since_booking"]))
    if signal == "instalment_shortfall":
        return ("deposit 3 days before due " + _text(cur["balance_before_due"]) + " CNY < instalment "
                + _text(cur["instalment_due"]) + " CNY")
    if signal == "no_flow":
        return pd.Series(f"no account inflow in the last {cfg.no_flow.months} month(s) to {panel.month}",
                         index=range(len(rows)))
    return ("B score " + _text(scores["b_score_prev"][rows], 1) + " -> " + _text(scores["b_score"][rows], 1)
            + " (class " + pd.Series(scores["risk_class_prev"][rows]).astype(str) + " -> "
            + pd.Series(scores["risk_class"][rows]).astype(str) + ")")


def _scores(panel: AccountPanel, b_card: FrameScorer, policy: PostLoanPolicy) -> dict[str, np.ndarray]:
    bands = policy.bands
    score = np.asarray(b_card.score_frame(build_behavior_features(panel.current)), dtype=float)
    prev = np.full(len(score), np.nan)
    if panel.has_previous.any():
        earlier = panel.previous[panel.has_previous]
        prev[panel.has_previous] = b_card.score_frame(build_behavior_features(earlier))
    risk_class = bands.assign(score)
    # numpy's stubs leave None out of the scalars np.where takes; get_indexer takes any array-like
    # (pandas annotates it Axes), pandas-stubs only an Index.
    prev_class = np.where(panel.has_previous, bands.assign(prev), None)  # type: ignore[call-overload]
    rank = pd.Index(bands.names).get_indexer(risk_class).astype(float)  # type: ignore[arg-type]
    prev_rank = np.where(panel.has_previous, pd.Index(bands.names).get_indexer(prev_class), np.nan)
    return {"b_score": score, "b_score_prev": prev, "risk_class": risk_class, "risk_class_prev": prev_class,
            "rank": rank, "rank_prev": prev_rank}


def fire_rules(panel: AccountPanel, cfg: ew.EarlyWarningConfig) -> dict[str, np.ndarray]:
    """The seeds' four rules on the panel: signal -> accounts (rows of ``panel.current``) it fires on."""
    def column(name: str) -> np.ndarray:
        return panel.current[name].to_numpy(dtype=float)

    return {
        "flow_drop": ew.flow_drop(panel.inflow, column("inflow_baseline"), cfg.flow_drop.min_drop,
                                  cfg.flow_drop.months),
        "co_debt": ew.co_debt(column("new_large_loan_other_bank")),
        "instalment_shortfall": ew.instalment_shortfall(column("balance_before_due"), column("instalment_due")),
        "no_flow": ew.no_flow(panel.inflow, cfg.no_flow.months),
    }


def _alert_table(fired: dict[str, np.ndarray], panel: AccountPanel, policy: PostLoanPolicy,
                 scores: dict[str, np.ndarray]) -> pd.DataFrame:
    cur, parts = panel.current, []
    for signal, hits in fired.items():
        rule, rows = policy.early_warning.rule(signal), np.flatnonzero(hits)
        parts.append(pd.DataFrame({
            "account_id": cur["account_id"].to_numpy()[rows], "snapshot_date": cur["snapshot_date"].to_numpy()[rows],
            "signal": signal, "severity": rule.severity, "action": rule.action,
            "evidence": _evidence(signal, panel, rows, policy, scores).to_numpy(dtype=object)}))
    alerts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(ALERT_COLUMNS))
    severity_rank = alerts["severity"].map({s: i for i, s in enumerate(ew.SEVERITIES)}).to_numpy()
    # Most severe first, then by account: the order a credit officer works through them.
    return alerts.iloc[np.lexsort((alerts["account_id"].to_numpy(dtype=str), severity_rank))].reset_index(drop=True)


def run_portfolio_monitor(snapshots: pd.DataFrame, as_of: date | None = None, b_card: FrameScorer | None = None,
                          *, policy: PostLoanPolicy | None = None) -> MonitorResult:
    """Early warnings (and, given a B card, scores, actions and migration) for one month."""
    policy = policy or load_post_loan_policy()
    cfg = policy.early_warning
    month = monitored_month(snapshots["snapshot_date"], as_of)
    panel = build_panel(snapshots, month, cfg.window_months)
    cur = panel.current
    fired = fire_rules(panel, cfg)
    accounts = cur[["account_id", "snapshot_date", "industry", "limit_amount", "balance"]].copy()
    accounts["unused_limit_frozen"] = False
    scores: dict[str, np.ndarray] = {}
    migration = None
    if b_card is not None:
        scores = _scores(panel, b_card, policy)
        fired["class_downgrade"] = ew.class_downgrade(scores["rank_prev"], scores["rank"],
                                                      cfg.class_downgrade.min_classes)
        actions = behavior_actions(cur, scores["b_score"], policy)
        accounts = accounts.assign(b_score=scores["b_score"], b_score_prev=scores["b_score_prev"],
                                   b_score_change=scores["b_score"] - scores["b_score_prev"],
                                   risk_class=scores["risk_class"], risk_class_prev=scores["risk_class_prev"],
                                   action=actions["action"], new_limit=actions["new_limit"],
                                   unused_limit_frozen=actions["unused_limit_frozen"].to_numpy())
        migration = class_migration(scores["risk_class_prev"], scores["risk_class"], policy.bands.names)
    fired = {signal: hits for signal, hits in fired.items() if cfg.rule(signal).enabled}
    if "no_flow" in fired and cfg.no_flow.freeze_unused_limit:
        accounts["unused_limit_frozen"] = accounts["unused_limit_frozen"].to_numpy(dtype=bool) | fired["no_flow"]

    worst = np.full(len(cur), len(ew.SEVERITIES))  # index past the last severity: no signal
    for signal, hits in fired.items():
        worst[hits] = np.minimum(worst[hits], ew.SEVERITIES.index(cfg.rule(signal).severity))
    accounts["n_signals"] = np.sum(list(fired.values()), axis=0, dtype=np.int64) if fired else 0
    accounts["worst_severity"] = np.array([*ew.SEVERITIES, None], dtype=object)[worst]
    alerts = _alert_table(fired, panel, policy, scores)
    return MonitorResult(month.end_time.date(), alerts, summarise(alerts, len(cur)), accounts, migration)


def summarise(alerts: pd.DataFrame, n_accounts: int) -> pd.DataFrame:
    """Alerts by signal and severity, with the share of monitored accounts they touch."""
    counts = alerts.groupby(["signal", "severity"], observed=True).size().rename("alerts").reset_index()
    counts["accounts_share"] = counts["alerts"] / max(n_accounts, 1)
    return counts.sort_values("alerts", ascending=False, ignore_index=True)


def class_migration(before: np.ndarray, now: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Counts of accounts by last month's class (rows; 'new' without one) and this month's."""
    rows = pd.Categorical(np.where(pd.isna(before), "new", before), categories=[*names, "new"])
    cols = pd.Categorical(now, categories=names)
    table = pd.crosstab(rows, cols, dropna=False)
    return table.rename_axis(index="class last month", columns="class now")


# -- files ----------------------------------------------------------------------------------
def read_snapshots(data_dir: Path, as_of: date | None, months: int) -> pd.DataFrame:
    """The months of ``behavior_snapshots.parquet`` the batch needs, and only the columns it reads."""
    import pyarrow.parquet as pq

    path = Path(data_dir) / "behavior_snapshots.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"data must hold behavior_snapshots.parquet; not found in {str(data_dir)!r}")
    present = set(pq.read_schema(path).names)
    wanted = dict.fromkeys((*KEY_COLUMNS, *RULE_COLUMNS, *NUMERIC_COLUMNS, *CATEGORICAL_COLUMNS))
    month = monitored_month(pd.read_parquet(path, columns=["snapshot_date"])["snapshot_date"], as_of)
    window = [("snapshot_date", ">=", (month - (months - 1)).start_time), ("snapshot_date", "<=", month.end_time)]
    return pd.read_parquet(path, columns=[c for c in wanted if c in present], filters=window)


def write_monitor_outputs(result: MonitorResult, out_dir: Path) -> dict[str, Path]:
    """alerts (Parquet + CSV), summary and migration (CSV), accounts (Parquet), the HTML report."""
    from riskmodels.monitoring.portfolio.report import write_portfolio_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("alerts.parquet", "alerts.csv", "summary.csv", "accounts.parquet")}
    result.alerts.to_parquet(paths["alerts.parquet"], index=False)
    result.alerts.to_csv(paths["alerts.csv"], index=False, encoding="utf-8")
    result.summary.to_csv(paths["summary.csv"], index=False, encoding="utf-8")
    result.accounts.to_parquet(paths["accounts.parquet"], index=False)
    if result.migration is not None:
        paths["migration.csv"] = out / "migration.csv"
        result.migration.to_csv(paths["migration.csv"], encoding="utf-8")
    paths["portfolio_report.html"] = write_portfolio_report(result, out / "portfolio_report.html")
    return paths


def monitor_portfolio(data_dir: Path, out_dir: Path, as_of: date | None = None, b_card: FrameScorer | None = None,
                      *, policy: PostLoanPolicy | None = None, loans: LoanStore | None = None,
                      lists: Lists | None = None, usury_accounts: Sequence[str] = ()) -> MonitorResult:
    """Read ``DATA_DIR/behavior_snapshots.parquet``, run the batch, write its outputs to ``out_dir``.

    Given the lists, apply collection's exit rules (``riskmodels.loans.exits``: two interest
    arrears, an owner on the central bank's or the courts' list, the ``usury_accounts`` an
    account manager found): each exited account's owner goes on the bank's own list, and the
    accounts table says which rules each met (``exit_rules``). Given the loan store, freeze
    there the unused limit of every account flagged or exited (the drawdown check reads it)."""
    policy = policy or load_post_loan_policy()
    snapshots = read_snapshots(data_dir, as_of, policy.early_warning.window_months)
    result = run_portfolio_monitor(snapshots, as_of, b_card, policy=policy)
    exited: list[str] = []
    if lists is not None:
        exits = apply_exit_rules(data_dir, snapshots, result, lists, usury_accounts)
        exited = sorted(set(exits.exits["account_id"]))
    if loans is not None:
        frozen = freeze_flagged(loans, result.accounts, result.as_of)
        log.info("loan store: unused limit frozen on %d facilities (%d had nothing left to freeze; %d flagged "
                 "accounts have no facility there)", frozen.frozen, frozen.already_frozen, frozen.without_facility)
        if exited:
            closed = loans.freeze_unused(exited, source=f"exit rules, early-warning batch {result.as_of.isoformat()}")
            log.info("loan store: unused limit frozen on %d facilities of exited accounts", closed.frozen)
    write_monitor_outputs(result, out_dir)
    return result


def apply_exit_rules(data_dir: Path, snapshots: pd.DataFrame, result: MonitorResult, lists: Lists,
                     usury_accounts: Sequence[str] = ()) -> ExitSummary:
    """The exit rules on the monitored month; the owners of the accounts exited listed, and
    ``result.accounts['exit_rules']`` filled (the rules each account met, comma-separated)."""
    month = pd.Period(result.as_of, freq="M")
    owners = read_owners(data_dir, result.accounts["account_id"].astype(str))
    exits = pd.concat([arrears_exits(snapshots, month), blacklist_exits(owners, lists, datetime.now(UTC)),
                       usury_exits(usury_accounts)], ignore_index=True)
    summary = list_exits(lists, exits, owners, result.as_of)
    rules = exits.groupby("account_id")["rule"].agg(lambda r: ",".join(sorted(set(r))))
    result.accounts["exit_rules"] = result.accounts["account_id"].astype(str).map(rules).fillna("").to_numpy()
    log.info("exit rules: %d accounts exited; %d owners on the bank's list (%d entries added, %d without "
             "identifiers in the book)", len(rules), summary.accounts_listed, summary.entries_added,
             summary.without_owner)
    return summary
