"""The estimator: sklearn conventions, config, bins for special values, clear input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from riskmodels.scorecard.config import ScorecardConfig
from riskmodels.scorecard.model import ScorecardModel
from riskmodels.scorecard.scaling import ScoreScale

from .conftest import NEVER_OVERDUE, make_applications


def _bin(model: ScorecardModel, variable: str, label: str) -> pd.Series:
    table = model.scorecard_table_
    return table[(table["variable"] == variable) & (table["bin"] == label)].iloc[0]


def test_predictions_have_sklearn_shapes_and_ranges(fitted: ScorecardModel, dev_data) -> None:
    X, _ = dev_data
    proba = fitted.predict_proba(X.iloc[:100])
    assert proba.shape == (100, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    score = fitted.predict_score(X)
    assert score.min() >= 0 and score.max() <= 100
    assert clone(fitted).get_params() == fitted.get_params()
    assert list(fitted.scorecard_table_.columns) == [
        "variable", "bin", "count", "event_rate", "woe", "iv", "points"]


def test_missing_and_special_values_have_their_own_bins(fitted: ScorecardModel, dev_data) -> None:
    X, y = dev_data
    missing = _bin(fitted, "leverage", "Missing")
    assert missing["count"] == X["leverage"].isna().sum()
    assert missing["event_rate"] == pytest.approx(y[X["leverage"].isna().to_numpy()].mean())
    never = _bin(fitted, "repayment_ratio", "never overdue")
    assert never["count"] == (X["repayment_ratio"] == NEVER_OVERDUE).sum()
    # Special rows are not in any regular bin: the regular bins count the other rows only.
    table = fitted.scorecard_table_
    regular = table[(table["variable"] == "repayment_ratio")
                    & ~table["bin"].isin(["never overdue", "Missing"])]
    assert regular["count"].sum() == (X["repayment_ratio"] != NEVER_OVERDUE).sum()


def test_config_user_splits_and_category_dtype(dev_data) -> None:
    X, y = dev_data
    X = X.iloc[:6_000].assign(industry=lambda f: f["industry"].astype("category"))
    cfg = ScorecardConfig.model_validate({
        "features": ["repayment_ratio", "industry", "leverage"],
        "categorical_features": ["industry"],
        "special_codes": {"repayment_ratio": {"-1": "never overdue"}},  # as JSON would spell it
        "user_splits": {"repayment_ratio": [0.25, 0.5, 0.75],
                        "industry": [["retail", "services"], ["transport", "construction"]]},
        "scale": {"base_points": 50, "pdo": 20},
    })
    model = ScorecardModel.from_config(cfg).fit(X, y[:6_000])
    spec = {f["name"]: f for f in model.compiled_.to_spec()["features"]}
    assert spec["repayment_ratio"]["splits"] == [0.25, 0.5, 0.75]
    assert [b["categories"] for b in spec["industry"]["bins"]] == [
        ["retail", "services"], ["transport", "construction"]]
    assert spec["repayment_ratio"]["special_bins"][0]["codes"] == [NEVER_OVERDUE]
    assert model.compiled_.scale.pdo == 20
    np.testing.assert_allclose(model.predict_score(X), np.clip(
        model.scorecard_.score(X[model.selected_features_].astype({"industry": object})), 0, 100))
    tables = model.binning_tables()
    assert set(tables) == set(cfg.features) and "IV" in tables["leverage"].columns


def test_bad_inputs_raise_clear_errors() -> None:
    X, y = make_applications(600, seed=3)
    with pytest.raises(ValueError, match=r"Only binary classification is supported: y must hold two classes; "
                                         r"got a multiclass target with 3 classes \[0, 1, 2\]"):
        ScorecardModel().fit(X, np.r_[y[:-1], 2])
    with pytest.raises(ValueError, match=r"features must be columns of X; missing \['foo'\]"):
        ScorecardModel(features=["leverage", "foo"]).fit(X, y)
    with pytest.raises(ValueError, match=r"y must hold two classes \(the greater is the event\); got 1 class: \[0.0\]"):
        ScorecardModel().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=r"y must hold two classes of positive weight .*; got 1 class: \[1\]"):
        ScorecardModel().fit(X, y, sample_weight=y.astype(float))
    with pytest.raises(ValueError, match="y must have no missing values; got 1"):
        ScorecardModel().fit(X, np.r_[y[:-1], np.nan])
    with pytest.raises(ValueError, match="same number of rows"):
        ScorecardModel().fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"special_codes names variables that are not features: \['noise'\]"):
        ScorecardModel(features=["leverage"], special_codes={"noise": {-1: "x"}}).fit(X, y)
    with pytest.raises(ValueError, match="user_splits of 'industry' must be lists of categories"):
        ScorecardConfig(features=["industry"], categorical_features=["industry"],
                        user_splits={"industry": [1.0, 2.0]})
    with pytest.raises(ValueError, match="no variable passed selection"):
        ScorecardModel(features=["noise"], iv_min=0.5).fit(X, y)
    with pytest.raises(ValueError, match="special code 'abc' of numeric variable 'leverage'"):
        ScorecardModel(features=["leverage"], special_codes={"leverage": {"abc": "x"}}).fit(X, y)


def test_config_loads_from_yaml(tmp_path) -> None:
    path = tmp_path / "scorecard.yaml"
    path.write_text(
        "features: [months_in_business, overdue_days_max, industry]\n"
        "categorical_features: [industry]\n"
        "monotonic_trends: {months_in_business: descending}\n"
        "special_codes: {overdue_days_max: {-1: never overdue}}\n"
        "user_splits: {months_in_business: [6, 12, 24, 60]}\n"
        "max_vif: 4\n"
        "scale: {pdo: 20}\n", encoding="utf-8")
    cfg = ScorecardConfig.from_yaml(path)
    assert cfg.special_codes == {"overdue_days_max": {-1: "never overdue"}}
    assert cfg.trend_of("months_in_business") == "descending"
    assert cfg.trend_of("overdue_days_max") == "auto_asc_desc"
    params = ScorecardModel.from_config(cfg).get_params()
    assert params["max_vif"] == 4 and params["scale"].pdo == 20 and params["scale"].base_points == 60


def test_the_estimators_defaults_are_the_configs() -> None:
    # Both spell the defaults; a YAML that leaves a setting out must fit the card ScorecardModel() fits.
    config = ScorecardConfig(features=["a"])
    params = ScorecardModel().get_params()
    assert set(params) == set(ScorecardConfig.model_fields)
    containers = {"features", "categorical_features", "monotonic_trends", "special_codes", "user_splits", "scale"}
    for name in set(params) - containers:
        value = params[name]  # scikit-learn wants immutable defaults: a tuple where the config holds a list
        assert (list(value) if isinstance(value, tuple) else value) == getattr(config, name), name


# -- inputs a data scientist sends (a review from a notebook) --------------------------------
@pytest.fixture(scope="module")
def small_book() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_applications(3_000, seed=11)
    return X[["leverage", "repayment_ratio", "industry", "noise"]], y


def test_a_zero_weight_is_a_row_left_out(small_book) -> None:
    X, y = small_book
    weight = np.ones(len(y))
    weight[::7] = 0.0  # statsmodels' Newton step had turned every coefficient into NaN
    weighted = ScorecardModel().fit(X, y, sample_weight=weight)
    kept = weight > 0
    subset = ScorecardModel().fit(X[kept].reset_index(drop=True), y[kept])
    assert weighted.selected_features_ == subset.selected_features_
    assert not weighted.coef_table_["p_value"].isna().any()
    np.testing.assert_allclose(weighted.predict_proba(X), subset.predict_proba(X), rtol=1e-9)


def test_a_failed_refit_leaves_no_model_to_predict_with(small_book) -> None:
    from sklearn.exceptions import NotFittedError

    X, y = small_book
    model = ScorecardModel().fit(X, y)
    with pytest.raises(ValueError, match="no variable passed selection"):
        model.fit(pd.DataFrame({"c": np.ones(len(y))}), np.where(y == 1, "bad", "good"))
    with pytest.raises(NotFittedError):
        model.predict(X.head(3))  # the old card with the new labels would have named the wrong class


def test_columns_the_binning_cannot_take_are_refused_by_name(small_book) -> None:
    X, y = small_book
    dated = X.assign(opened=pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(len(X)) % 900, unit="D"))
    with pytest.raises(ValueError, match=r"must be numbers or categories; got dates or durations in \['opened'\]"):
        ScorecardModel().fit(dated, y)
    with pytest.raises(ValueError, match=r"must each have a non-missing value; got none in \['blank'\]"):
        ScorecardModel().fit(X.assign(blank=np.nan), y)
    infinite = X.assign(leverage=X["leverage"].where(X.index != 5, np.inf))
    with pytest.raises(ValueError, match=r"feature 'leverage' must be finite or missing; got infinity in 1 row"):
        ScorecardModel().fit(infinite, y)
    with pytest.raises(ValueError, match=r"X must have each column name once; repeated \['leverage'\]"):
        ScorecardModel().fit(pd.concat([X, X[["leverage"]]], axis=1), y)
    with pytest.raises(ValueError, match="features must be a list of column names; got the string 'leverage'"):
        ScorecardModel(features="leverage").fit(X, y)
    with pytest.raises(ValueError, match=r"user_splits of 'leverage' must be strictly increasing; got \[0.2, 0.2"):
        ScorecardModel(user_splits={"leverage": [0.2, 0.2, 0.5]}).fit(X, y)
    groups = [[c] for c in sorted(X["industry"].unique())[:-1]]  # one category left out of every group
    with pytest.raises(ValueError, match=r"user_splits of 'industry' must place every category of X in a group; "
                                         r"not placed: \['\w+'\]"):
        ScorecardModel(categorical_features=["industry"], user_splits={"industry": groups}).fit(X, y)


def test_infinity_is_refused_at_prediction_from_a_frame_as_from_an_array(small_book) -> None:
    X, y = small_book
    model = ScorecardModel().fit(X, y)
    assert "leverage" in model.selected_features_
    infinite = X.head(3).assign(leverage=[0.1, np.inf, 0.3])
    with pytest.raises(ValueError, match="feature 'leverage' must be finite or missing; got infinity in 1 row"):
        model.predict_proba(infinite)
    with pytest.raises(ValueError, match="infinity"):
        model.predict_proba(infinite.to_numpy(dtype=object))


def test_parameter_errors_say_must_and_got(small_book) -> None:
    X, y = small_book
    with pytest.raises(ValueError, match=r"^iv_min must be greater than or equal to 0; got -1$"):
        ScorecardModel(iv_min=-1).fit(X, y)
    with pytest.raises(ValueError, match=r"^p_max must be None with penalty 'l2'"):
        ScorecardModel(penalty="l2").fit(X, y)


def test_random_state_takes_what_scikit_learn_takes(small_book) -> None:
    X, y = small_book
    for state in (None, np.random.RandomState(0)):
        assert ScorecardModel(random_state=state).fit(X, y).config_.random_state >= 0
    assert ScorecardModel(random_state=np.int64(3)).fit(X, y).config_.random_state == 3


def test_many_small_categories_are_warned_of_unless_binned_in_folds(small_book) -> None:
    X, y = small_book
    codes = X.assign(code=np.random.default_rng(0).integers(0, 300, len(X)).astype(str))
    with pytest.warns(UserWarning, match=r"categorical feature 'code' has 300 categories, more than 1 / min_bin_size") as caught:
        ScorecardModel(features=["leverage", "code"]).fit(codes, y)
    assert {w.filename for w in caught if "300 categories" in str(w.message)} == {__file__}  # the caller's line
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ScorecardModel(features=["leverage", "code"], fold_binning=True).fit(codes, y)


def test_a_model_fitted_on_an_array_reads_a_frame_by_position(small_book) -> None:
    X, y = small_book
    numbers = X[["leverage", "repayment_ratio", "noise"]]
    model = ScorecardModel().fit(numbers.to_numpy(), y)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        from_frame = model.predict_proba(numbers)
    np.testing.assert_array_equal(from_frame, model.predict_proba(numbers.to_numpy()))
    contributions = model.contributions(numbers.to_numpy()[:4])
    assert contributions["row"].nunique() == 4 and set(contributions["characteristic"]) <= {"x0", "x1", "x2"}
    with pytest.raises(TypeError, match="row must be a mapping of feature name to value; got ndarray"):
        model.contributions_one(numbers.to_numpy()[0])  # type: ignore[arg-type]


def _replayed(path: pd.DataFrame) -> list[str]:
    """The characteristics the path ends on: entered and not removed since."""
    held: list[str] = []
    for action, variable in zip(path["action"], path["variable"], strict=True):
        if action == "enter":
            held.append(variable)
        elif str(action).startswith("remove"):
            held.remove(variable)
    return held


@pytest.mark.parametrize("options", [{"selection_method": "none", "iv_min": 0.0}, {"iv_min": 0.0},
                                     {"selection_method": "backward", "iv_min": 0.0}], ids=["none", "forward", "backward"])
def test_the_path_records_the_removals_after_the_search(small_book, options) -> None:
    X, y = small_book
    model = ScorecardModel(**options).fit(X, y)
    path = model.selection_path_[~model.selection_path_["action"].isin(["trend", "penalty"])]
    table = model.selection_table_
    final = table.loc[table["stage"].isin(["sign", "significance"]), "variable"]
    # Every removal for sign or significance is on the path: inside the backward search as one of
    # its steps, otherwise after the search as "remove: <rule>".
    assert set(final) <= set(path.loc[path["action"].str.startswith("remove"), "variable"])
    removed = path[path["action"].str.startswith("remove: ")]
    assert set(removed["variable"]) <= set(final)
    searched = path.loc[~path.index.isin(removed.index), "step"]
    assert searched.empty or (removed["step"] > searched.max()).all()  # after the search
    if options.get("selection_method") is None:  # forward: what entered and stayed is the card
        assert sorted(_replayed(path)) == sorted(model.selected_features_)


def test_a_characteristic_removed_for_significance_is_on_the_path(small_book) -> None:
    X, y = small_book
    model = ScorecardModel(selection_method="none", iv_min=0.0).fit(X, y)
    table = model.selection_table_.set_index("variable")
    assert table.at["repayment_ratio", "stage"] == "significance"  # Wald p 0.054 on this book
    row = model.selection_path_.set_index("variable").loc["repayment_ratio"]
    assert (row["step"], row["action"]) == (1, "remove: significance")


def test_a_small_book_does_not_flood_the_user_with_the_search_s_warnings() -> None:
    # 50 rows, 14 weak characteristics: the backward search's fits printed 859 warnings
    # (perfect separation, overflow, no convergence), none naming a column. The same card now.
    import warnings

    from statsmodels.tools.sm_exceptions import ModelWarning

    rng = np.random.default_rng(0)
    y = (rng.random(50) < 0.3).astype(int)
    X = pd.DataFrame({f"c{i}": rng.choice(list("abcd"), 50) for i in range(8)})
    for i in range(6):
        X[f"x{i}"] = rng.normal(size=50) + 0.8 * y * (i < 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ScorecardModel(selection_method="backward").fit(X, y)
    assert sorted(model.selected_features_) == ["x0", "x1", "x2"]
    # All that may remain is scikit-learn's own note that a held-out fit fell back to lbfgs.
    from sklearn.exceptions import ConvergenceWarning

    assert not [w for w in caught if issubclass(w.category, ModelWarning | RuntimeWarning)]
    assert all(issubclass(w.category, ConvergenceWarning) for w in caught), [str(w.message)[:80] for w in caught]


def test_the_card_s_own_fit_warnings_are_told_once() -> None:
    from riskmodels.scorecard.logistic import WoeLogisticRegression

    # Perfectly separated: statsmodels warns, and the fit keeps the warning as text.
    woe = pd.DataFrame({"x": np.r_[np.full(20, -1.0), np.full(20, 1.0)]})
    fitted = WoeLogisticRegression().fit(woe, np.r_[np.zeros(20), np.ones(20)])
    assert fitted.fit_warnings_ and any("Separation" in w or "separation" in w for w in fitted.fit_warnings_)


def test_weights_summing_to_less_than_a_row_of_a_class_are_refused_by_name(small_book) -> None:
    # Frequencies normalised to sum to one leave optbinning nothing to bin: "Found array with 0 sample(s)" before.
    X, y = small_book
    with pytest.raises(ValueError, match=r"the weights of class \d must sum to at least 1; got 0\.\d+"):
        ScorecardModel().fit(X, y, sample_weight=np.full(len(y), 1 / len(y)))


# -- a second notebook review (2026-12-08) ------------------------------------------------------
def test_numbers_held_in_object_columns_are_binned_as_numbers(small_book) -> None:
    # A database driver's Decimals or JSON's records: binned as categories, each amount was one
    # (IV 0, dropped), while the same values in an array were numbers.
    from decimal import Decimal

    X, y = small_book
    numeric = ScorecardModel().fit(X, y)
    as_objects = X.astype({"leverage": object, "repayment_ratio": object})
    as_objects["repayment_ratio"] = [None if v != v else Decimal(str(v)) for v in X["repayment_ratio"]]
    model = ScorecardModel().fit(as_objects, y)
    assert model.selected_features_ == numeric.selected_features_
    assert "leverage" not in model.config_.categorical_features
    np.testing.assert_allclose(model.predict_proba(as_objects), numeric.predict_proba(X), rtol=0, atol=1e-9)


def test_dates_and_infinity_in_any_spelling_are_refused_at_prediction(small_book) -> None:
    X, y = small_book
    model = ScorecardModel(features=["leverage", "industry"]).fit(X, y)
    head = X.head(2)
    with pytest.raises(ValueError, match=r"got dates or durations in \['leverage'\]"):
        model.predict_proba(head.assign(leverage=pd.to_datetime(["1960-01-01", "2030-01-01"])))
    for spelled in (["inf", "0.1"], np.array([np.inf, 0.1], dtype=object)):
        with pytest.raises(ValueError, match="feature 'leverage' must be finite or missing; got infinity in 1 row"):
            model.predict_proba(head.assign(leverage=spelled))
    with pytest.raises(ValueError, match="feature 'leverage' must be finite or missing"):
        model.contributions_one({"leverage": float("inf"), "industry": "retail"})
    # A category spelled "inf" is a category, not a number.
    from riskmodels.scorecard.compiled import UnseenCategoryWarning

    with pytest.warns(UnseenCategoryWarning, match=r"\['inf'\]"):
        assert model.predict_proba(head.assign(industry="inf")).shape == (2, 2)


@pytest.mark.parametrize("option", ["base_points", "base_odds", "pdo", "max_score"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_scale_of_nan_or_infinity_is_refused_by_name(option: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"{option} must be a finite number"):
        ScoreScale(**{option: value})


@pytest.mark.parametrize(("splits", "rule"), [
    ({"leverage": []}, "must hold at least one split"),
    ({"industry": [["retail", "services"], [], ["transport", "construction"]]}, "at least two non-empty groups"),
    ({"industry": [["retail", "services", "transport", "construction"]]}, "at least two non-empty groups"),
    ({"industry": [["retail", "services"], ["services", "transport", "construction"]]}, r"repeated \['services'\]"),
])
def test_user_splits_that_make_no_bins_are_refused_by_name(small_book, splits, rule: str) -> None:
    X, y = small_book
    with pytest.raises(ValueError, match=rule):
        ScorecardModel(categorical_features=["industry"], user_splits=splits).fit(X, y)


def test_groups_written_as_numbers_for_text_codes_name_the_type(small_book) -> None:
    X, y = small_book
    codes = X.assign(industry=X["industry"].map({"retail": "1", "services": "2", "transport": "3", "construction": "4"}))
    with pytest.raises(ValueError, match=r"not placed: \['1', '2', '3', '4'\] \(the groups and X differ in type"):
        ScorecardModel(categorical_features=["industry"], user_splits={"industry": [[1, 2], [3, 4]]}).fit(codes, y)


def test_a_zero_smallest_bin_is_refused_by_its_rule_not_a_division(small_book) -> None:
    X, y = small_book
    with pytest.raises(ValueError, match="min_bin_size must be greater than 0"):
        ScorecardModel(min_bin_size=0).fit(X, y)


def test_characteristics_named_like_the_long_tables_columns_contribute(small_book) -> None:
    X, y = small_book
    renamed = X.rename(columns={"leverage": "points", "repayment_ratio": "row"})
    model = ScorecardModel(features=["points", "row", "industry"]).fit(renamed, y)
    long = model.contributions(renamed.head(3))
    assert set(long["characteristic"]) == set(model.selected_features_) and len(long) == 3 * len(model.selected_features_)
    wide = model.compiled_.characteristic_points(renamed.head(3))
    for name in model.selected_features_:
        np.testing.assert_array_equal(long.loc[long["characteristic"] == name, "points"], wide[name])


def test_the_config_reads_back_from_its_json_with_infinity(small_book) -> None:
    X, y = small_book
    model = ScorecardModel(max_vif=float("inf")).fit(X, y)
    assert ScorecardConfig.model_validate_json(model.config_.model_dump_json()) == model.config_


def test_a_reason_never_reads_as_its_own_threshold(small_book) -> None:
    X, y = small_book
    iv = ScorecardModel().fit(X, y).selection_table_.set_index("variable")["iv"]
    weakest = iv.idxmin()
    threshold = float(iv[weakest]) + 1e-6  # shown to 3 decimals, the two read alike
    reason = ScorecardModel(iv_min=threshold).fit(X, y).selection_table_.set_index("variable").loc[weakest, "reason"]
    shown = reason.split()[1]
    assert reason.startswith("IV ") and float(shown) < threshold and float(shown) == pytest.approx(iv[weakest], rel=1e-5)


def test_a_knock_out_flag_is_told_as_one_not_as_an_uninformative_variable(small_book) -> None:
    # Every holder of the flag defaulted: optbinning merges that bin (a WoE needs both classes),
    # so the flag read "IV 0.000 < 0.02" and was dropped without a word.
    from riskmodels.scorecard.separation import SeparationWarning

    X, y = small_book
    flag = (np.random.default_rng(9).random(len(y)) < 0.06).astype(int)
    every_bad = np.where(flag == 1, 1, y)
    with pytest.warns(SeparationWarning, match=r"feature 'bankrupt': its value 1 \(\d+ rows\) are all bad; merged"):
        model = ScorecardModel().fit(X.assign(bankrupt=flag), every_bad)
    reason = model.selection_table_.set_index("variable").loc["bankrupt", "reason"]
    assert reason.startswith("IV 0.000 < 0.02; but its value 1") and "knock-out rule" in reason


def test_a_missing_bin_of_bads_only_is_told_to_score_as_average(small_book) -> None:
    from riskmodels.scorecard.separation import SeparationWarning

    X, y = small_book
    filled = X.assign(leverage=X["leverage"].fillna(0.0))
    missing = np.random.default_rng(3).random(len(y)) < 0.04
    with pytest.warns(SeparationWarning, match=r"feature 'leverage': its missing values \(\d+ rows\) are all bad; "
                                               r"its bin scores WoE 0, as an average applicant"):
        model = ScorecardModel().fit(filled.assign(leverage=filled["leverage"].mask(missing)), np.where(missing, 1, y))
    assert "leverage" in model.selected_features_


def test_a_book_without_separation_fits_without_its_warning(small_book) -> None:
    # Strong continuous drivers have long runs of goods in their low-risk tails: not a separation.
    import warnings

    from riskmodels.scorecard.separation import SeparationWarning

    X, y = small_book
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        ScorecardModel().fit(X, y)


def test_options_name_integer_labelled_columns_as_the_frame_does(small_book) -> None:
    X, y = small_book
    numbered = X.set_axis(range(X.shape[1]), axis=1)  # leverage, repayment_ratio, industry, noise
    model = ScorecardModel(features=[0, 1, 2], categorical_features=[2], monotonic_trends={0: "ascending"}).fit(numbered, y)
    named = ScorecardModel(features=["leverage", "repayment_ratio", "industry"], categorical_features=["industry"],
                           monotonic_trends={"leverage": "ascending"}).fit(X, y)
    assert model.selected_features_ == [str(list(X.columns).index(n)) for n in named.selected_features_]
    np.testing.assert_allclose(model.predict_proba(numbered), named.predict_proba(X), rtol=0, atol=1e-12)
