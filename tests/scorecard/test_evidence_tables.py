"""The tables a training run logs read as a validator reads them: a categorical bin lists its
categories, and a cell with no value (the intercept's VIF) is a dash, never "NaN"."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
from sklearn.base import clone

from riskmodels.scorecard.model import ScorecardModel
from riskmodels.training.scorecard import (
    NOT_APPLICABLE,
    bin_label,
    binning_artefacts,
    readable_scorecard_table,
    report_sections,
)

from .conftest import CATEGORY_RISK

OPTBINNING_LABELS = {"Special", "Missing", ""}  # and "" on the totals row


def test_a_categorical_bin_is_written_as_its_categories(fitted: ScorecardModel) -> None:
    tables = binning_artefacts(fitted)
    assert set(tables) == set(fitted.binning_process_.variable_names)
    written = pd.read_csv(io.StringIO(tables["industry"].to_csv(index=False)), keep_default_na=False)
    labels = [b for b in written["Bin"] if b not in OPTBINNING_LABELS]
    # optbinning's own bins, category by category, in its order.
    expected = [", ".join(map(str, b)) for b in fitted.binning_process_.get_binned_variable("industry").splits]
    assert labels == expected
    assert sorted(c for label in labels for c in label.split(", ")) == sorted(CATEGORY_RISK)
    card = readable_scorecard_table(fitted)
    assert card.loc[card["variable"] == "industry", "bin"].isin([*expected, "Special", "Missing"]).all()


def test_numeric_bins_are_written_as_optbinning_writes_them(fitted: ScorecardModel) -> None:
    table = binning_artefacts(fitted)["leverage"]
    original = fitted.binning_tables()["leverage"]["Bin"].tolist()
    assert table["Bin"].tolist() == original
    assert all(re.fullmatch(r"[\[(]\S+, \S+\)", b) for b in original if b not in OPTBINNING_LABELS)


def test_bin_label_joins_the_categories_of_any_array() -> None:
    assert bin_label(pd.array(["catering", "retail"], dtype="str")) == "catering, retail"
    assert bin_label(["catering"]) == "catering"
    assert bin_label("[1.00, 2.00)") == "[1.00, 2.00)"


def test_no_table_of_the_validation_report_shows_nan(fitted: ScorecardModel) -> None:
    sections = dict(report_sections(fitted))
    for title, html in sections.items():
        assert "NaN" not in html, title
        assert "ArrowStringArray" not in html, title
    body = sections["Coefficients (Wald statistics, VIF)"].split("<tbody>")[1]
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
    assert list(fitted.coef_table_.columns)[-1] == "vif" and fitted.coef_table_["vif"].isna().iloc[0]
    assert [c[0] for c in cells] == fitted.coef_table_["variable"].tolist()
    assert cells[0][-1] == NOT_APPLICABLE  # the intercept has no VIF
    assert all(float(c[-1]) >= 1 for c in cells[1:])


def test_the_scorecard_section_says_when_its_counts_are_weights(fitted: ScorecardModel,
                                                               dev_data: tuple[pd.DataFrame, np.ndarray]) -> None:
    """Reject inference fits on weighted rows, and optbinning cuts each bin's weighted count to a
    whole number: nothing in the table tells, so the title must."""
    X, y = dev_data
    weighted = clone(fitted).fit(X, y, sample_weight=np.where(np.arange(len(y)) % 2 == 0, 0.3, 1.0))
    counts = weighted.scorecard_table_.groupby("variable")["count"].sum()
    assert (counts < len(y)).all() and (counts == counts.round()).all()  # weights' sums, yet whole numbers
    assert "Scorecard" in dict(report_sections(fitted))
    (title,) = [t for t in dict(report_sections(weighted, inferred_rows=1_234)) if t.startswith("Scorecard")]
    assert "counts weighted" in title and "1,234 rows reject inference adds" in title
