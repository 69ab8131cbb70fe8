"""Vintage curves, roll rates and the performance-window evidence, from month-end snapshots.

Pure computations on a frame with the contract's ``account_id``, ``snapshot_date``, ``dpd`` and
``months_on_book`` (``behavior_snapshots.parquet``). An account's booking month is its snapshot
month minus its months on book; its cohort is that month or quarter.

Conventions (each figure in the report follows them):

* **Cumulative bad rate** of a cohort at month on book m: accounts that reached ``dpd >= T`` at
  any month-end up to m, over every account of the cohort (a fixed denominator, so the curve
  never falls; an account that stops reporting stays good or bad as last seen). A cohort's
  curve stops at the last month on book that all of its booking months have reached in the data.
* **Roll rates**: the DPD bucket of an account at one month-end against the next month-end, for
  every pair of consecutive snapshots of the same account.
* **Performance window**: bads are 90+ DPD within ``WINDOW_MONTHS`` months on book.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from riskmodels.contract import DPD_BUCKETS

BUCKETS = ("current", *DPD_BUCKETS)  # current, 1-29, 30-59, 60-89, 90+
_BUCKET_FLOORS = np.array([0, 1, 30, 60, 90])
THRESHOLDS = (30, 60, 90)  # ever 30+, 60+, 90+ DPD; 90+ is the platform's bad
BAD_DPD = 90
WINDOW_MONTHS = 12
FOLLOW_UP_MONTHS = 6  # how long an account that reached 30+ or 60+ is followed to see whether it rolls to 90+
# Monthly cohorts only when the typical month books this many loans: at a 5% bad rate the
# standard error of a cohort's rate is then 0.7 points; thinner months are pooled into quarters.
MIN_MONTHLY_COHORT = 1000
TAIL_MONTHS = 3
FLAT_HAZARD_RATIO = 0.5  # the curve counts as flat once bads arrive at under half their peak monthly rate
COLUMNS = ("account_id", "snapshot_date", "dpd", "months_on_book")
CohortFreq = Literal["month", "quarter"]


def read_snapshots(data_dir: Path) -> pd.DataFrame:
    """The four columns of ``behavior_snapshots.parquet`` that the analysis reads."""
    import pyarrow.parquet as pq

    path = Path(data_dir) / "behavior_snapshots.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"data must hold behavior_snapshots.parquet; got {str(data_dir)!r}")
    missing = [c for c in COLUMNS if c not in pq.read_schema(path).names]
    if missing:
        raise ValueError(f"behavior_snapshots.parquet must have the columns {list(COLUMNS)}; missing {missing}")
    return pd.read_parquet(path, columns=list(COLUMNS))


def dpd_bucket(dpd: np.ndarray | pd.Series) -> np.ndarray:
    """Index into ``BUCKETS`` of each days-past-due value."""
    values = np.asarray(dpd, dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        raise ValueError(f"dpd must be a number >= 0; got {values[np.isnan(values) | (values < 0)][:3].tolist()}")
    return np.searchsorted(_BUCKET_FLOORS, values, side="right") - 1


def _panel(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Snapshots with integer months (``month``, ``booked``), sorted by account and month."""
    missing = [c for c in COLUMNS if c not in snapshots.columns]
    if missing:
        raise ValueError(f"snapshots must have the columns {list(COLUMNS)}; missing {missing}")
    if snapshots.empty:
        raise ValueError("snapshots must have at least one row; got none")
    dates = pd.to_datetime(snapshots["snapshot_date"])
    month = (dates.dt.year * 12 + dates.dt.month - 1).to_numpy(dtype=np.int64)
    mob = snapshots["months_on_book"].to_numpy(dtype=np.int64)
    panel = pd.DataFrame({"account_id": snapshots["account_id"].to_numpy(), "month": month, "mob": mob,
                          "booked": month - mob, "dpd": snapshots["dpd"].to_numpy(),
                          "bucket": dpd_bucket(snapshots["dpd"])}).sort_values(["account_id", "month"])
    if panel.duplicated(["account_id", "month"]).any():
        raise ValueError("snapshots must have one row per account and month; got duplicates")
    if (panel.groupby("account_id")["booked"].nunique() > 1).any():
        raise ValueError("months_on_book must grow by one a month for each account; got two booking months")
    return panel.reset_index(drop=True)


def _period(month: np.ndarray | pd.Series, freq: CohortFreq) -> pd.Series:
    """Integer months as cohort labels: ``2024-03`` or ``2024Q1``."""
    values = np.asarray(month, dtype=np.int64)
    year, m = values // 12, values % 12 + 1
    labels = [f"{y}Q{(mm - 1) // 3 + 1}" if freq == "quarter" else f"{y}-{mm:02d}" for y, mm in zip(year, m, strict=True)]
    return pd.Series(labels, dtype="string")


