"""Vintage curves, roll rates and the performance-window evidence (``riskmodels monitor vintage``):
properties on small hand-made books, brute-force counts, the simulator's own outcomes, the CLI and
the page in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _browser import assert_not_blank, embedded_pngs, require_chromium, screenshot
from typer.testing import CliRunner

from riskmodels.cli import app
from riskmodels.monitoring.vintage import BUCKETS, analyse_vintages, roll_rates
from riskmodels.monitoring.vintage.analysis import (
    FOLLOW_UP_MONTHS,
    account_table,
    choose_cohort_freq,
    dpd_bucket,
    last_month,
    vintage_curves,
    window_evidence,
)
from riskmodels.monitoring.vintage.report import REPORT_NAME

runner = CliRunner()
FLOORS = (0, 1, 30, 60, 90)


def book(histories: Mapping[str, tuple[str, Sequence[int | None]]]) -> pd.DataFrame:
    """``{account: (booking month YYYY-MM, [dpd at MOB 1, MOB 2, ...])}``; None skips a month."""
    rows = []
    for account, (booked, dpds) in histories.items():
        start = pd.Period(booked, "M")
        for mob, dpd in enumerate(dpds, start=1):
            if dpd is not None:
                rows.append({"account_id": account, "snapshot_date": (start + mob).to_timestamp(how="end").normalize(),
                             "dpd": dpd, "months_on_book": mob})
    return pd.DataFrame(rows)


def random_book(seed: int, n: int = 300) -> pd.DataFrame:
    """Accounts booked over 18 months, followed to the data's end or 12 months, that drift between
    buckets, stop at their first 90+ like the simulator's, and now and then miss a month."""
    rng = np.random.default_rng(seed)
    end = pd.Period("2025-06", "M")
    histories: dict[str, tuple[str, list[int | None]]] = {}
    for i in range(n):
        booked = end - int(rng.integers(1, 19))
        dpds: list[int | None] = []
        dpd = 0
        for _ in range(min(12, (end - booked).n)):
            worse = dpd + 30 if dpd else int(rng.integers(1, 30))
            dpd = int(rng.choice([0, worse, dpd], p=[0.6, 0.25, 0.15]))
            dpds.append(None if rng.random() < 0.05 else dpd)
            if dpd >= 90:
                break
        histories[f"A{i:04d}"] = (str(booked), dpds)
    return book(histories)


# -- roll rates ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_roll_rate_counts_match_a_loop_and_rows_sum_to_one(seed: int) -> None:
    snaps = random_book(seed)
    rolls = roll_rates(snaps)
    expected = np.zeros((5, 5), dtype=np.int64)
    month = {(r.account_id, r.snapshot_date.to_period("M")): r.dpd for r in snaps.itertuples()}
    for (account, period), dpd in month.items():
        following = month.get((account, period + 1))
        if following is not None:  # a skipped month breaks the pair
            expected[sum(dpd >= f for f in FLOORS) - 1, sum(following >= f for f in FLOORS) - 1] += 1
    np.testing.assert_array_equal(rolls.counts.to_numpy(), expected)
    assert list(rolls.counts.columns) == list(BUCKETS)
    rates = rolls.rates.to_numpy()
    started = expected.sum(axis=1) > 0
    np.testing.assert_allclose(rates[started].sum(axis=1), 1.0)
    assert np.isnan(rates[~started]).all()  # nobody left 90+: the row cannot be read, it is not 0%
    assert rolls.by_month["accounts"].sum() == expected.sum()


def test_dpd_buckets_follow_the_contract_edges() -> None:
    assert [BUCKETS[b] for b in dpd_bucket(np.array([0, 1, 29, 30, 59, 60, 89, 90, 400]))] == [
        "current", "1-29", "1-29", "30-59", "30-59", "60-89", "60-89", "90+", "90+"]
    with pytest.raises(ValueError, match="dpd must be a number >= 0"):
        dpd_bucket(np.array([0, -3]))


# -- vintage curves --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [4, 5])
@pytest.mark.parametrize("freq", ["month", "quarter"])
def test_cumulative_bad_rate_never_falls_and_matches_a_loop(seed: int, freq: str) -> None:
    snaps = random_book(seed)
    accounts = account_table(snaps)
    curves = vintage_curves(accounts, freq, last_month(snaps))  # type: ignore[arg-type]
    assert (curves.groupby(["threshold", "cohort"])["bad_rate"].diff().dropna() >= 0).all()
    booked = [p - m for p, m in zip(snaps["snapshot_date"].dt.to_period("M"), snaps["months_on_book"], strict=True)]
    snaps = snaps.assign(cohort=[str(p.asfreq("Q") if freq == "quarter" else p) for p in booked])
    for row in curves.sample(60, random_state=seed).itertuples():
        members = snaps[snaps["cohort"] == row.cohort]
        t = int(row.threshold.rstrip("+"))
        hit = members[(members["dpd"] >= t) & (members["months_on_book"] <= row.months_on_book)]
        assert row.accounts == members["account_id"].nunique()
        assert row.cumulative_bads == hit["account_id"].nunique()


