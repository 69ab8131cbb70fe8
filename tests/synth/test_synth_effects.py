"""Effects the simulated world must contain: co-debt risk, informative missing POS, fraud rings,
bust-outs, early-warning events, and collection cases a model can rank better than a rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from riskmodels.contract import APPLICATIONS
from riskmodels.synth import Portfolio, generate_portfolio


def test_more_lenders_means_higher_true_pd_at_equal_health(portfolio: Portfolio) -> None:
    a, t = portfolio.applications, portfolio.truth
    honest = portfolio.outcomes["is_fraud"] == 0
    x = np.column_stack([np.ones(honest.sum()), t.loc[honest, ["health", "integrity"]].to_numpy(),
                         a.loc[honest, "pb_lenders"].clip(upper=10).to_numpy(dtype=float)])
    p = t.loc[honest, "true_pd"].clip(1e-6, 1 - 1e-6).to_numpy()
    coef, *_ = np.linalg.lstsq(x, np.log(p / (1 - p)), rcond=None)
    assert coef[1] < 0 and coef[2] < 0  # health and integrity lower the risk
    assert coef[3] > 0.05  # each extra lender raises the log-odds, health and integrity held equal
    # The same seen stratum by stratum: within each health quintile, heavy co-debtors are riskier.
    quintile = pd.qcut(t.loc[honest, "health"], 5, labels=False)
    heavy = a.loc[honest, "pb_lenders"] >= 3
    by_stratum = t.loc[honest, "true_pd"].groupby([quintile, heavy]).mean().unstack()
    assert (by_stratum[True] > by_stratum[False]).all()


def test_missing_pos_is_valid_and_informative(portfolio: Portfolio) -> None:
    a = portfolio.applications
    pos_columns = [c.name for c in APPLICATIONS.by_source("pos")]
    no_pos = a["pos_volume_m01"].isna()
    assert a.loc[no_pos, pos_columns].isna().all().all()
    catering = a["industry"] == "catering"
    assert (catering & no_pos).sum() > 20  # a few restaurants have no terminal
    assert (a.loc[a["industry"] == "technology", "pos_volume_m01"].isna().mean()) > 0.8
    true_pd = portfolio.truth["true_pd"]
    assert true_pd[catering & no_pos].mean() > true_pd[catering & ~no_pos].mean()


def test_fraud_ring_members_share_phones_and_devices(portfolio: Portfolio) -> None:
    a, t = portfolio.applications, portfolio.truth
    ring = t["fraud_ring_id"]
    members = ring.notna()
    sizes = ring[members].value_counts()
    assert len(sizes) >= 5 and sizes.between(3, 30).all()
    phones = a.loc[members].groupby(ring[members])["owner_phone"].nunique()
    assert (phones < sizes[phones.index]).mean() > 0.9  # fewer phones than members
    assert (a.loc[members, "device_shared_count"] >= 1).mean() > 0.8
    assert a.loc[members, "phone_tenure_months"].median() < a.loc[~members, "phone_tenure_months"].median() / 5
    # Each ring applies in a burst: all within about a week.
    span = a.loc[members].groupby(ring[members])["application_date"].agg(lambda d: (d.max() - d.min()).days)
    assert span.max() <= 10
    # Counts of sharing at least cover the duplicates visible in the table itself.
    duplicates = a.groupby("owner_phone")["owner_phone"].transform("size") - 1
    assert (a["phone_shared_count"] >= duplicates).all()


def test_bust_outs_declare_far_more_than_tax_and_flow_show(portfolio: Portfolio) -> None:
    a, o, t = portfolio.applications, portfolio.outcomes, portfolio.truth
    solo_fraud = (o["is_fraud"] == 1) & t["fraud_ring_id"].isna() & a["declared_sales_y1"].notna()
    honest = (o["is_fraud"] == 0) & a["declared_sales_y1"].notna()
    ratio = a["declared_annual_revenue"] / a["declared_sales_y1"].clip(lower=1)
    assert ratio[solo_fraud].median() > 2 * ratio[honest].median()


def test_blacklist_hits_are_rare_and_concentrated_in_fraud(portfolio: Portfolio) -> None:
    hit, fraud = portfolio.applications["blacklist_hit"], portfolio.outcomes["is_fraud"]
    assert hit.mean() < 0.01
    assert fraud[hit].mean() > 10 * fraud.mean()


def test_each_early_warning_rule_is_tripped(portfolio: Portfolio) -> None:
    s = portfolio.behavior_snapshots.sort_values(["account_id", "snapshot_date"])
    down = (s["inflow_month"] < 0.5 * s["inflow_baseline"]).astype(int)
    three_in_a_row = down.groupby(s["account_id"]).rolling(3).sum().droplevel(0) >= 3
    assert s.loc[three_in_a_row, "account_id"].nunique() >= 10
    assert s["new_large_loan_other_bank"].sum() >= 10
    assert (s["balance_before_due"] < s["instalment_due"]).sum() >= 10
    assert (s["inflow_month"] == 0).sum() >= 10
    # ... and they warn: each flags a higher forward bad rate than the portfolio's.
    labelled = s["bad_6m_forward"].notna()
    base = s.loc[labelled, "bad_6m_forward"].astype(float).mean()
    for flag in (three_in_a_row, s["balance_before_due"] < s["instalment_due"], s["inflow_month"] == 0):
        assert s.loc[labelled & flag, "bad_6m_forward"].astype(float).mean() > 2 * base


def test_a_cure_model_beats_the_collection_rule_ordering(portfolio: Portfolio) -> None:
    cases = portfolio.collection_cases.sort_values("case_date", kind="stable")
    industry_risk = portfolio.truth["true_pd"].groupby(portfolio.applications["industry"]).mean()
    # The seed's rule: largest amount first, worst grade next, riskiest industry last; ranked as
    # "least likely to cure first".
    rule = (cases["balance"].rank(pct=True) + 1e-3 * (100 - cases["latest_b_score"]).rank(pct=True)
            + 1e-6 * cases["industry"].map(industry_risk).rank(pct=True))
    features = pd.DataFrame({
        "b_score": cases["latest_b_score"],
        "contact": cases["contact_success_rate"].fillna(0.0),
        "never_called": cases["contact_success_rate"].isna().astype(float),
        "kept": cases["promises_kept_6m"] / cases["promises_made_6m"].clip(lower=1),
        "flow": np.log1p(cases["inflow_last_month"]) - np.log1p(cases["inflow_baseline"]),
        "dpd": cases["dpd"],
    })
    half = len(cases) // 2
    y = cases["cured_30d"].to_numpy()
    model = LogisticRegression(max_iter=1000).fit(features[:half], y[:half])
    model_auc = roc_auc_score(y[half:], model.predict_proba(features[half:])[:, 1])
    rule_auc = roc_auc_score(1 - y[half:], rule[half:])
    assert model_auc > rule_auc + 0.05


def _first_and_last_half_year(applications: pd.DataFrame, column: str) -> tuple[float, float]:
    month = applications["application_date"].dt.to_period("M")
    first, last = month <= month.min() + 5, month >= month.max() - 5
    return applications.loc[first, column].mean(), applications.loc[last, column].mean()


def test_only_the_shifted_population_drifts_across_months(portfolio: Portfolio) -> None:
    # A stable book draws its people the same way every month (a fresh seed is the same
    # process); the shifted one keeps borrowing more as the months pass, for monitoring to find.
    stable_first, stable_last = _first_and_last_half_year(portfolio.applications, "pb_inquiries_3m")
    assert abs(stable_last / stable_first - 1) < 0.05
    shifted = generate_portfolio(20_000, seed=5, drift=True).applications
    shifted_first, shifted_last = _first_and_last_half_year(shifted, "pb_inquiries_3m")
    assert shifted_last / shifted_first > 1.08
