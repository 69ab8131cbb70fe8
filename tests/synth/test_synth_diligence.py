"""The simulated site visits (``riskmodels.synth.diligence``): contract-valid, the same for the
same book, drawn from a stream of their own (the book is untouched), and informative the way a
visit is: the business's health and the owner's integrity show through the noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.contract import DILIGENCE_FINDINGS
from riskmodels.synth import Portfolio
from riskmodels.synth.diligence import simulate_findings
from tests.synth.conftest import check_against_contract


@pytest.fixture(scope="module")
def findings(portfolio: Portfolio) -> pd.DataFrame:
    return simulate_findings(portfolio)


def test_the_findings_follow_their_contract_one_row_per_application(portfolio: Portfolio,
                                                                     findings: pd.DataFrame) -> None:
    check_against_contract(findings, DILIGENCE_FINDINGS)
    assert findings["application_id"].tolist() == portfolio.applications["application_id"].tolist()
    assert (findings["visit_date"] >= portfolio.applications["application_date"]).all()
    # Only restaurants and shops sell on delivery platforms; only walk-in trades count footfall.
    industry = portfolio.applications["industry"]
    assert findings.loc[~industry.isin(["catering", "retail"]), "delivery_platform_monthly"].isna().all()
    assert findings.loc[industry == "manufacturing", "peak_footfall_per_hour"].isna().all()


def test_the_same_book_gets_the_same_findings_and_the_book_is_untouched(portfolio: Portfolio,
                                                                         findings: pd.DataFrame) -> None:
    before = {name: table.copy() for name, table in portfolio.tables().items()}
    again = simulate_findings(portfolio)
    pd.testing.assert_frame_equal(findings, again)
    for name, table in portfolio.tables().items():
        pd.testing.assert_frame_equal(table, before[name])


def test_health_and_integrity_show_through_the_noise(portfolio: Portfolio, findings: pd.DataFrame) -> None:
    truth = portfolio.truth
    honest = (portfolio.outcomes["is_fraud"] == 0).to_numpy()
    declared = portfolio.applications["declared_annual_revenue"].to_numpy(float) / 12
    for name in ("electricity_bill_monthly", "wechat_alipay_monthly"):
        ratio = np.log(np.maximum(findings[name].to_numpy(float), 1.0) / declared)
        by_industry = pd.Series(ratio).groupby(portfolio.applications["industry"].to_numpy()).transform("median")
        centred = (ratio - by_industry.to_numpy())[honest]
        assert np.corrcoef(centred, truth["health"].to_numpy()[honest])[0, 1] > 0.3, name
    owner = findings["owner_assessment"].to_numpy(float)
    assert np.corrcoef(owner, truth["integrity"].to_numpy())[0, 1] > 0.4
    # Shells of fraud rings are rarely found operating at their premises.
    shells = truth["fraud_ring_id"].notna().to_numpy()
    verified = findings["site_verified"].to_numpy(bool)
    assert verified[shells].mean() < 0.4 < 0.9 < verified[honest].mean()


def test_a_book_without_its_seed_is_refused(portfolio: Portfolio) -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match=r"settings\['seed'\] must be the book's integer seed"):
        simulate_findings(replace(portfolio, settings={}))
