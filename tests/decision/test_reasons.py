"""Reason codes: the catalogue, the choice and order of the top adverse contributions, missing
sources, and agreement with the shap package on small models of both kinds.

That the closed-form scorecard SHAP and LightGBM's pred_contrib are SHAP values at all is
tested with their engines (tests/scorecard/test_shap.py, tests/test_fraud.py); here: that the
reason codes carry those values through, pick the right ones and say the right thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskmodels.config import ModelKind
from riskmodels.decision.reason_texts import plain_text
from riskmodels.decision.reasons import (
    APPLICATION_REASONS,
    BEHAVIOR_REASONS,
    CATALOGUES,
    COLLECTION_REASONS,
    FEATURE_REASONS,
    MISSING_SOURCE_REASONS,
    REASON_CATALOGUE,
    check_catalogued,
    gbm_reasons,
    missing_source,
    scorecard_reasons,
    top_adverse,
    uncatalogued,
)
from riskmodels.features import FEATURES, SOURCE_MISSING, build_features_one
from riskmodels.features.behavior import BEHAVIOR_FEATURES
from riskmodels.features.collection import COLLECTION_FEATURES
from riskmodels.scorecard.compiled import CompiledScorecard, Contribution

NAN = float("nan")


def test_every_feature_and_every_missing_source_has_a_code_and_both_texts() -> None:
    assert set(FEATURE_REASONS) == set(FEATURES) and set(MISSING_SOURCE_REASONS) == set(SOURCE_MISSING)
    assert len(REASON_CATALOGUE) == len(FEATURES) + len(SOURCE_MISSING)  # codes are unique
    for code, entry in REASON_CATALOGUE.items():
        assert code.startswith("R_") and code == code.upper() and entry.code == code
        assert entry.text_zh.strip() and entry.text_en.strip()
    # The texts are the feature catalogue's own, not copies.
    assert FEATURE_REASONS["bureau_inquiries_3m"].text_en == FEATURES["bureau_inquiries_3m"].adverse_en
    assert MISSING_SOURCE_REASONS["pos"].text_zh == SOURCE_MISSING["pos"][0]


def test_codes_are_stable() -> None:
    # Downstream systems key on these: a change here is a change of interface.
    assert FEATURE_REASONS["bureau_inquiries_3m"].code == "R_BUREAU_INQ_3M"
    assert FEATURE_REASONS["af_applications_30d"].code == "R_AF_APPS_30D"
    assert FEATURE_REASONS["flow_avg_daily_balance"].code == "R_FLOW_AVG_DAILY_BALANCE"
    assert {s: e.code for s, e in MISSING_SOURCE_REASONS.items()} == {
        "flow": "R_NO_FLOW", "tax": "R_NO_TAX", "pos": "R_NO_POS", "bureau_enterprise": "R_NO_BUREAU_ENTERPRISE",
        "observed_revenue": "R_NO_OBSERVED_REVENUE"}


def test_post_loan_codes_are_the_names_they_were_published_as() -> None:
    # The B and C cards' codes are "R_" + the name, unabbreviated (R_BH_NEW_INQUIRIES, not
    # R_BH_NEW_INQ), as the service answered before the cards shared this engine.
    for catalogue, infos in ((BEHAVIOR_REASONS, BEHAVIOR_FEATURES), (COLLECTION_REASONS, COLLECTION_FEATURES)):
        assert {name: e.code for name, e in catalogue.features.items()} == {n: "R_" + n.upper() for n in infos}
        assert catalogue.missing_sources == {}
        for name, entry in catalogue.features.items():
            assert (entry.text_zh, entry.text_en) == (infos[name].adverse_zh, infos[name].adverse_en)
    assert BEHAVIOR_REASONS.features["bh_new_inquiries"].code == "R_BH_NEW_INQUIRIES"
    # One code means one thing, whichever model gives it.
    codes = [e.code for c in {id(c): c for c in CATALOGUES.values()}.values() for e in c.codes.values()]
    assert len(codes) == len(set(codes)) == len(FEATURES) + len(SOURCE_MISSING) + len(BEHAVIOR_FEATURES) + len(
        COLLECTION_FEATURES)


def test_post_loan_reasons_come_from_the_same_engine_and_never_group_sources() -> None:
    # bh_tax_trend and bh_pos_trend need a source that may be missing; the B card reports each
    # as itself, value null, as it always has.
    features = {"bh_dpd": 12.0, "bh_tax_trend": NAN, "bh_pos_trend": None, "bh_industry": "retail",
                "bh_new_inquiries": 4.0}
    items = [("bh_dpd", -3.0, 9.0), ("bh_tax_trend", -1.0, 2.0), ("bh_pos_trend", -0.5, 1.0),
             ("bh_industry", 0.7, 0.0), ("bh_new_inquiries", -3.0, 4.0)]
    reasons = top_adverse(items, features, ModelKind.BEHAVIOR, "points", -1)
    assert [(r.code, r.value, r.contribution, r.points_lost) for r in reasons] == [
        ("R_BH_DPD", 12.0, -3.0, 9.0), ("R_BH_NEW_INQUIRIES", 4.0, -3.0, 4.0),  # a tie keeps model order
        ("R_BH_TAX_TREND", None, -1.0, 2.0), ("R_BH_POS_TREND", None, -0.5, 1.0)]
    assert all(r.model == "behavior" and type(r.model) is str and r.unit == "points" for r in reasons)
    # Without the card's bands a text states the value alone; a null ratio says it cannot be
    # computed (its source missing, or the year before's tax zero), never "no data".
    assert (reasons[0].text_zh, reasons[0].text_en) == ("月末逾期天数：12天", "Days past due at month end: 12 days")
    assert reasons[2].text_en == ("Tax paid, last 12 months over the 12 before: "
                                  "not computable from the figures given")
    (collection,) = scorecard_reasons([Contribution("cl_dpd", 1.0, -2.0, 5.0)], {"cl_dpd": 45.0}, model="collection")
    assert (collection.code, collection.model) == ("R_CL_DPD", "collection")


def test_a_model_reads_only_its_own_catalogue() -> None:
    assert uncatalogued(["bh_dpd", "bureau_lenders"], "behavior") == ["bureau_lenders"]
    assert uncatalogued(["cl_dpd"], ModelKind.COLLECTION) == []
    with pytest.raises(ValueError, match="characteristic must be in the feature catalogue; got 'bh_dpd'"):
        top_adverse([("bh_dpd", -1.0, None)], {"bh_dpd": 3.0}, "application", "points", -1)
    with pytest.raises(ValueError, match=r"model must be one of \['application', 'fraud', 'behavior', "
                                         r"'collection'\]; got 'challenger'"):
        top_adverse([], {}, "challenger", "points", -1)
    with pytest.raises(ValueError, match="model features must be in the feature catalogue"):
        check_catalogued(["cl_dpd"])  # the application's, by default


def card(*items: tuple[str, float]) -> list[Contribution]:
    """Contributions (points, SHAP, points lost) with a made-up mean of 10 and best bin of 20."""
    return [Contribution(name, 10 + shap, shap, 10 - shap) for name, shap in items]


def test_scorecard_reasons_are_the_most_negative_shap_values_in_order() -> None:
    features = {"bureau_inquiries_3m": 5.0, "bureau_lenders": 4.0, "years_in_business": 1.0, "owner_age": 30.0,
                "tax_grade": "C", "industry": "retail"}
    reasons = scorecard_reasons(card(("bureau_inquiries_3m", -3.0), ("bureau_lenders", -7.5), ("industry", 2.0),
                                     ("years_in_business", -1.0), ("owner_age", -0.5), ("tax_grade", -4.0)), features)
    assert [r.code for r in reasons] == ["R_BUREAU_LENDERS", "R_TAX_GRADE", "R_BUREAU_INQ_3M", "R_YEARS_IN_BUSINESS"]
    first = reasons[0]
    assert (first.feature, first.value, first.contribution, first.points_lost, first.unit, first.model) == (
        "bureau_lenders", 4.0, -7.5, 17.5, "points", "application")
    assert reasons[1].value == "C" and first.text_zh == "个人及企业征信有未结清贷款的机构数：4"
    assert reasons[1].text_en == "Tax credit grade (A/B/M/C/D): C"


def test_fewer_than_four_when_fewer_are_adverse_and_ties_keep_model_order() -> None:
    features = {"bureau_lenders": 1.0, "owner_age": 40.0, "industry": "retail", "employees": 3.0}
    reasons = scorecard_reasons(card(("industry", -2.0), ("bureau_lenders", -2.0), ("owner_age", 1.0),
                                     ("employees", -1e-12)), features)
    assert [r.feature for r in reasons] == ["industry", "bureau_lenders"]  # -1e-12 is no reason
    assert scorecard_reasons(card(("owner_age", 3.0)), features) == []
    assert len(scorecard_reasons(card(("industry", -2.0), ("bureau_lenders", -1.0)), features, top_n=1)) == 1


def test_a_missing_source_is_one_reason_with_the_sum_of_its_characteristics() -> None:
    features = {"pos_volume_12m": NAN, "pos_active_months": NAN, "pos_volatility": NAN,
                "pos_share_of_inflow": NAN, "flow_mean_inflow": 90_000.0, "bureau_lenders": 3.0}
    reasons = scorecard_reasons(card(("pos_volume_12m", -2.0), ("bureau_lenders", -3.0), ("pos_active_months", -1.5),
                                     ("pos_share_of_inflow", -0.7), ("pos_volatility", 0.5)), features)
    assert [r.code for r in reasons] == ["R_NO_POS", "R_BUREAU_LENDERS"]
    pos = reasons[0]
    assert (pos.feature, pos.value, pos.text_zh, pos.text_en) == ("pos", None, "无POS收单记录", "No POS acquiring history")
    assert pos.contribution == pytest.approx(-2.0 - 1.5 - 0.7 + 0.5)
    assert pos.points_lost == pytest.approx(12.0 + 11.5 + 10.7 + 9.5)


def test_missing_source_names_the_source_that_is_absent() -> None:
    no_pos = {"pos_volume_12m": NAN, "flow_mean_inflow": 1.0, "pos_share_of_inflow": NAN}
    no_flow = {"pos_volume_12m": 5.0, "flow_mean_inflow": NAN, "pos_share_of_inflow": NAN}
    assert missing_source("pos_share_of_inflow", no_pos) == "pos"
    assert missing_source("pos_share_of_inflow", no_flow) == "flow"
    # Flow is there but the ratio is undefined (no inflow at all): the characteristic's own reason.
    flat = {"flow_mean_inflow": 0.0, "flow_trend_3v12": NAN}
    assert missing_source("flow_trend_3v12", flat) is None
    (reason,) = scorecard_reasons(card(("flow_trend_3v12", -2.0)), flat)
    assert (reason.code, reason.value) == ("R_FLOW_TREND_3V12", None)
    assert missing_source("bureau_debt_to_revenue", {"bureau_debt_to_revenue": NAN}) == "observed_revenue"
    assert missing_source("eb_max_dpd_24m", {"eb_overdue_24m": NAN, "eb_max_dpd_24m": NAN}) == "bureau_enterprise"


def _laowang(**changes: object) -> dict[str, object]:
    from riskmodels.synth import reference_bodies

    return {**reference_bodies()["laowang"], **changes}


def _months(prefix: str, value: object) -> dict[str, object]:
    return {f"{prefix}_m{m:02d}": value for m in range(1, 13)}


@pytest.mark.parametrize(("changes", "source", "feature"), [
    # Tax grade, arrears, penalties and sales sent, the tax paid not: a gap, not "no tax records".
    ({"tax_paid_y1": None, "tax_paid_y2": None}, "tax", "tax_mean_yearly"),
    # Twelve months of account flow, all zero: there is flow (and tax), so revenue is observed, at 0.
    ({**_months("inflow", 0.0), "declared_sales_y1": 0.0, "declared_sales_y2": 0.0}, "observed_revenue",
     "req_amount_to_revenue"),
    # POS counts sent, the volumes not: a POS history with a gap, not "no POS acquiring history".
    (_months("pos_volume", None), "pos", "pos_volume_12m"),
], ids=["tax-paid-missing", "zero-revenue", "pos-volume-missing"])
def test_a_source_partly_sent_is_not_called_absent(changes: dict[str, object], source: str, feature: str) -> None:
    features = build_features_one(_laowang(**changes))
    assert features[feature] != features[feature]  # the characteristic is null ...
    assert missing_source(feature, features) is None  # ... but its source was sent
    (reason,) = scorecard_reasons(card((feature, -2.0)), features)
    assert reason.code == "R_" + feature.upper().replace("INQUIRIES", "INQ") and reason.value is None
    assert reason.text_en.endswith(("no data", "not computable from the figures given")), reason.text_en


@pytest.mark.parametrize(("source", "columns"), [
    ("tax", ("tax_paid_y1", "tax_paid_y2", "declared_sales_y1", "declared_sales_y2", "tax_grade", "tax_arrears_3y",
             "tax_penalties_3y")),
    ("pos", tuple(f"pos_{kind}_m{m:02d}" for kind in ("volume", "count") for m in range(1, 13))),
])
def test_a_source_not_sent_at_all_is_its_own_reason(source: str, columns: tuple[str, ...]) -> None:
    features = build_features_one(_laowang(**dict.fromkeys(columns)))
    names = [n for n, info in FEATURES.items() if info.needs == (source,)]
    reasons = scorecard_reasons(card(*((n, -1.0) for n in names)), features)
    assert [r.code for r in reasons] == [MISSING_SOURCE_REASONS[source].code]
    assert (reasons[0].text_zh, reasons[0].text_en) == SOURCE_MISSING[source]


def test_gbm_reasons_are_the_largest_positive_log_odds() -> None:
    names = ["af_device_shared", "af_applications_7d", "bureau_inquiries_3m", "af_phone_tenure_months",
             "eb_overdue_24m", "eb_max_dpd_24m"]
    features = {"af_device_shared": 3.0, "af_applications_7d": 0.0, "bureau_inquiries_3m": 6.0,
                "af_phone_tenure_months": 2.0, "eb_overdue_24m": NAN, "eb_max_dpd_24m": NAN}
    reasons = gbm_reasons([0.9, -0.4, 0.2, 1.3, 0.1, 0.15], names, features)
    assert [(r.code, r.contribution) for r in reasons] == [
        ("R_AF_PHONE_TENURE_MONTHS", 1.3), ("R_AF_DEVICE_SHARED", 0.9), ("R_NO_BUREAU_ENTERPRISE", pytest.approx(0.25)),
        ("R_BUREAU_INQ_3M", 0.2)]
    assert all(r.unit == "log_odds" and r.points_lost is None and r.model == "fraud" for r in reasons)
    with pytest.raises(ValueError, match="one value per feature"):
        gbm_reasons([0.1], names, features)


def test_characteristics_outside_the_catalogue_are_refused() -> None:
    with pytest.raises(ValueError, match="model features must be in the feature catalogue"):
        check_catalogued(["bureau_lenders", "shoe_size"])
    with pytest.raises(ValueError, match="characteristic must be in the feature catalogue; got 'shoe_size'"):
        top_adverse([("shoe_size", -1.0, None)], {"shoe_size": 1.0}, "application", "points", -1)


# -- agreement with the shap package ---------------------------------------------------------
def _applications(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    inquiries = rng.poisson(2.0, n).astype(float)
    balance = rng.lognormal(10, 1, n)
    pos = np.where(rng.random(n) < 0.3, np.nan, rng.lognormal(13, 0.7, n))
    logit = -2.5 + 0.35 * inquiries - 0.5 * (np.log(balance) - 10) + np.where(np.isnan(pos), 0.6, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"bureau_inquiries_3m": inquiries, "flow_avg_daily_balance": balance,
                         "pos_volume_12m": pos}), y


def test_scorecard_reasons_equal_linear_explainer_in_points() -> None:
    import shap

    from riskmodels.scorecard.binning import woe_frame
    from riskmodels.scorecard.model import ScorecardModel

    X, y = _applications(2000, 3)
    model = ScorecardModel(iv_min=0.0).fit(X, y)
    names = model.selected_features_
    woe = woe_frame(model.binning_process_, X, names, model.config_).to_numpy()
    coef = model.coef_table_["coef"].to_numpy()
    explainer = shap.LinearExplainer((coef[1:], coef[0]), shap.maskers.Independent(woe, max_samples=len(woe)))
    row = int(np.flatnonzero(np.isnan(X["pos_volume_12m"].to_numpy()))[0])  # one without POS
    expected = dict(zip(names, -model.config_.scale.factor * explainer.shap_values(woe[row:row + 1])[0]))
    features = X.iloc[row].to_dict()
    reasons = scorecard_reasons(model.contributions_one(features), features)
    assert reasons, "the row was chosen to have adverse characteristics"
    for reason in reasons:
        key = "pos_volume_12m" if reason.code == "R_NO_POS" else reason.feature
        assert reason.contribution == pytest.approx(expected[key], abs=1e-8)
    adverse = sorted((v, k) for k, v in expected.items() if v < -1e-9)
    assert [("pos_volume_12m" if r.code == "R_NO_POS" else r.feature) for r in reasons] == [k for _, k in adverse]


def test_fraud_reasons_equal_tree_explainer() -> None:
    import shap

    from riskmodels.models.fraud import FraudModel

    rng = np.random.default_rng(4)
    n = 4000
    X = pd.DataFrame({"af_device_shared": rng.poisson(0.5, n).astype(float),
                      "af_applications_7d": rng.poisson(1.0, n).astype(float),
                      "bureau_inquiries_3m": rng.poisson(2.0, n).astype(float)})
    logit = -4 + 0.8 * X["af_device_shared"] + 0.5 * X["af_applications_7d"] + 0.1 * X["bureau_inquiries_3m"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = FraudModel(features=list(X.columns), n_estimators=30, num_threads=1).fit(X, y)
    row = X.iloc[int(np.argmax(logit))].to_dict()
    with pytest.warns(UserWarning, match="LightGBM binary classifier"):  # shap's notice on every call
        expected = shap.TreeExplainer(model.booster_).shap_values(model._encode(row))[0]
    reasons = gbm_reasons(model.assess(row).contributions[0, :-1].tolist(), model.features_, row)
    by_name = dict(zip(model.features_, expected))
    assert [r.feature for r in reasons] == [k for k, v in sorted(by_name.items(), key=lambda kv: -kv[1]) if v > 1e-9]
    for reason in reasons:
        assert reason.contribution == pytest.approx(by_name[reason.feature], abs=1e-9)


def test_reasons_from_real_features_of_an_application_without_pos() -> None:
    from riskmodels.synth import reference_applications

    shendu = reference_applications().to_dict(orient="records")[1]  # the tech firm: no POS terminal
    features = build_features_one(shendu)
    pos_characteristics = [n for n, info in FEATURES.items() if info.source == "pos"]
    reasons = scorecard_reasons(card(*((n, -1.0) for n in pos_characteristics), ("bureau_lenders", -2.5)), features)
    assert [r.code for r in reasons] == [
        "R_NO_POS", "R_BUREAU_LENDERS"] and reasons[0].contribution == -len(pos_characteristics)


# -- texts true of the applicant ---------------------------------------------------------------
def _card() -> CompiledScorecard:
    """A two-characteristic card: tax growth in four bands (best: +15% or more) and months since
    the last personal overdue with "never" (-1) as its own, best, bin."""
    def bins(points: list[float]) -> list[dict[str, object]]:
        return [{"label": str(i), "points": p, "woe": 0.0, "count": 10, "event_rate": 0.1} for i, p in enumerate(points)]
    missing = {"label": "Missing", "points": 1.0, "woe": 0.0, "count": 0, "event_rate": None}
    return CompiledScorecard({
        "spec_version": 1, "scale": {"base_points": 60, "base_odds": 20, "pdo": 10, "min_score": 0, "max_score": 100},
        "intercept": -2.0, "features": [
            {"name": "tax_growth", "type": "numeric", "coef": -1.0, "splits": [-0.1, 0.0, 0.15],
             "bins": bins([0.0, 2.0, 5.0, 9.0]), "special_bins": [], "missing_bin": missing,
             "mean_points": 5.5, "max_points": 9.0},
            {"name": "pb_months_since_overdue", "type": "numeric", "coef": -1.0, "splits": [6.5, 24.5],
             "bins": bins([0.0, 3.0, 5.0]), "missing_bin": missing, "mean_points": 6.0, "max_points": 8.0,
             "special_bins": [{"label": "never", "codes": [-1.0], "points": 8.0, "woe": 0.0, "count": 10,
                               "event_rate": 0.1}]}]})


def test_a_scorecard_reason_states_the_value_its_band_and_the_best_band() -> None:
    # 老王家常菜: tax paid rose from 28,000 to 30,000 (+7.1%), which scores below the mean. The
    # reason must not say "falling tax paid": it says how much it grew and what the best band is.
    card = _card()
    features = {"tax_growth": (30_000 - 28_000) / 28_000, "pb_months_since_overdue": 14.0}
    (overdue, tax) = scorecard_reasons(card.contributions_one(features), features, card=card)  # -3, -0.5
    assert (tax.code, tax.points_lost) == ("R_TAX_GROWTH", 4.0)
    assert tax.text_zh == "纳税额同比增长率：+7.1%（所在档位：0%至+15%（不含）；最优档位：+15%及以上）"
    assert tax.text_en == ("Growth of tax paid, last year over the year before: +7.1% "
                           "(band: 0% to under +15%; best band: +15% or more)")
    assert "下降" not in tax.text_zh and "Falling" not in tax.text_en
    assert overdue.text_en == ("Personal bureau: months since the last overdue: 14 months "
                               "(band: 7 months to 24 months; best band: never overdue)")
    assert overdue.text_zh == "个人征信距最近一次逾期月数：14个月（所在档位：7个月至24个月；最优档位：从未逾期）"


def test_a_value_next_to_a_band_edge_is_shown_inside_its_band() -> None:
    card = _card()
    features = {"tax_growth": 0.1499, "pb_months_since_overdue": -1.0}  # 15.0% at one decimal: the edge
    (tax,) = scorecard_reasons(card.contributions_one(features), features, card=card)
    assert tax.text_en.endswith(": +14.99% (band: 0% to under +15%; best band: +15% or more)")


def test_a_ratio_over_zero_reads_as_not_computable_not_as_no_data() -> None:
    card = _card()
    # Tax records are there (tax_mean_yearly), but no tax was paid the year before: growth over 0.
    features = {"tax_growth": NAN, "tax_mean_yearly": 9_000.0, "pb_months_since_overdue": -1.0}
    (tax,) = scorecard_reasons(card.contributions_one(features), features, card=card)
    assert (tax.code, tax.value) == ("R_TAX_GROWTH", None)
    assert tax.text_en == ("Growth of tax paid, last year over the year before: not computable from the "
                           "figures given (best band: +15% or more)")
    assert "无法根据所报数据计算" in tax.text_zh
    assert "no data" not in tax.text_en and "无数据" not in tax.text_zh


def test_a_missing_count_still_reads_as_no_data() -> None:
    """Only a ratio can be null with every figure given; any other null value is missing data."""
    phrasing = APPLICATION_REASONS.phrasings["bureau_inquiries_6m"]
    assert plain_text(phrasing, None) == (f"{phrasing.label_zh}：无数据", f"{phrasing.label_en}: no data")


def test_a_fraud_reason_never_calls_the_safest_value_adverse() -> None:
    # pb_months_since_overdue = -1 means never overdue: the trees may push it towards fraud, but
    # "recent overdue" would be false, so it is no reason and the next one takes its place.
    names = ["pb_months_since_overdue", "af_device_shared", "af_phone_shared", "af_applications_7d"]
    features = {"pb_months_since_overdue": -1.0, "af_device_shared": 0.0, "af_phone_shared": 2.0,
                "af_applications_7d": 3.0}
    reasons = gbm_reasons([0.9, 0.5, 0.3, 0.2], names, features)
    assert [r.code for r in reasons] == ["R_AF_PHONE_SHARED", "R_AF_APPS_7D"]  # never overdue, no shared device
    assert [(r.text_zh, r.text_en) for r in reasons] == [
        ("共用手机号的其他申请人数：2", "Other applicants sharing the phone number: 2"),
        ("近7天多头申请次数：3", "Loan applications by the owner in 7 days, all lenders: 3")]
    (recent,) = gbm_reasons([0.9], ["pb_months_since_overdue"], {"pb_months_since_overdue": 2.0})
    assert recent.text_en == "Personal bureau: months since the last overdue: 2 months"


@pytest.mark.parametrize(("unseen", "scored_as"), [
    ("worst_bin", ("scored as the lowest band: construction", "按最低档位计分：建筑")),
    ("missing_bin", ("scored as no data", "按无数据计分"))])
def test_an_unseen_category_reads_as_the_bin_it_scores_in(unseen: str, scored_as: tuple[str, str]) -> None:
    # A category the card never saw scores in the missing bin or, where the spec says worst_bin, in
    # the lowest bin: the reason must name the band whose points it lost, not "no data" for both.
    bin_ = {"woe": 0.0, "count": 10, "event_rate": 0.1}
    card = CompiledScorecard({
        "spec_version": 1, "unseen_category": unseen,
        "scale": {"base_points": 60, "base_odds": 20, "pdo": 10, "min_score": 0, "max_score": 100},
        "intercept": -2.0, "features": [
            {"name": "industry", "type": "categorical", "coef": -1.0, "special_bins": [], "mean_points": 5.0,
             "max_points": 8.0, "missing_bin": {"label": "Missing", "points": 4.0, **bin_},
             "bins": [{"label": "0", "categories": ["catering"], "points": 8.0, **bin_},
                      {"label": "1", "categories": ["construction"], "points": 1.0, **bin_}]}]})
    features = {"industry": "space_mining"}
    with pytest.warns(UserWarning, match="space_mining"):
        (reason,) = scorecard_reasons(card.contributions_one(features), features, card=card)
    assert reason.points_lost == (7.0 if unseen == "worst_bin" else 4.0)
    assert reason.text_en == (f"Main industry: space_mining (not seen in development, {scored_as[0]}; "
                              "best band: catering)")
    assert reason.text_zh == f"所属行业：space_mining（开发样本中未出现，{scored_as[1]}；最优档位：餐饮）"


def test_a_fraud_reason_must_move_the_log_odds_materially() -> None:
    # The review found 1,219 of 3,000 decisions giving a fraud reason of under 0.01 log-odds (0.0007).
    from riskmodels.decision.reasons import MATERIAL_LOG_ODDS

    names = ["af_device_shared", "bureau_inquiries_3m", "af_applications_7d"]
    features = {"af_device_shared": 3.0, "bureau_inquiries_3m": 6.0, "af_applications_7d": 2.0}
    reasons = gbm_reasons([0.0007, MATERIAL_LOG_ODDS * 2, MATERIAL_LOG_ODDS * 0.9], names, features)
    assert [r.code for r in reasons] == ["R_BUREAU_INQ_3M"]
    # A missing source's sum is judged the same way.
    missing = {"eb_overdue_24m": NAN, "eb_max_dpd_24m": NAN}
    assert gbm_reasons([0.004, 0.004], ["eb_overdue_24m", "eb_max_dpd_24m"], missing) == []
    assert [r.code for r in gbm_reasons([0.006, 0.006], ["eb_overdue_24m", "eb_max_dpd_24m"], missing)] == [
        "R_NO_BUREAU_ENTERPRISE"]
