"""``riskmodels loans``: refusals on one line naming the field, exit code 2."""

from __future__ import annotations

from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.loans.facilities import Facility
from tests.loans.conftest import decision, new_id

runner = CliRunner()


def test_a_draw_on_no_facility_and_a_bad_amount_are_refused_on_one_line() -> None:
    unknown = runner.invoke(app, ["loans", "draw", "1000", "--facility-id", new_id("line")])
    assert unknown.exit_code == 2 and "facility_id must name an open facility" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1
    bad = runner.invoke(app, ["loans", "draw", "10.001", "--facility-id", "x"])
    assert bad.exit_code == 2 and "amount must have at most 2 decimals" in bad.output


def test_an_outcome_needs_a_known_decision_and_a_decision_word() -> None:
    word = runner.invoke(app, ["loans", "outcome", "r1", "--decision", "maybe", "--officer", "li", "--reason", "X"])
    assert word.exit_code == 2 and "--decision must be approve or decline; got 'maybe'" in word.output
    opened = runner.invoke(app, ["loans", "open", new_id("never-scored")])
    assert opened.exit_code == 2 and "request_id must name an audited application decision" in opened.output


def test_an_officer_freezes_and_releases_a_facility_from_the_cli() -> None:
    from riskmodels.config import get_settings
    from riskmodels.loans import LoanStore

    loans = LoanStore.from_settings(get_settings())
    try:
        facility = loans.open_facility(decision(limit=180_000.0))
        blank = runner.invoke(app, ["loans", "freeze", facility.facility_id, "--officer", "li.xiao", "--reason", "  "])
        assert blank.exit_code == 2 and "--reason must be a non-empty text; got '  '" in blank.output
        assert len(blank.output.strip().splitlines()) == 1
        frozen = runner.invoke(app, ["loans", "freeze", facility.facility_id, "--officer", "li.xiao",
                                     "--reason", " no flow for a month "])
        assert frozen.exit_code == 0, frozen.output
        assert Facility.model_validate_json(frozen.output).frozen == 180_000.0
        released = runner.invoke(app, ["loans", "release", facility.facility_id, "--officer", "wang.fang",
                                       "--reason", "flow back, visited"])
        assert released.exit_code == 0, released.output
        after = Facility.model_validate_json(released.output)
        assert (after.frozen, after.available) == (0.0, 180_000.0)
        events = loans.freezes_of(facility.facility_id)
        assert [(e.action, e.frozen, e.officer, e.reason) for e in events] == [
            ("freeze", 180_000.0, "li.xiao", "no flow for a month"), ("release", 0.0, "wang.fang", "flow back, visited")]
        unknown = runner.invoke(app, ["loans", "release", new_id("line"), "--officer", "li", "--reason", "x"])
        assert unknown.exit_code == 2 and len(unknown.output.strip().splitlines()) == 1
    finally:
        loans.close()
