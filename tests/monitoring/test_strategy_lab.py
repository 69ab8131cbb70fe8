"""The strategy lab's figures: the funnel sums to the book, the swap-set identities hold, the
cut-off grid and the money add up (properties over generated replays), and the command replays
the trained champions on a book with its truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _strategy_books import policy_approving_from, write_book_head
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.config import REGISTERED_MODELS, Settings
from riskmodels.contract import PRODUCTS
from riskmodels.monitoring.strategy import OUTCOMES, Replay, cutoff_grid, funnel, review_load, swap_set
from riskmodels.policy import load_policy

POLICY = load_policy()
runner = CliRunner()


@st.composite
def replays(draw: st.DrawFn, n: int | None = None) -> Replay:
    """A replay's rows as ``replay`` leaves them, drawn at random."""
    n = n or draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    decision = rng.choice(OUTCOMES, n)
    score = rng.uniform(0, 100, n)
    pd_ = rng.uniform(0.001, 0.5, n)
    booked = rng.random(n) < 0.6
    rows = pd.DataFrame({
        "decision": decision, "score": score, "pd": pd_, "risk_class": [POLICY.risk_class(s).name for s in score],
        "recommended_product": np.where(decision == "reject", None, rng.choice(PRODUCTS, n)),
        "deciding_rule": rng.choice(["BAND_HIGH", "KO_BLACKLIST", "REQ_TERM", None], n),
        "rules": [list(rng.choice(["KO_BLACKLIST", "BAND_LOW", "REQ_TERM"], rng.integers(0, 3))) for _ in range(n)],
        "observed_bad": np.where(booked, rng.random(n) < pd_, np.nan).astype(float),
        "true_pd": pd_ * rng.uniform(0.5, 1.5, n), "exposure": rng.uniform(0, 1e6, n),
        "quoted_rate": rng.uniform(3.5, 12, n)})
    lgd = POLICY.pricing.lgd
    rows["el_model"] = rows["pd"] * lgd * rows["exposure"]
    rows["el_truth"] = rows["true_pd"] * lgd * rows["exposure"]
    return Replay("drawn", rows, POLICY)


@settings(max_examples=60, deadline=None)
@given(run=replays())
def test_the_funnel_sums_to_the_book(run: Replay) -> None:
    f = funnel(run)
    assert f.overall["applications"].sum() == run.n and f.overall["share"].sum() == pytest.approx(1.0)
    for table in (f.by_class, f.by_product):
        assert table["applications"].sum() == run.n
        assert (table[list(OUTCOMES)].sum(axis=1) == table["applications"]).all()
    assert f.by_rule["applications"].sum() == run.n
    counts = f.overall.set_index("outcome")["applications"]
    assert (f.by_rule.groupby("outcome")["applications"].sum().reindex(list(OUTCOMES), fill_value=0) == counts).all()
    assert review_load(run) == pytest.approx(1_000 * counts["review"] / run.n)
    for row in f.overall.itertuples():  # each outcome's bad rates are its own rows'
        mine = run.rows[run.rows["decision"] == row.outcome]
        if len(mine):
            assert row.truth_bad_rate == pytest.approx(mine["true_pd"].mean())
            assert row.booked == mine["observed_bad"].notna().sum()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_swap_set_identities_hold(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 60))
    candidate, baseline = data.draw(replays(n)), data.draw(replays(n))
    swaps = swap_set(candidate, baseline).set_index("group")
    accepted = candidate.rows["decision"].isin(["approve", "offer"])
    accepted_before = baseline.rows["decision"].isin(["approve", "offer"])
    assert swaps["applications"].sum() == n
    assert swaps.loc["swap_in", "applications"] + swaps.loc["both", "applications"] == accepted.sum()
    assert swaps.loc["swap_out", "applications"] + swaps.loc["both", "applications"] == accepted_before.sum()
    swapped_in = candidate.rows[accepted & ~accepted_before]
    if len(swapped_in):
        assert swaps.loc["swap_in", "truth_bad_rate"] == pytest.approx(swapped_in["true_pd"].mean())
    with pytest.raises(ValueError, match="same book"):
        swap_set(candidate, data.draw(replays(n + 1)))


@settings(max_examples=60, deadline=None)
@given(run=replays())
def test_the_cutoff_grid_and_its_money_add_up(run: Replay) -> None:
    grid = cutoff_grid(run, cutoffs=(0, 30, 60, 90))
    assert grid["approved"].is_monotonic_decreasing  # a higher cut-off never passes more
    stopped = run.rows["rules"].map(lambda ids: any(i.startswith("KO_") for i in ids))
    for row in grid.itertuples():
        passed = run.rows[(run.rows["score"] >= row.cutoff) & ~stopped]
        assert row.approved == len(passed)
        cost = (POLICY.pricing.funding_cost_pct + POLICY.pricing.operating_cost_pct) / 100 * passed["exposure"].sum()
        income = (passed["quoted_rate"] / 100 * passed["exposure"]).sum()
        assert row.margin_model == pytest.approx(income - cost - passed["el_model"].sum())
        assert row.expected_loss_truth == pytest.approx(passed["el_truth"].sum())


# -- the command, on the session's champions --------------------------------------------------
@pytest.fixture(scope="module")
def small_book(portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_book_head(portfolio_dir, tmp_path_factory.mktemp("book"), 1_500)


def test_policy_simulate_replays_the_champions_against_a_baseline_policy(
        trained_store: Settings, small_book: Path, tmp_path: Path) -> None:
    stricter = policy_approving_from(90, tmp_path / "stricter.yaml")
    out = tmp_path / "lab"
    result = runner.invoke(app, ["policy", "simulate", "--data", str(small_book), "--out", str(out),
                                 "--baseline-policy", str(stricter),
                                 "--model", f"{REGISTERED_MODELS['application']}@champion"])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads((out / "strategy.json").read_text(encoding="utf-8"))
    assert figures["applications"] == 1_500 and figures["has_truth"]
    overall = {row["outcome"]: row["applications"] for row in figures["funnel"]["overall"]}
    assert sum(overall.values()) == 1_500
    # A higher approve line can only move applications out of the automatic yes: no swap-out.
    swaps = {row["group"]: row for row in figures["swap_set"]}
    assert swaps["swap_out"]["applications"] == 0
    accepted = overall["approve"] + overall["offer"]
    assert swaps["swap_in"]["applications"] + swaps["both"]["applications"] == accepted
    # The bad rate of the approved falls as the cut-off rises (truth, on every applicant).
    truth = [row["truth_bad_rate"] for row in figures["cutoffs"] if row["approved"] >= 50]
    assert truth == sorted(truth, reverse=True) and len(truth) >= 5
    page = (out / "strategy_report.html").read_text(encoding="utf-8")
    assert '<h2>Funnel <span class="zh" lang="zh-CN">审批漏斗</span></h2>' in page and "Swap" in page
    assert "换入" in page and "Swap-ins" in page  # the notes in both languages too


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "/nonexistent"], "--data must hold applications.parquet; got '/nonexistent'"),
    (["--policy", "/nonexistent.yaml"], "--policy must be a policy YAML file"),
    (["--model", "sme-fraud@champion"], "model must be a version of sme-application-scorecard"),
    (["--model", "sme-application-scorecard:999"], "no sme-application-scorecard:999 in the registry"),
])
def test_policy_simulate_errors_fit_on_one_line(trained_store: Settings, small_book: Path, tmp_path: Path,
                                                 args: list[str], message: str) -> None:
    base = ["policy", "simulate", "--data", str(small_book), "--out", str(tmp_path / "lab")]
    result = runner.invoke(app, [*base, *args])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], result.output