def test_a_cohort_stops_at_the_month_on_book_its_latest_loans_reached() -> None:
    snaps = book({"old": ("2025-01", [0, 0, 0, 0, 0]), "apr": ("2025-04", [0, 30]), "late": ("2025-05", [60])})
    accounts = account_table(snaps)
    monthly = vintage_curves(accounts, "month", last_month(snaps))
    assert monthly.groupby("cohort")["months_on_book"].max().to_dict() == {"2025-01": 5, "2025-04": 2, "2025-05": 1}
    quarterly = vintage_curves(accounts, "quarter", last_month(snaps))
    # 2025Q2 holds loans booked in April and May: only one month on book is seen for all of them.
    assert quarterly.groupby("cohort")["months_on_book"].max().to_dict() == {"2025Q1": 5, "2025Q2": 1}
    q2 = quarterly[(quarterly["cohort"] == "2025Q2") & (quarterly["threshold"] == "60+")]
    assert q2["bad_rate"].tolist() == [0.5]


def test_thin_months_are_pooled_into_quarters() -> None:
    snaps = random_book(6, n=200)
    accounts = account_table(snaps)
    assert choose_cohort_freq(accounts) == "quarter"
    assert choose_cohort_freq(accounts, min_monthly=1) == "month"
    assert analyse_vintages(snaps, "month").cohort_freq == "month"
    with pytest.raises(ValueError, match="cohort must be 'auto', 'month' or 'quarter'; got 'week'"):
        analyse_vintages(snaps, "week")