def account_table(snapshots: pd.DataFrame) -> pd.DataFrame:
    """One row per account: booking month (int), last month on book seen, and the first month on
    book at 30+, 60+ and 90+ DPD (NaN if never)."""
    panel = _panel(snapshots)
    grouped = panel.groupby("account_id", sort=True)
    out = pd.DataFrame({"booked": grouped["booked"].first(), "last_mob": grouped["mob"].max()})
    for t in THRESHOLDS:
        out[f"first_{t}"] = panel[panel["dpd"] >= t].groupby("account_id")["mob"].min().reindex(out.index)
    return out


def last_month(snapshots: pd.DataFrame) -> int:
    """The data's last snapshot month, as an integer month (year * 12 + month - 1)."""
    last = pd.to_datetime(snapshots["snapshot_date"]).max()
    return int(last.year * 12 + last.month - 1)


def choose_cohort_freq(accounts: pd.DataFrame, min_monthly: int = MIN_MONTHLY_COHORT) -> CohortFreq:
    """Months when the median booking month holds at least ``min_monthly`` accounts, else quarters."""
    return "month" if float(accounts.groupby("booked").size().median()) >= min_monthly else "quarter"


def _cohort_keys(accounts: pd.DataFrame, freq: CohortFreq) -> np.ndarray:
    booked = accounts["booked"].to_numpy(dtype=np.int64)
    return booked - booked % 3 if freq == "quarter" else booked  # a quarter is keyed by its first month


def cohort_horizons(accounts: pd.DataFrame, freq: CohortFreq, as_of: int) -> pd.Series:
    """Months on book every account of each cohort can show: the data's last month minus the
    cohort's latest booking month, and no more than the longest history seen in the cohort."""
    keys = pd.Series(_cohort_keys(accounts, freq), index=accounts.index)
    grouped = accounts.groupby(keys)
    horizon = (as_of - grouped["booked"].max()).clip(upper=grouped["last_mob"].max())
    return horizon.astype(np.int64)


def vintage_curves(accounts: pd.DataFrame, freq: CohortFreq, as_of: int) -> pd.DataFrame:
    """Cumulative ever-30+/60+/90+ rates by cohort and month on book (long form)."""
    keys = _cohort_keys(accounts, freq)
    horizons = cohort_horizons(accounts, freq, as_of)
    rows = []
    for key, horizon in horizons.items():
        members = accounts[keys == key]
        mob = np.arange(1, int(horizon) + 1)
        for t in THRESHOLDS:
            first = members[f"first_{t}"].to_numpy(dtype=float)
            bads = (first[None, :] <= mob[:, None]).sum(axis=1)  # NaN (never) compares False
            rows.append(pd.DataFrame({"threshold": f"{t}+", "cohort": _period(np.array([key]), freq)[0],
                                      "months_on_book": mob, "accounts": len(members), "cumulative_bads": bads,
                                      "bad_rate": bads / len(members)}))
    if not rows:
        raise ValueError("snapshots must show at least one cohort with one month on book; got none")
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class RollRates:
    """Month-to-month moves between DPD buckets, pooled over the window and by month."""

    counts: pd.DataFrame  # from bucket (rows) x to bucket (columns), accounts moving
    rates: pd.DataFrame  # row shares of ``counts``; NaN where no account started in the bucket
    by_month: pd.DataFrame  # month, from_bucket, accounts, roll_forward_rate, cure_rate


def roll_rates(snapshots: pd.DataFrame) -> RollRates:
    """Transitions between consecutive month-ends of the same account."""
    panel = _panel(snapshots)
    nxt = panel.shift(-1)
    pair = (nxt["account_id"] == panel["account_id"]) & (nxt["month"] == panel["month"] + 1)
    src = panel.loc[pair, "bucket"].to_numpy(dtype=np.int64)
    dst = nxt.loc[pair, "bucket"].to_numpy(dtype=np.int64)
    counts = np.zeros((len(BUCKETS), len(BUCKETS)), dtype=np.int64)
    np.add.at(counts, (src, dst), 1)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / np.maximum(totals, 1), np.nan)
    moves = pd.DataFrame({"month": _period(nxt.loc[pair, "month"].to_numpy(), "month").to_numpy(),
                          "from_bucket": src, "forward": dst > src, "cured": (dst == 0) & (src > 0)})
    by_month = moves.groupby(["month", "from_bucket"], as_index=False).agg(
        accounts=("forward", "size"), roll_forward_rate=("forward", "mean"), cure_rate=("cured", "mean"))
    by_month["from_bucket"] = [BUCKETS[b] for b in by_month["from_bucket"]]
    index = pd.Index(BUCKETS, name="from \\ to")
    return RollRates(pd.DataFrame(counts, index=index, columns=list(BUCKETS)),
                     pd.DataFrame(shares, index=index, columns=list(BUCKETS)), by_month)


