"""``riskmodels loans``: refusals on one line naming the field, exit code 2."""

from __future__ import annotations

from typer.testing import CliRunner

from riskmodels.cli import app
from tests.loans.conftest import new_id

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
