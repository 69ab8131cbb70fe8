"""The reference customers of DOMAIN.md §1, and the simulator's argument checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
import pytest

from riskmodels.contract import APPLICATIONS, Table
from riskmodels.synth import generate_portfolio, reference_applications


def _id_check_digit_ok(number: str) -> bool:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(number[:17], weights))
    return "10X98765432"[total % 11] == number[17]


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return reference_applications().set_index("application_id", drop=False)


def test_reference_customers_are_contract_valid(reference: pd.DataFrame,
                                                contract_check: Callable[[pd.DataFrame, Table], None]) -> None:
    contract_check(reference.reset_index(drop=True), APPLICATIONS)
    assert list(reference.index) == ["REF-LAOWANG", "REF-SHENDU", "REF-JINGCHENG"]
    assert all(_id_check_digit_ok(n) for n in reference["owner_id_number"])
    assert reference["owner_phone"].str.fullmatch(r"1\d{10}").all()


def test_laowang_matches_the_domain_figures(reference: pd.DataFrame) -> None:
    r = reference.loc["REF-LAOWANG"]
    inflow = reference.loc["REF-LAOWANG", [f"inflow_m{m:02d}" for m in range(1, 13)]].astype(float)
    assert r["business_name"] == "老王家常菜"
    assert (r["entity_type"], r["industry"]) == ("individual_business", "catering")
    assert r["declared_annual_revenue"] == 1_500_000 and r["tax_paid_y1"] == 30_000
    assert inflow.mean() == pytest.approx(120_000, rel=0.01)
    assert r["avg_daily_balance"] == 15_000
    assert r["pb_inquiries_3m"] == 2  # two other lenders looked in three months
    assert (r["pb_overdue_le30_24m"], r["pb_max_dpd_24m"], r["pb_months_since_overdue"]) == (0, 0, -1)
    assert (r["requested_amount"], r["requested_term_months"], r["purpose"]) == (150_000, 12, "renovation")


def test_shendu_and_jingcheng_match_the_domain_figures(reference: pd.DataFrame) -> None:
    s = reference.loc["REF-SHENDU"]
    assert (s["business_name"], s["industry"], s["employees"]) == ("深度视觉科技有限公司", "technology", 20)
    assert not s["owner_has_property"]
    assert reference.loc["REF-SHENDU", [c.name for c in APPLICATIONS.by_source("pos")]].isna().all()
    assert (s["requested_amount"], s["requested_term_months"], s["purpose"]) == (800_000, 24, "hiring")
    j = reference.loc["REF-JINGCHENG"]
    assert (j["business_name"], j["industry"]) == ("精诚零部件加工厂", "manufacturing")
    assert (j["requested_amount"], j["requested_term_months"]) == (350_000, 36)
    assert (j["collateral_type"], j["collateral_value"]) == ("equipment", 500_000)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_applications": -5}, "n_applications must be a positive integer; got -5"),
    ({"n_applications": 0}, "n_applications must be a positive integer; got 0"),
    ({"n_applications": 2.5}, "n_applications must be a positive integer; got 2.5"),
    ({"n_applications": True}, "n_applications must be a positive integer; got True"),
    ({"seed": -1}, "seed must be a non-negative integer; got -1"),
    ({"start": "2023-13"}, "start must be a month 'YYYY-MM'"),
    ({"months": 0}, "months must be an integer from 1 to 120; got 0"),
    ({"drift": "yes"}, "drift must be True or False; got 'yes'"),
    ({"progress": 3}, "progress must be a callable or None; got 3"),
])
def test_bad_arguments_are_refused_clearly(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"n_applications": 10, "seed": 1, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        generate_portfolio(**arguments)  # type: ignore[arg-type]


def test_progress_reports_every_application_and_the_portfolio_is_frozen() -> None:
    done: list[int] = []
    portfolio = generate_portfolio(700, 1, start="2024-06", months=3, progress=done.append)
    assert sum(done) == 700
    months = portfolio.applications["application_date"].dt.to_period("M").astype(str)
    assert set(months) == {"2024-06", "2024-07", "2024-08"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        portfolio.outcomes = portfolio.truth  # type: ignore[misc]