# -- the performance-window evidence ---------------------------------------------------------
def test_window_evidence_counts_rolls_cures_and_timing() -> None:
    healthy = [0] * 12
    snaps = book({
        "rolls": ("2024-01", [0, 60, 90]),  # 60+ at MOB 2, 90+ at MOB 3
        "cures": ("2024-01", [0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),  # current again 6 months after its 60+
        "late": ("2024-01", [0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 30, 30]),  # 60+ at MOB 10: too late to follow
        "slow": ("2024-01", [0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]),  # 30+ for good: still late
        "bad9": ("2024-01", [0, 0, 0, 0, 0, 30, 60, 60, 90]),
        **{f"g{i}": ("2024-01", healthy) for i in range(5)},
    })
    accounts = account_table(snaps)
    ev = window_evidence(accounts, "month", last_month(snaps), snaps)
    assert ev.horizon == 12 and ev.accounts == 10
    assert ev.timing.set_index("months_on_book")["new_bads"].to_dict() == {
        m: int(m in (3, 9)) for m in range(1, 13)}
    assert ev.timing["share_of_eventual"].iloc[-1] == 1.0 and ev.timing["share_of_eventual"].iloc[2] == 0.5
    assert ev.timing["hazard"].iloc[8] == pytest.approx(1 / 9)  # one of the nine still good at MOB 9
    rolls = ev.roll_to_bad.set_index("threshold")
    # 60+: rolls, cures and bad9 (its 60+ at MOB 7 is followed by its 90+ at 9); late has no 6 months.
    assert rolls.loc["60+", ["accounts", "rolled_to_90", "cured", "still_delinquent"]].tolist() == [3, 2, 1, 0]
    # 30+ (first at MOB 2, 2, 2, 6 for rolls, cures, slow, bad9): slow is still late at MOB 8.
    assert rolls.loc["30+", ["accounts", "rolled_to_90", "cured", "still_delinquent"]].tolist() == [4, 2, 1, 1]
    assert FOLLOW_UP_MONTHS == 6  # the expectations above follow accounts for six months


def test_bad_snapshots_are_refused() -> None:
    snaps = book({"a": ("2024-01", [0, 0])})
    with pytest.raises(ValueError, match="snapshots must have the columns"):
        analyse_vintages(snaps.drop(columns="dpd"))
    with pytest.raises(ValueError, match="one row per account and month"):
        analyse_vintages(pd.concat([snaps, snaps]))
    with pytest.raises(ValueError, match="months_on_book must grow by one"):
        analyse_vintages(snaps.assign(months_on_book=[1, 1]))


# -- the simulator ---------------------------------------------------------------------------
def test_twelve_month_vintage_rate_is_the_outcome_table_bad_rate(portfolio_dir: Path) -> None:
    """The simulator's bad_12m is its month-12 state being 90+; 90+ is absorbing and snapshots are
    published every month up to the first 90+, so the two must agree loan for loan, cohort by
    cohort: the tolerance is rounding only. A gap would mean a vintage or a label off by a month."""
    snaps = pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet")
    outcomes = pd.read_parquet(portfolio_dir / "outcomes.parquet")
    apps = pd.read_parquet(portfolio_dir / "applications.parquet", columns=["application_id", "application_date"])
    booked = outcomes[outcomes["booked"]].merge(apps, on="application_id")
    booked["cohort"] = pd.to_datetime(booked["application_date"]).dt.to_period("M").astype(str)
    truth = booked.groupby("cohort").agg(loans=("bad_12m", "size"), bad_12m=("bad_12m", "mean"))

    analysis = analyse_vintages(snaps, "month")
    at12 = analysis.curves[(analysis.curves["threshold"] == "90+") & (analysis.curves["months_on_book"] == 12)]
    at12 = at12.set_index("cohort")
    assert len(at12) >= 12, "the generated book must show at least a year of cohorts at MOB 12"
    assert at12["accounts"].to_dict() == truth.loc[at12.index, "loans"].to_dict()
    np.testing.assert_allclose(at12["bad_rate"], truth.loc[at12.index, "bad_12m"], atol=1e-12)
    # and the window evidence counts the same bads
    assert analysis.evidence.timing["cumulative_bads"].iloc[-1] == booked["bad_12m"].sum()


# -- the CLI and the page --------------------------------------------------------------------
@pytest.fixture(scope="module")
def vintage_out(portfolio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vintage")
    result = runner.invoke(app, ["monitor", "vintage", "--data", str(portfolio_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"report: {out / REPORT_NAME}" in result.output
    return out


def test_cli_writes_the_report_and_the_tables(vintage_out: Path, portfolio_dir: Path) -> None:
    expected = analyse_vintages(pd.read_parquet(portfolio_dir / "behavior_snapshots.parquet"))
    curves = pd.read_csv(vintage_out / "vintage_curves.csv")
    assert len(curves) == len(expected.curves) and set(curves["threshold"]) == {"30+", "60+", "90+"}
    counts = pd.read_csv(vintage_out / "roll_rate_counts.csv", index_col=0)
    np.testing.assert_array_equal(counts.to_numpy(), expected.rolls.counts.to_numpy())
    for name in ("roll_rates.csv", "roll_forward_by_month.csv", "bad_timing.csv", "roll_to_bad.csv"):
        assert len(pd.read_csv(vintage_out / name)) > 0, name
    page = (vintage_out / REPORT_NAME).read_text(encoding="utf-8")
    share = float(expected.evidence.roll_to_bad.set_index("threshold").loc["60+", "roll_to_90_rate"])
    assert f"{share:.1%} went on to 90+" in page  # the window evidence is the data's, not written in


def test_cli_refuses_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["monitor", "vintage", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "--data must hold behavior_snapshots.parquet" in result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) == 1
    assert not (tmp_path / "o").exists()
    book({"a": ("2024-01", [0, -1])}).to_parquet(tmp_path / "behavior_snapshots.parquet")
    result = runner.invoke(app, ["monitor", "vintage", "--data", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "dpd must be a number >= 0" in result.output
    result = runner.invoke(app, ["monitor", "vintage", "--data", str(tmp_path), "--cohort", "week"])
    assert result.exit_code == 2 and "--cohort must be 'auto', 'month' or 'quarter'; got 'week'" in result.output


def test_the_report_renders_with_its_chinese_labels(vintage_out: Path, tmp_path: Path) -> None:
    html_file = vintage_out / REPORT_NAME
    page = html_file.read_text(encoding="utf-8")
    pngs = embedded_pngs(page)
    assert len(pngs) == len(re.findall(r"<img\b", page)) >= 6  # 90+, 30+, 60+ curves, matrix, by month, timing
    for i, png in enumerate(pngs):
        assert_not_blank(png, min_colours=20, min_chroma=0.002, what=f"vintage plot {i}")
    require_chromium()
    shot = screenshot(html_file, tmp_path / "vintage_report.png", height=2400)
    assert_not_blank(shot, min_colours=20, min_chroma=0.002, what="the vintage report")

    # Without a CJK font every Chinese character is the same empty box, so two different
    # headings of the same length would render identically.
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30, check=False)
    assert fonts.stdout.strip(), "a CJK font must be installed (apt-get install fonts-wqy-microhei)"
    renders = []
    style = re.search(r"<style>.*?</style>", page, flags=re.S)
    assert style is not None
    for label in ("账龄曲线", "迁移笔数"):
        assert f'<span class="zh" lang="zh-CN">{label}</span>' in page, label  # beside its English
        one = tmp_path / f"label{len(renders)}.html"
        # The report's own style, so the glyphs come from its CJK font stack.
        one.write_text(f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">{style.group(0)}</head>'
                       f'<body><h1><span class="zh" lang="zh-CN">{label}</span></h1></body></html>', encoding="utf-8")
        renders.append(screenshot(one, tmp_path / f"label{len(renders)}.png", width=800, height=300).read_bytes())
    assert_not_blank(renders[0], min_colours=2, min_ink=0.002, what="a Chinese heading")
    assert renders[0] != renders[1], "Chinese headings must render as glyphs, not empty boxes"
