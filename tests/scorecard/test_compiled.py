"""The compiled scorer reproduces optbinning's Scorecard.score, fast and without optbinning."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from riskmodels.scorecard.compiled import CompiledScorecard, UnseenCategoryWarning
from riskmodels.scorecard.model import ScorecardModel

from .conftest import NEVER_OVERDUE, make_applications

UNSEEN_ROWS = 10  # "fishing" rows _with_edge_values writes


def _optbinning_score(model: ScorecardModel, X: pd.DataFrame) -> np.ndarray:
    """optbinning's own score; it scores an unseen category as missing, as the fixture's card
    does (unseen_category "missing", the default)."""
    assert model.compiled_.unseen_category == "missing_bin"
    return model.scorecard_.score(X[model.selected_features_])


def _with_edge_values(X: pd.DataFrame, model: ScorecardModel) -> pd.DataFrame:
    """Fresh rows plus values sitting exactly on every split, unseen categories, None/NaN
    and special codes, placed in the first rows."""
    X = X.copy()
    X["industry"] = X["industry"].astype(object)
    row = 0
    for feature in model.compiled_.to_spec()["features"]:
        for split in feature.get("splits", []):
            X.loc[row, feature["name"]] = split
            row += 1
    X.loc[row: row + UNSEEN_ROWS - 1, "industry"] = "fishing"  # never seen in development
    X.loc[row + 10: row + 19, "industry"] = None
    X.loc[row + 20: row + 29, "leverage"] = np.nan
    X.loc[row + 30: row + 39, "repayment_ratio"] = NEVER_OVERDUE
    return X


def test_points_equal_optbinning_scorecard_score_on_100k_fresh_rows(fitted: ScorecardModel) -> None:
    X, _ = make_applications(100_000, seed=7)
    X = _with_edge_values(X, fitted)
    with pytest.warns(UnseenCategoryWarning, match=f"'industry': {UNSEEN_ROWS} row"):
        points = fitted.compiled_.score_frame(X, clip=False)
    np.testing.assert_allclose(points, _optbinning_score(fitted, X), rtol=0, atol=1e-6)


def test_arrow_backed_text_scores_like_object_text(fitted: ScorecardModel) -> None:
    # pandas' default str dtype takes the Arrow lookup; object columns the per-value rules.
    X, _ = make_applications(20_000, seed=9)
    X = _with_edge_values(X, fitted)
    as_text = X.astype({"industry": "str"})
    assert isinstance(as_text["industry"].dtype, pd.StringDtype) and as_text["industry"].isna().sum() == 10
    with pytest.warns(UnseenCategoryWarning, match=f"'industry': {UNSEEN_ROWS} row"):
        points = fitted.compiled_.score_frame(as_text, clip=False)
    np.testing.assert_allclose(points, _optbinning_score(fitted, X), rtol=0, atol=1e-6)
    with pytest.warns(UnseenCategoryWarning):
        np.testing.assert_array_equal(fitted.compiled_.characteristic_points(as_text),
                                      fitted.compiled_.characteristic_points(X))


def test_many_splits_and_infinities_score_alike_on_both_paths(fitted: ScorecardModel) -> None:
    # Past 64 splits the frame path switches to a binary search; both must bin like score_one.
    spec = fitted.compiled_.to_spec()
    feature = next(f for f in spec["features"] if f["name"] == "leverage")
    splits = np.linspace(-3, 3, 100).tolist()
    feature["splits"] = splits
    feature["bins"] = [{**feature["bins"][0], "points": float(i)} for i in range(len(splits) + 1)]
    wide = CompiledScorecard.from_spec(spec)
    values = np.array([*splits, -np.inf, np.inf, np.nan, *np.random.default_rng(3).normal(size=500)])
    for scorer in (wide, fitted.compiled_):
        frame = pd.DataFrame({"leverage": values, "industry": "retail", "repayment_ratio": 0.5})
        one = [scorer.score_one({"leverage": v, "industry": "retail", "repayment_ratio": 0.5}, clip=False)
               for v in values]
        np.testing.assert_allclose(scorer.score_frame(frame, clip=False), one, rtol=0, atol=1e-12)
    on_splits = wide.characteristic_points(pd.DataFrame({"leverage": splits, "industry": "retail",
                                                         "repayment_ratio": 0.5}))["leverage"]
    np.testing.assert_array_equal(on_splits, np.arange(1, len(splits) + 1))  # equal goes right


def test_value_on_a_split_falls_in_the_bin_to_its_right(fitted: ScorecardModel) -> None:
    feature = next(f for f in fitted.compiled_.to_spec()["features"] if f["name"] == "leverage")
    binned = fitted.scorecard_.binning_process_.get_binned_variable("leverage")
    splits = np.array(feature["splits"])
    np.testing.assert_array_equal(binned.transform(splits, metric="indices"), np.arange(1, len(splits) + 1))
    row = {"leverage": splits[2], "industry": "retail", "repayment_ratio": 0.5}
    assert fitted.compiled_.characteristic_points_one(row)["leverage"] == feature["bins"][3]["points"]


def test_score_one_equals_score_frame_row_by_row(fitted: ScorecardModel) -> None:
    X, _ = make_applications(2_000, seed=8)
    X = _with_edge_values(X, fitted)
    rows = X.astype(object).where(X.notna(), None).to_dict("records")
    with pytest.warns(UnseenCategoryWarning):
        frame_scores = fitted.compiled_.score_frame(X)
        one_by_one = [fitted.compiled_.score_one(r) for r in rows]
    np.testing.assert_allclose(one_by_one, frame_scores, atol=1e-12)
    nan_row = {**rows[0], "leverage": float("nan")}
    assert fitted.compiled_.score_one(nan_row) == fitted.compiled_.score_one({**rows[0], "leverage": None})


def test_characteristic_points_sum_to_the_unclipped_score(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    compiled = fitted.compiled_
    points = compiled.characteristic_points(X)
    assert list(points.columns) == fitted.selected_features_
    np.testing.assert_allclose(points.sum(axis=1), compiled.score_frame(X, clip=False), atol=1e-9)
    one = compiled.characteristic_points_one(X.iloc[0].to_dict())
    assert sum(one.values()) == pytest.approx(compiled.score_one(X.iloc[0].to_dict(), clip=False))


def test_json_round_trip_scores_identically(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    text = fitted.compiled_.to_json()
    restored = CompiledScorecard.from_spec(json.loads(text))
    assert restored.to_spec() == fitted.compiled_.to_spec()
    np.testing.assert_array_equal(restored.score_frame(X), fitted.compiled_.score_frame(X))


def test_missing_special_and_unseen_values_score_their_bins(fitted: ScorecardModel) -> None:
    spec = {f["name"]: f for f in fitted.compiled_.to_spec()["features"]}
    base = {"leverage": 0.1, "industry": "retail", "repayment_ratio": 0.5}
    points = fitted.compiled_.characteristic_points_one
    assert points({**base, "leverage": None})["leverage"] == spec["leverage"]["missing_bin"]["points"]
    never = spec["repayment_ratio"]["special_bins"][0]
    assert never["label"] == "never overdue" and never["codes"] == [NEVER_OVERDUE]
    assert points({**base, "repayment_ratio": NEVER_OVERDUE})["repayment_ratio"] == never["points"]
    with pytest.warns(UnseenCategoryWarning, match=r"'industry': 1 row\(s\) with 1 unseen category \['fishing'\] "
                                                   r"scored as the missing bin"):
        unseen = points({**base, "industry": "fishing"})["industry"]
    assert unseen == spec["industry"]["missing_bin"]["points"]
    # pandas' nullable dtypes mark missing values with pd.NA; they score the missing bin too.
    plain = pd.DataFrame({"leverage": [np.nan, 0.1], "industry": [None, "retail"],
                          "repayment_ratio": [0.5, np.nan]})
    nullable = plain.astype({"leverage": "Float64", "industry": "string", "repayment_ratio": "Float64"})
    assert nullable.isna().sum().sum() == 3
    np.testing.assert_array_equal(fitted.compiled_.score_frame(nullable), fitted.compiled_.score_frame(plain))
    assert fitted.compiled_.score_one({**base, "industry": pd.NA}) == fitted.compiled_.score_one(
        {**base, "industry": None})


@pytest.mark.parametrize("text_dtype", ["object", "str"])
def test_unseen_categories_follow_the_specs_rule_and_are_counted(fitted: ScorecardModel, text_dtype: str) -> None:
    spec = fitted.compiled_.to_spec()
    industry = next(f for f in spec["features"] if f["name"] == "industry")
    worst = min(b["points"] for b in industry["bins"])
    missing = industry["missing_bin"]["points"]
    assert spec["unseen_category"] == "missing_bin" and worst != missing
    frame = pd.DataFrame({"leverage": 0.1, "repayment_ratio": 0.5,
                          "industry": ["retail", "fishing", "mining", "fishing", None]}).astype({"industry": text_dtype})

    def industry_points(rule: str | None) -> np.ndarray:
        changed = {k: v for k, v in spec.items() if k != "unseen_category"}
        if rule is not None:
            changed["unseen_category"] = rule
        with pytest.warns(UnseenCategoryWarning, match=r"'industry': 3 row\(s\) with 2 unseen categories"):
            return CompiledScorecard.from_spec(changed).characteristic_points(frame)["industry"].to_numpy()

    retail = fitted.compiled_.characteristic_points_one({"leverage": 0.1, "repayment_ratio": 0.5,
                                                         "industry": "retail"})["industry"]
    np.testing.assert_array_equal(industry_points("worst_bin"), [retail, worst, worst, worst, missing])
    np.testing.assert_array_equal(industry_points("missing_bin"), [retail, missing, missing, missing, missing])
    # A spec written before the rule was a choice has no key: it scores the missing bin, as it did.
    np.testing.assert_array_equal(industry_points(None), [retail, missing, missing, missing, missing])
    strict = CompiledScorecard.from_spec({**spec, "unseen_category": "error"})
    with pytest.raises(ValueError, match=r"feature 'industry' must take a category seen in development; "
                                         r"got unseen \['fishing', 'mining'\] in 3 row\(s\)"):
        strict.score_frame(frame)
    with pytest.raises(ValueError, match="got unseen \\['mining'\\] in 1 row"):
        strict.score_one({"leverage": 0.1, "repayment_ratio": 0.5, "industry": "mining"})
    assert strict.score_frame(frame.iloc[[0, 4]]).shape == (2,)  # known and missing values still score
    with pytest.raises(ValueError, match=r"unseen_category must be one of \['missing_bin', 'worst_bin', 'error'\]; "
                                         r"got 'ignore'"):
        CompiledScorecard.from_spec({**spec, "unseen_category": "ignore"})


def test_scoring_needs_neither_optbinning_nor_sklearn(fitted: ScorecardModel, tmp_path) -> None:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(fitted.compiled_.to_json(), encoding="utf-8")
    script = (
        "import sys, pandas as pd\n"
        "from riskmodels.scorecard.compiled import CompiledScorecard\n"
        f"c = CompiledScorecard.from_json(open({str(spec_file)!r}).read())\n"
        "row = {'leverage': 0.3, 'industry': 'retail', 'repayment_ratio': 0.2}\n"
        "assert c.score_frame(pd.DataFrame([row]))[0] == c.score_one(row)\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('optbinning', 'sklearn', 'scipy')]\n"
        "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", script], check=True)


def test_bad_specs_and_rows_are_rejected(fitted: ScorecardModel) -> None:
    spec = fitted.compiled_.to_spec()
    with pytest.raises(ValueError, match="spec_version must be 1; got 99"):
        CompiledScorecard.from_spec({**spec, "spec_version": 99})
    with pytest.raises(ValueError, match=r"missing \['industry'\]"):
        fitted.compiled_.score_frame(pd.DataFrame({"leverage": [0.1], "repayment_ratio": [0.2]}))
    with pytest.raises(ValueError, match="row has no value for feature 'industry'"):
        fitted.compiled_.score_one({"leverage": 0.1, "repayment_ratio": 0.2})
    with pytest.raises(ValueError, match="feature 'leverage' is numeric; got 'high'"):
        fitted.compiled_.score_one({"leverage": "high", "industry": "retail", "repayment_ratio": 0.2})


def test_an_unseen_category_warning_points_at_the_callers_line(fitted: ScorecardModel) -> None:
    # Each path reaches the warning at a different depth; every one must name this file.
    row = {"leverage": 0.1, "repayment_ratio": 0.5, "industry": "fishing"}
    frame = pd.DataFrame([row])
    calls = [lambda: fitted.predict_proba(frame), lambda: fitted.compiled_.score_frame(frame),
             lambda: fitted.compiled_.score_one(row), lambda: fitted.contributions_one(row),
             lambda: fitted.contributions(frame)]
    for call in calls:
        with pytest.warns(UnseenCategoryWarning) as caught:
            call()
        assert {w.filename for w in caught} == {__file__}, [w.filename for w in caught]
