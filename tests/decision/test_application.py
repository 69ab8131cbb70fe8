"""decide(): features -> fraud model -> A card -> policy -> reasons, for one application and
for a frame; on small models fitted on the simulator, and on the three reference customers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskmodels.contract import APPLICATIONS, OPTIONAL_SOURCES
from riskmodels.decision import ROW_COLUMNS, Decision, ModelBundle, decide, decide_frame, decision_row
from riskmodels.features import build_features_one
from riskmodels.policy import load_policy
from tests._small_bundle import small_bundle

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"


@pytest.fixture(scope="module")
def book() -> Any:
    from riskmodels.synth import generate_portfolio

    return generate_portfolio(n_applications=5000, seed=1)


@pytest.fixture(scope="module")
def portfolio(book: Any) -> pd.DataFrame:
    return book.applications.merge(book.outcomes, on="application_id")


@pytest.fixture(scope="module")
def bundle() -> ModelBundle:
    """A small A card and fraud model, trained the way the pipelines train them (a few seconds),
    on the same book as ``portfolio``."""
    return small_bundle(5000, seed=1)


def reference_bodies() -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(REFERENCE_DIR.glob("*.json"))}


# -- the reference customers -----------------------------------------------------------------
def test_reference_files_are_the_simulators_customers_as_api_bodies() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_reference", REFERENCE_DIR / "make_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert reference_bodies() == module.reference_bodies()
    laowang = reference_bodies()["laowang"]
    assert set(laowang) == set(APPLICATIONS.names)
    assert laowang["application_date"] == "2025-01-15" and laowang["pos_volume_m01"] > 0
    assert reference_bodies()["shendu"]["pos_volume_m01"] is None  # a missing source is null


def test_the_restaurant_gets_a_sensible_pre_approval(bundle: ModelBundle) -> None:
    answer = decide(reference_bodies()["laowang"], bundle)
    assert answer.decision != "reject" and not [r for r in answer.rules if r.stage in ("knockout", "fraud")]
    assert answer.limit.recommended_product == "general_credit"
    # Seed 000: 200,000 of general credit pre-approved. The pre-approved limit is the most any
    # product lends (the POS loan may lend more); the general credit asked for lends about that.
    general = next(p for p in answer.limit.by_product if p.product == "general_credit")
    assert 150_000 <= general.limit <= 250_000 and answer.limit.final == 150_000
    assert answer.limit.pre_approved == max(p.limit for p in answer.limit.by_product)
    assert answer.rate is not None and 3.5 <= answer.rate <= 6.0


def test_the_readable_summary_shows_the_rate_and_the_unrounded_price_it_was_rounded_from(bundle: ModelBundle) -> None:
    from riskmodels.decision.summary import decision_summary

    answer = decide(reference_bodies()["laowang"], bundle)
    assert answer.pricing is not None and answer.rate is not None
    (line,) = [x for x in decision_summary(answer).splitlines() if x.strip().startswith("rate")]
    assert line.strip().startswith(f"rate   {answer.rate:.2f}% a year")
    assert line.endswith(f"= {answer.pricing.unrounded_pct:.3f} before rounding to the policy's step)")
    # The components add up to the unrounded price, and the quote is that price rounded to a 5 bp step.
    assert sum(answer.pricing.components.values()) == pytest.approx(answer.pricing.unrounded_pct, abs=1e-9)
    assert abs(answer.rate - answer.pricing.unrounded_pct) <= load_policy().pricing.step_pct / 2 + 1e-9


def test_the_tech_firm_is_handled_by_the_products_it_qualifies_for(bundle: ModelBundle) -> None:
    answer = decide(reference_bodies()["shendu"], bundle)
    by_product = {p.product: p for p in answer.limit.by_product}
    assert [f.id for f in by_product["pos_loan"].failed_admission] == ["POS_NO_DATA"]
    assert by_product["tax_loan"].eligible and by_product["tax_loan"].binding_constraint == "sales_share"
    assert by_product["flow_loan"].eligible and by_product["flow_loan"].limit == 600_000  # 1 x a 600,000 balance
    assert answer.decision == "review" and "REQ_TERM" in [r.id for r in answer.rules]  # 2 years asked
    assert "R_NO_POS" not in [r.code for r in answer.reasons] or answer.reasons  # missing POS may cost points


def test_the_manufacturers_secured_request_is_answered_honestly(bundle: ModelBundle) -> None:
    answer = decide(reference_bodies()["jingcheng"], bundle)
    secured = next(r for r in answer.rules if r.id == "REQ_SECURED")
    assert answer.decision == "review"
    assert secured.evidence == {"collateral_type": "equipment", "unsecured_limit": answer.limit.pre_approved}
    assert answer.limit.pre_approved > 0 and answer.limit.final <= 350_000


# -- one answer, complete and consistent -------------------------------------------------------
def test_the_answer_is_complete_and_survives_json(bundle: ModelBundle) -> None:
    body = reference_bodies()["laowang"]
    answer = decide(body, bundle, request_id="req-1")
    assert (answer.request_id, answer.application_id) == ("req-1", "REF-LAOWANG")
    assert [(m.name, m.version) for m in answer.models] == [
        ("sme-application-scorecard", "3"), ("sme-fraud", "2"), ("policy", bundle.policy.version)]
    assert answer.credit.risk_class == bundle.policy.risk_class(answer.credit.score).name
    assert answer.pricing is not None and answer.rate == answer.pricing.rate_pct
    text = answer.model_dump_json()
    assert "NaN" not in text and Decision.model_validate_json(text) == answer
    assert decide(body, bundle).request_id != decide(body, bundle).request_id  # a fresh id per call


def test_reason_codes_carry_the_models_shap_values(bundle: ModelBundle) -> None:
    body = reference_bodies()["shendu"]
    answer = decide(body, bundle)
    features = build_features_one(body)
    shap = {c.characteristic: c.shap for c in bundle.scorecard.contributions_one(features)}
    assert 0 < len(answer.reasons) <= 4
    for reason in answer.reasons:
        if reason.code != "R_NO_POS":
            assert reason.contribution == shap[reason.feature] < 0
    pos = [v for k, v in shap.items() if k.startswith("pos_")]
    if "R_NO_POS" in [r.code for r in answer.reasons]:
        assert next(r for r in answer.reasons if r.code == "R_NO_POS").contribution == pytest.approx(sum(pos))
    contributions = bundle.fraud.assess(features).contributions[0, :-1]
    fraud_shap = dict(zip(bundle.fraud.features_, contributions.tolist()))
    for reason in answer.fraud.reasons:
        assert reason.unit == "log_odds" and (reason.feature not in fraud_shap or fraud_shap[reason.feature] > 0)


def test_the_single_row_path_does_no_pandas_work(bundle: ModelBundle, monkeypatch: pytest.MonkeyPatch) -> None:
    body = reference_bodies()["laowang"]
    decide(body, bundle)  # warm: lazy imports

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pandas was used on the single-row path")

    for cls in (pd.DataFrame, pd.Series):
        monkeypatch.setattr(cls, "__init__", refuse)
    assert decide(body, bundle).decision


def test_a_frame_gets_the_same_answers_row_for_row(bundle: ModelBundle, portfolio: pd.DataFrame) -> None:
    rows = pd.concat([portfolio[APPLICATIONS.names].iloc[:250],
                      pd.DataFrame(list(reference_bodies().values()))], ignore_index=True)
    rows.index = [f"row-{i}" for i in range(len(rows))]
    frame = decide_frame(rows, bundle)
    assert list(frame.columns) == ROW_COLUMNS and list(frame.index) == list(rows.index)
    assert frame["request_id"].is_unique
    assert set(frame["decision"]) <= {"approve", "offer", "review", "reject"}
    for index, record in zip(rows.index, rows.to_dict(orient="records")):
        one = decision_row(decide(record, bundle))
        batch = frame.loc[index].to_dict()
        for key in ROW_COLUMNS[1:]:
            expected, got = one[key], batch[key]
            if isinstance(expected, float) and key in ("fraud_probability", "pd", "score", "fraud_score"):
                assert got == pytest.approx(expected, rel=1e-12), (index, key)
            else:
                # A frame holds a missing text as pandas does (NaN); the single answer as None.
                assert got == expected or (expected is None and pd.isna(got)), (index, key, expected, got)
    assert decide_frame(rows.iloc[:0], bundle).empty


def test_a_bundle_refuses_what_it_cannot_use(bundle: ModelBundle) -> None:
    with pytest.raises(TypeError, match="scorecard must be a CompiledScorecard"):
        ModelBundle(scorecard="card", fraud=bundle.fraud, policy=bundle.policy)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="policy must be a Policy"):
        ModelBundle(scorecard=bundle.scorecard, fraud=bundle.fraud, policy={"version": "x"})  # type: ignore[arg-type]


# -- any valid application --------------------------------------------------------------------
def _column(col) -> st.SearchStrategy[Any]:
    if col.dtype == "category":
        return st.sampled_from(col.categories)
    if col.dtype == "bool":
        return st.booleans()
    if col.dtype == "date":
        return st.dates().map(lambda d: d.isoformat())
    if col.dtype == "string":
        # Any value of the contract's format (ID, phone, device, address); a plain name otherwise.
        return st.from_regex(col.pattern, fullmatch=True) if col.pattern is not None else st.just("A1")
    low, high = col.minimum or 0, min(col.maximum or 1e6, 1e9)
    if col.dtype == "int":
        return st.one_of(st.integers(int(low), int(min(high, 60))), st.integers(int(low), int(high)),
                         *(st.just(code) for code in col.special_codes))
    return st.one_of(st.floats(low, min(high, 1e6)), st.floats(low, high))


@st.composite
def applications(draw: st.DrawFn) -> dict[str, Any]:
    body = {c.name: draw(_column(c)) for c in APPLICATIONS.columns}
    for source in OPTIONAL_SOURCES:
        if draw(st.booleans()):
            body.update({c.name: None for c in APPLICATIONS.by_source(source)})
    for col in APPLICATIONS.columns:  # other optional columns may be null one by one
        if col.nullable and col.source not in OPTIONAL_SOURCES and draw(st.booleans()):
            body[col.name] = None
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(body=applications())
def test_any_valid_application_gets_a_complete_consistent_answer(bundle: ModelBundle, body: dict) -> None:
    answer = decide(body, bundle)
    assert answer.rules and 0 <= answer.credit.score <= 100 and 0 <= answer.fraud.score <= 100
    limit, step = answer.limit, bundle.policy.limits.rounding_step
    assert limit.final <= body["requested_amount"] and limit.final <= limit.pre_approved
    assert all(p.limit >= 0 and p.limit % step == 0 for p in limit.by_product)
    if answer.decision == "reject":
        assert limit.final == 0 and answer.rate is None
    else:
        assert answer.pricing is not None
        assert answer.pricing.floor_pct <= answer.rate <= answer.pricing.cap_pct
    if answer.decision in ("approve", "offer"):
        assert limit.final > 0 and not [r for r in answer.rules if r.action in ("reject", "review")]
    assert all(math.isfinite(r.contribution) for r in [*answer.reasons, *answer.fraud.reasons])
    assert "NaN" not in answer.model_dump_json()


# -- B and C account decisions ---------------------------------------------------------------
def _numeric(name: str, splits: list[float], points: list[float], missing: float, mean: float) -> dict[str, Any]:
    return {"name": name, "type": "numeric", "splits": splits, "special_bins": [],
            "bins": [{"label": str(i), "points": p} for i, p in enumerate(points)],
            "missing_bin": {"label": "Missing", "points": missing}, "mean_points": mean,
            "max_points": max(*points, missing)}


def _account_model(kind: str, features: list[dict[str, Any]]) -> Any:
    """A hand-made B or C card: a few characteristics with made-up bins, no registry."""
    from riskmodels.config import REGISTERED_MODELS, ModelKind
    from riskmodels.decision import AccountModel
    from riskmodels.models.specs import ScorecardScorer, feature_builder
    from riskmodels.policy.risk_classes import RiskBands
    from riskmodels.scorecard.compiled import CompiledScorecard

    table = {"behavior": "behavior_snapshots", "collection": "collection_cases"}[kind]
    card = CompiledScorecard.from_spec({"spec_version": 1, "kind": "woe_logistic_scorecard", "intercept": -3.0,
                                        "scale": {"base_points": 60, "base_odds": 20, "pdo": 10},
                                        "features": features})
    return AccountModel(ModelKind(kind), ScorecardScorer(card, RiskBands.default(), feature_builder(table)),
                        REGISTERED_MODELS[ModelKind(kind)], "7", None, {})


@pytest.fixture(scope="module")
def account_models() -> Any:
    from riskmodels.config import ModelKind
    from riskmodels.decision import AccountModels
    from riskmodels.policy.post_loan import load_post_loan_policy

    behavior = _account_model("behavior", [
        _numeric("bh_dpd", [1.0, 30.0], [30.0, 18.0, 4.0], 18.0, 27.0),
        _numeric("bh_new_inquiries", [3.0], [16.0, 8.0], 12.0, 14.0),
        _numeric("bh_tax_trend", [0.8], [9.0, 17.0], 11.0, 15.0),  # null without tax data: its own reason
        _numeric("bh_utilisation", [0.5, 0.9], [15.0, 11.0, 5.0], 11.0, 12.0)])
    collection = _account_model("collection", [
        _numeric("cl_dpd", [30.0, 60.0], [20.0, 12.0, 4.0], 12.0, 14.0),
        _numeric("cl_contact_success_rate", [0.5], [6.0, 15.0], 8.0, 11.0),
        _numeric("cl_latest_b_score", [60.0], [5.0, 14.0], 9.0, 10.0)])
    return AccountModels({ModelKind.BEHAVIOR: behavior, ModelKind.COLLECTION: collection}, {},
                         load_post_loan_policy())


def _api_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the service passes them: JSON values (null for missing, dates as YYYY-MM-DD)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                    else v.date().isoformat() if isinstance(v, pd.Timestamp)
                    else v.item() if hasattr(v, "item") else v for k, v in row.items()})
    return out


def test_account_decisions_one_row_equal_the_frame_path_and_give_engine_reasons(book: Any,
                                                                               account_models: Any) -> None:
    from riskmodels.decision import score_behavior, score_collection

    for kind, score, frame in (("behavior", score_behavior, book.behavior_snapshots),
                               ("collection", score_collection, book.collection_cases)):
        rows = _api_rows(frame.sample(120, random_state=3))
        batch = [a.model_dump(exclude={"request_id", "priority"}) for a in score(account_models, rows)]
        single = [score(account_models, [row])[0].model_dump(exclude={"request_id", "priority"}) for row in rows]
        assert single == batch, kind
        reasons = [r for a in batch for r in a["reasons"]]
        assert reasons and all(r["model"] == kind and r["unit"] == "points" and r["contribution"] < 0
                               and r["code"] == "R_" + r["feature"].upper() for r in reasons)
        assert all(len(a["reasons"]) <= 4 and a["models"] == [{"name": account_models.models[kind].name,
                                                                "version": "7"}] for a in batch)
        # The scores are the scorer's own (the features built once, the points summed in order).
        expected = account_models.models[kind].scorer.score_frame(pd.DataFrame(rows))
        assert [a["score"] for a in batch] == expected["score"].tolist()


def test_a_card_without_a_champion_is_not_deployed_and_nothing_is_scored(account_models: Any) -> None:
    from riskmodels.config import ModelKind
    from riskmodels.decision import AccountModels, ModelNotDeployed, score_collection

    only_b = AccountModels({ModelKind.BEHAVIOR: account_models.models[ModelKind.BEHAVIOR]},
                           {ModelKind.COLLECTION: "no `champion` of sme-collection-scorecard in the registry"},
                           account_models.policy)
    with pytest.raises(ModelNotDeployed, match=r"^the collection scorecard is not deployed: no `champion` of "
                                               r"sme-collection-scorecard in the registry; nothing was scored$"):
        score_collection(only_b, [{"case_id": "C1"}])
    with pytest.raises(LookupError, match="the behavior scorecard is not deployed: not loaded"):
        AccountModels().get(ModelKind.BEHAVIOR)


def test_an_account_model_refuses_what_it_cannot_serve(account_models: Any) -> None:
    import dataclasses

    from riskmodels.config import ModelKind

    behavior = account_models.models[ModelKind.BEHAVIOR]
    with pytest.raises(ValueError, match=r"kind must be one of \['behavior', 'collection'\]; got"):
        dataclasses.replace(behavior, kind=ModelKind.FRAUD)
    with pytest.raises(TypeError, match="scorer must be a ScorecardScorer; got str"):
        dataclasses.replace(behavior, scorer="not a scorer")
