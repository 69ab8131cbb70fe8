"""The headline figures of a generated portfolio (the ones ``data/README.md`` reports)."""

from __future__ import annotations

from sklearn.metrics import roc_auc_score

from riskmodels.contract import APPLICATIONS, OPTIONAL_SOURCES
from riskmodels.synth.portfolio import Portfolio


def portfolio_summary(portfolio: Portfolio) -> dict[str, object]:
    """Rates, oracle AUCs (truth vs label), segment default rates, source coverage, row counts."""
    a, o, t = portfolio.applications, portfolio.outcomes, portfolio.truth
    booked = o["booked"].to_numpy(dtype=bool)
    bad = o.loc[booked, "bad_12m"].astype(int)
    snapshots, cases = portfolio.behavior_snapshots, portfolio.collection_cases
    labelled = snapshots["bad_6m_forward"].notna()

    def rate_by(column: str) -> dict[str, float]:
        rates = bad.groupby(a.loc[booked, column]).mean().sort_values(ascending=False)
        return {str(k): round(float(v), 4) for k, v in rates.items()}

    missing = {source: round(float(a[[c.name for c in APPLICATIONS.by_source(source)]].isna().all(axis=1).mean()), 3)
               for source in OPTIONAL_SOURCES}
    return {
        "rows": {name: len(df) for name, df in portfolio.tables().items()},
        "booked_share": round(float(booked.mean()), 4),
        "default_rate_12m": round(float(bad.mean()), 4),
        "fpd_rate": round(float(o.loc[booked, "fpd"].astype(float).mean()), 4),
        "fraud_rate": round(float(o["is_fraud"].mean()), 4),
        "default_rate_booked_fraud": round(float(bad[o.loc[booked, "is_fraud"] == 1].mean()), 4),
        "oracle_auc_bad_12m": round(float(roc_auc_score(bad, t.loc[booked, "true_pd"])), 4),
        "oracle_auc_fraud": round(float(roc_auc_score(o["is_fraud"], t["true_fraud_prob"])), 4),
        "oracle_auc_bad_6m_forward": round(float(roc_auc_score(
            snapshots.loc[labelled, "bad_6m_forward"].astype(int),
            portfolio.behavior_truth.loc[labelled, "true_bad_6m_prob"])), 4),
        "bad_6m_forward_rate": round(float(snapshots.loc[labelled, "bad_6m_forward"].astype(float).mean()), 4),
        "oracle_auc_cured_30d": round(float(roc_auc_score(
            cases["cured_30d"], portfolio.collection_truth["true_cure_prob"])), 4),
        "cure_rate_30d": round(float(cases["cured_30d"].mean()), 4),
        "default_rate_by_industry": rate_by("industry"),
        "default_rate_by_entity_type": rate_by("entity_type"),
        "missing_source_share": missing,
    }