@dataclass(frozen=True)
class WindowEvidence:
    """Why 12 months and 90+: when bads arrive, and how often 30+ and 60+ roll on to 90+."""

    horizon: int  # months on book over which "eventual" bads are counted
    accounts: int  # accounts of the cohorts observed that long
    timing: pd.DataFrame  # months_on_book, new_bads, cumulative_bads, share_of_eventual, hazard
    roll_to_bad: pd.DataFrame  # threshold, accounts, rolled_to_90, cured, still_delinquent (+ shares)

    @property
    def tail_share(self) -> float:
        """New bads a month over the window's last ``TAIL_MONTHS`` months, as a share of all its
        bads: roughly what each further month would add if the curve went on as it ends."""
        total = int(self.timing["cumulative_bads"].iloc[-1])
        return float(self.timing["new_bads"].tail(TAIL_MONTHS).mean()) / total if total else float("nan")

    @property
    def hazard_ratio(self) -> float:
        """Mean monthly hazard over the last ``TAIL_MONTHS`` months over its highest
        ``TAIL_MONTHS``-month mean: well below 1 when the curve flattens inside the window."""
        rolling = self.timing["hazard"].rolling(TAIL_MONTHS).mean()
        peak = float(rolling.max())
        return float(rolling.iloc[-1]) / peak if peak > 0 else float("nan")

    @property
    def flattened(self) -> bool:
        return self.hazard_ratio < FLAT_HAZARD_RATIO


def window_evidence(accounts: pd.DataFrame, freq: CohortFreq, as_of: int, snapshots: pd.DataFrame) -> WindowEvidence:
    """Timing of first 90+ over the longest horizon that cohorts holding half the accounts reach,
    and the fate of accounts after their first 30+ and 60+ (``FOLLOW_UP_MONTHS`` later)."""
    horizons = cohort_horizons(accounts, freq, as_of)
    keys = pd.Series(_cohort_keys(accounts, freq), index=accounts.index)
    size = keys.value_counts().reindex(horizons.index)
    by_horizon = size.groupby(horizons).sum().sort_index(ascending=False).cumsum()
    horizon = int(by_horizon.index[by_horizon.to_numpy() >= 0.5 * len(accounts)][0])
    members = accounts[keys.map(horizons).to_numpy() >= horizon]
    first = members["first_90"].to_numpy(dtype=float)
    mob = np.arange(1, horizon + 1)
    new = np.array([(first == m).sum() for m in mob])
    cumulative = np.cumsum(new)
    at_risk = len(members) - np.r_[0, cumulative[:-1]]
    timing = pd.DataFrame({"months_on_book": mob, "new_bads": new, "cumulative_bads": cumulative,
                           "share_of_eventual": cumulative / max(int(cumulative[-1]), 1),
                           "hazard": new / np.maximum(at_risk, 1)})

    panel = _panel(snapshots).set_index(["account_id", "mob"])["dpd"]
    rows = []
    for t in THRESHOLDS[:-1]:
        reached = accounts.dropna(subset=[f"first_{t}"])
        end = reached[f"first_{t}"] + FOLLOW_UP_MONTHS
        rolled = reached["first_90"] <= end  # NaN (never 90+) compares False
        eligible = rolled | (reached["last_mob"] >= end)
        at_end = pd.Series(panel.reindex(list(zip(reached.index, end.astype(np.int64), strict=True))).to_numpy(),
                           index=reached.index)
        cured = eligible & ~rolled & (at_end == 0)
        n = int(eligible.sum())
        rows.append({"threshold": f"{t}+", "accounts": n, "rolled_to_90": int(rolled.sum()),
                     "cured": int(cured.sum()), "still_delinquent": n - int(rolled.sum()) - int(cured.sum()),
                     "roll_to_90_rate": rolled.sum() / max(n, 1), "cure_rate": cured.sum() / max(n, 1)})
    return WindowEvidence(horizon, len(members), timing, pd.DataFrame(rows))


@dataclass(frozen=True)
class VintageAnalysis:
    """Every figure of the vintage report."""

    cohort_freq: CohortFreq
    as_of: str  # the data's last snapshot month, YYYY-MM
    n_accounts: int
    n_snapshots: int
    curves: pd.DataFrame
    rolls: RollRates
    evidence: WindowEvidence


def analyse_vintages(snapshots: pd.DataFrame, cohort: str = "auto") -> VintageAnalysis:
    """Vintage curves, roll rates and window evidence of one book; ``cohort`` is "month",
    "quarter" or "auto" (``choose_cohort_freq``)."""
    if cohort not in ("auto", "month", "quarter"):
        raise ValueError(f"cohort must be 'auto', 'month' or 'quarter'; got {cohort!r}")
    accounts = account_table(snapshots)
    freq: CohortFreq = choose_cohort_freq(accounts) if cohort == "auto" else (
        "month" if cohort == "month" else "quarter")
    as_of = last_month(snapshots)
    return VintageAnalysis(freq, str(_period(np.array([as_of]), "month")[0]), len(accounts), len(snapshots),
                           vintage_curves(accounts, freq, as_of), roll_rates(snapshots),
                           window_evidence(accounts, freq, as_of, snapshots))
