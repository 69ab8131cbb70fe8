"""The strategy lab: replay the full decision over a book before a policy or model goes live.

``replay`` decides every application of a book with one bundle (policy + A card + fraud model),
in chunks with progress, and lines the answers up with what is known of each application: the
observed outcome where the loan was booked and, on a simulated book, the simulator's truth (the
true PD of every applicant, booked or not). The figures built on it are pure functions of
replays:

- ``funnel``: outcomes overall, by risk class, by recommended product, by the rule that decided;
- ``cutoff_grid``: for each A-score cut-off, who would pass it (knock-outs and fraud rejects
  stay out), their bad rate (observed on booked loans; truth where it exists, labelled so),
  expected loss, interest income and a simple risk-adjusted margin;
- ``review_load``: manual reviews per 1,000 applications;
- ``swap_set``: accepted (approved or offered) by the candidate against a baseline.

Money is one year of the exposure ``min(requested amount, the most any product lends)``, at the
rate the policy quotes the applicant's class and PD; expected loss is PD x LGD x exposure with
the model's PD, and with the true PD where the truth is known.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels.contract import PRODUCTS
from riskmodels.decision import ModelBundle, decide_frame
from riskmodels.policy import Policy, quote_rate

OUTCOMES = ("approve", "offer", "review", "reject")
ACCEPTED = ("approve", "offer")  # an automatic yes: the loan system books it without a person
CHUNK_ROWS = 2_000


@dataclass(frozen=True)
class Book:
    """The applications of a book, with their outcomes and truth when known."""

    applications: pd.DataFrame
    outcomes: pd.DataFrame | None = None  # application_id, booked, bad_12m (observed on booked loans)
    truth: pd.DataFrame | None = None  # application_id, true_pd (the simulator's, for every applicant)


def read_book(data_dir: Path) -> Book:
    """``applications.parquet`` and, when present, ``outcomes.parquet`` and ``truth.parquet``."""
    path = Path(data_dir) / "applications.parquet"
    if not path.exists():
        raise FileNotFoundError(f"data must hold applications.parquet; not found in {str(data_dir)!r}")

    def optional(name: str, columns: list[str]) -> pd.DataFrame | None:
        file = Path(data_dir) / f"{name}.parquet"
        return pd.read_parquet(file, columns=columns) if file.exists() else None

    return Book(pd.read_parquet(path), optional("outcomes", ["application_id", "booked", "bad_12m"]),
                optional("truth", ["application_id", "true_pd"]))


@dataclass(frozen=True)
class Replay:
    """One bundle's answers over a book, one row per application in the book's order, with
    ``observed_bad`` (NaN unless booked with an outcome), ``true_pd`` (NaN without truth),
    ``exposure``, ``quoted_rate`` (percent a year) and ``el_model`` / ``el_truth`` (CNY)."""

    label: str
    rows: pd.DataFrame
    policy: Policy

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def has_truth(self) -> bool:
        return bool(self.rows["true_pd"].notna().any())


def replay(book: Book, bundle: ModelBundle, label: str,
           progress: Callable[[int], None] | None = None) -> Replay:
    """Decide every application of ``book`` with ``bundle`` (``progress`` gets rows done)."""
    apps = book.applications.reset_index(drop=True)
    if apps.empty:
        raise ValueError("the book must hold at least one application; got none")
    parts = []
    for start in range(0, len(apps), CHUNK_ROWS):
        parts.append(decide_frame(apps.iloc[start:start + CHUNK_ROWS], bundle))
        if progress is not None:
            progress(min(start + CHUNK_ROWS, len(apps)))
    rows = pd.concat(parts).reset_index(drop=True)
    ids = apps["application_id"]
    rows["observed_bad"] = _aligned(book.outcomes, ids, "bad_12m", where="booked")
    rows["true_pd"] = _aligned(book.truth, ids, "true_pd")
    limits = rows[[f"limit_{p}" for p in PRODUCTS]].to_numpy(dtype=float)
    rows["exposure"] = np.minimum(rows["requested_amount"].to_numpy(dtype=float), np.nanmax(limits, axis=1))
    policy = bundle.policy
    rows["quoted_rate"] = [quote_rate(policy.risk_class(score), pd_, policy).rate_pct
                           for score, pd_ in zip(rows["score"], rows["pd"], strict=True)]
    lgd = policy.pricing.lgd
    rows["el_model"] = rows["pd"] * lgd * rows["exposure"]
    rows["el_truth"] = rows["true_pd"] * lgd * rows["exposure"]
    return Replay(label, rows, policy)


def _aligned(table: pd.DataFrame | None, ids: pd.Series, column: str, where: str | None = None) -> np.ndarray:
    if table is None:
        return np.full(len(ids), np.nan)
    keep = table if where is None else table[table[where].astype(bool)]
    values = keep.drop_duplicates("application_id").set_index("application_id")[column]
    return values.reindex(ids.to_numpy()).to_numpy(dtype=float)


# -- the figures ---------------------------------------------------------------------------
def _outcome_shares(groups: pd.Series, outcomes: pd.Series) -> pd.DataFrame:
    table = pd.crosstab(groups, outcomes).reindex(columns=list(OUTCOMES), fill_value=0)
    shares = table.div(table.sum(axis=1), axis=0).add_suffix("_share")
    return pd.concat([table.sum(axis=1).rename("applications"), table, shares], axis=1).reset_index()


@dataclass(frozen=True)
class Funnel:
    overall: pd.DataFrame  # outcome, applications, share, booked, observed and truth bad rates
    by_class: pd.DataFrame  # risk_class, applications, one count and one share per outcome
    by_product: pd.DataFrame  # recommended_product ("none" when no product lends), the same
    by_rule: pd.DataFrame  # outcome, deciding_rule, applications, share of the book


def funnel(run: Replay) -> Funnel:
    rows = run.rows
    counts = rows["decision"].value_counts().reindex(list(OUTCOMES), fill_value=0)
    overall = pd.DataFrame([{"outcome": outcome, "applications": int(counts[outcome]),
                             "share": counts[outcome] / run.n, **_bad_rates(rows[rows["decision"] == outcome])}
                            for outcome in OUTCOMES])
    by_class = _outcome_shares(rows["risk_class"].rename("risk_class"), rows["decision"])
    product = rows["recommended_product"].fillna("none").rename("recommended_product")
    by_rule = (rows.assign(deciding_rule=rows["deciding_rule"].fillna("(none)"))
               .groupby(["decision", "deciding_rule"]).size().rename("applications").reset_index()
               .rename(columns={"decision": "outcome"}))
    by_rule["share"] = by_rule["applications"] / run.n
    by_rule = by_rule.sort_values(["outcome", "applications"], ascending=[True, False],
                                  key=lambda s: s.map(OUTCOMES.index) if s.name == "outcome" else s)
    return Funnel(overall, by_class, _outcome_shares(product, rows["decision"]), by_rule.reset_index(drop=True))


def review_load(run: Replay) -> float:
    """Applications a person must look at, per 1,000."""
    return float((run.rows["decision"] == "review").mean() * 1_000)


def _money(rows: pd.DataFrame, policy: Policy) -> dict[str, float]:
    exposure = rows["exposure"].sum()
    income = (rows["quoted_rate"] / 100 * rows["exposure"]).sum()
    cost = (policy.pricing.funding_cost_pct + policy.pricing.operating_cost_pct) / 100 * exposure
    el_model = rows["el_model"].sum()
    el_truth = rows["el_truth"].sum() if rows["true_pd"].notna().all() else float("nan")
    return {"exposure": float(exposure), "interest_income": float(income), "expected_loss_model": float(el_model),
            "expected_loss_truth": float(el_truth), "funding_and_operating_cost": float(cost),
            "margin_model": float(income - cost - el_model), "margin_truth": float(income - cost - el_truth)}


def _bad_rates(rows: pd.DataFrame) -> dict[str, float]:
    booked = rows["observed_bad"].notna()
    return {"booked": int(booked.sum()),
            "observed_bad_rate": float(rows.loc[booked, "observed_bad"].mean()) if booked.any() else float("nan"),
            "truth_bad_rate": float(rows["true_pd"].mean()) if rows["true_pd"].notna().all() and len(rows)
            else float("nan")}


def cutoff_grid(run: Replay, cutoffs: Sequence[float] = tuple(range(40, 95, 5))) -> pd.DataFrame:
    """For each A-score cut-off: applications at or above it that no knock-out or fraud reject
    stops, and what lending to all of them would give."""
    rows = run.rows
    stopped = rows["rules"].map(lambda ids: any(i.startswith("KO_") for i in ids)).to_numpy()  # KO_FRAUD too
    records = []
    for cut in cutoffs:
        passed = rows[(rows["score"].to_numpy() >= cut) & ~stopped]
        records.append({"cutoff": float(cut), "approved": len(passed), "approval_rate": len(passed) / run.n,
                        **_bad_rates(passed), **_money(passed, run.policy)})
    return pd.DataFrame(records)


def swap_set(candidate: Replay, baseline: Replay) -> pd.DataFrame:
    """Accepted (approved or offered) by each: swap-ins (the candidate only), swap-outs (the
    baseline only), both and neither, with counts and bad rates."""
    if candidate.n != baseline.n:
        raise ValueError(f"both replays must cover the same book; got {candidate.n} and {baseline.n} rows")
    new = candidate.rows["decision"].isin(ACCEPTED).to_numpy()
    old = baseline.rows["decision"].isin(ACCEPTED).to_numpy()
    cells = {"swap_in": new & ~old, "swap_out": ~new & old, "both": new & old, "neither": ~new & ~old}
    return pd.DataFrame([{"group": name, "applications": int(mask.sum()), "share": float(mask.mean()),
                          **_bad_rates(candidate.rows[mask])} for name, mask in cells.items()])
