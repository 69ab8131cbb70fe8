"""The scorecard model document's calibration section states the heterogeneity of the run's PD
calibration (``scorecard.calibration``: the sigma of the logistic-normal average and its
likelihood-ratio statistic), read from the compiled spec the run logged, and "0 (the line)"
when the run has none. Rendered from in-memory evidence: no training needed."""

from __future__ import annotations

import re

import pytest
from _document_evidence import scorecard_evidence

from riskmodels.evaluation.model_document import model_document

LINE = {"method": "logistic", "basis": "through_the_cycle", "intercept": -0.0512, "slope": 0.8731,
        "slope_sample": "development", "slope_rows": 5300, "slope_bads": 281, "level_sample": "every month",
        "level_default_rate": 0.0532}


def _calibration(page: str) -> str:
    start = page.index("<h2>Calibration ")
    return page[start:page.index("<section>", start)]


def test_a_kept_heterogeneity_is_shown_with_its_test_in_both_languages() -> None:
    cal = LINE | {"heterogeneity": 0.4137, "heterogeneity_lr": 17.25}
    section = _calibration(model_document(scorecard_evidence(calibration=cal)))
    assert f"Heterogeneity: sigma {cal['heterogeneity']:.4f}" in section
    assert f"likelihood-ratio statistic {cal['heterogeneity_lr']:.4f} against sigma = 0" in section
    assert f"异质性：sigma {cal['heterogeneity']:.4f}" in section and "似然比统计量" in section
    assert "logistic-normal" in section and "0 (the line)" not in section


@pytest.mark.parametrize("cal", [LINE, LINE | {"heterogeneity": 0.0, "heterogeneity_lr": 0.8}, None],
                         ids=["older run", "sigma not kept", "no calibration"])
def test_no_heterogeneity_reads_zero_the_line(cal: dict[str, object] | None) -> None:
    section = _calibration(model_document(scorecard_evidence(calibration=cal)))
    assert "Heterogeneity: 0 (the line)." in section and "异质性：0（直线）" in section
    lr = (cal or {}).get("heterogeneity_lr")
    if lr is None:
        assert "likelihood-ratio" not in section
    else:
        assert isinstance(lr, float) and f"likelihood-ratio statistic {lr:.4f}" in section
    # The calibration tests by split are still there, before it.
    assert section.index("Hosmer-Lemeshow p") < section.index("Heterogeneity")
    assert re.search(r"<td[^>]*>Hosmer-Lemeshow p ", section)
