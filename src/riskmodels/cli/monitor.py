"""``riskmodels monitor portfolio``, ``drift``, ``vintage`` and ``estimate``: the book and the models over time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from riskmodels.cli._common import fail, writable_dir

if TYPE_CHECKING:
    from riskmodels.monitoring.portfolio import FrameScorer

monitor_app = typer.Typer(help="Monitoring: the nightly early-warning batch, drift and back-testing of a model.",
                          no_args_is_help=True)


@monitor_app.command("portfolio")
def monitor_portfolio(
    data: Annotated[Path, typer.Option(help="Folder holding behavior_snapshots.parquet.")] = Path("data/synthetic"),
    out: Annotated[Path, typer.Option(help="Folder for alerts, summary and the HTML report.")] = Path("reports/portfolio"),
    as_of: Annotated[str | None, typer.Option(help="Monitor the month ending on or before this date (YYYY-MM-DD).")] = None,
    b_card: Annotated[bool, typer.Option(help="Score with the champion B card (class migration, actions).")] = True,
    usury_account: Annotated[list[str] | None, typer.Option(
        "--usury-account", help="An account an account manager found in usurious lending (高利贷); repeatable. "
        "Its owner goes on the bank's own list.")] = None,
) -> None:
    """Run the early-warning rules (and the B card) over every active loan of one month; apply
    collection's exit rules, listing the exited accounts' owners on the bank's own list (the
    link store, RISKMODELS_LINK_STORE_URL), and freeze the unused limit of the flagged and the
    exited in the loan store."""
    from datetime import date

    from riskmodels.monitoring.portfolio import monitor_portfolio as run_monitor

    try:
        as_of_date = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise fail(f"--as-of must be a date YYYY-MM-DD; got {as_of!r}") from exc
    for name in ("behavior_snapshots.parquet", "applications.parquet"):  # the accounts, and the owners to list
        if not (data / name).is_file():
            raise fail(f"--data must hold {name}; got {str(data)!r}")
    usury = [a.strip() for a in usury_account or ()]
    if any(not a for a in usury):
        raise fail(f"--usury-account must name an account id; got {usury_account!r}")
    scorer = _champion_b_card() if b_card else None
    from riskmodels.cli.lists import open_lists
    from riskmodels.loans import LoanStore

    with open_lists() as lists:  # exited owners go on the bank's own list, checked at the next application
        loans = LoanStore.from_settings()  # the freezes go where the drawdown check reads them
        try:
            result = run_monitor(data, writable_dir(out), as_of_date, scorer, loans=loans, lists=lists,
                                 usury_accounts=usury)
        finally:
            loans.close()
    exited = result.accounts["exit_rules"].astype(bool)
    typer.echo(f"{result.as_of}: {result.n_accounts:,} accounts, {result.n_accounts_alerted:,} with alerts, "
               f"{int(exited.sum()):,} exited by collection's rules; report: {out / 'portfolio_report.html'}")
    typer.echo(result.summary.to_string(index=False))


def _champion_b_card() -> FrameScorer | None:
    """The champion B card's compiled scorecard, or None (rules only) when there is none."""
    from riskmodels import registry
    from riskmodels.config import CHAMPION, ModelKind
    from riskmodels.models.specs import ScorecardScorer, scorer_from_spec

    try:
        spec, version = registry.load_spec(ModelKind.BEHAVIOR.registered_name, CHAMPION)
    except registry.ModelNotFound:
        typer.secho("no champion B card: running the early-warning rules only", fg=typer.colors.YELLOW, err=True)
        return None
    scorer = scorer_from_spec(spec)
    if not isinstance(scorer, ScorecardScorer):
        raise fail(f"the champion B card must be a scorecard; {version.name} v{version.version} is a "
                   f"{spec.get('model_type')!r}")
    typer.echo(f"B card: {version.name} v{version.version}")
    return scorer.scorecard


@monitor_app.command("drift")
def monitor_drift(
    model: Annotated[str, typer.Option(help="NAME, NAME@alias or NAME:VERSION (default alias champion).")],
    baseline: Annotated[Path, typer.Option(help="Development data: a portfolio folder or a Parquet file.")],
    current: Annotated[Path, typer.Option(help="New data: a portfolio folder or a Parquet file.")],
    out: Annotated[Path, typer.Option(help="Folder for drift_report.html and drift_summary.json.")] = Path("reports/drift"),
    thresholds: Annotated[Path | None, typer.Option(help="Thresholds YAML; default the packaged one.")] = None,
) -> None:
    """Score PSI, CSI, data changes, classes and back-testing of a registered scorecard."""
    from riskmodels.batch import parse_model_ref
    from riskmodels.monitoring.drift import run_drift
    from riskmodels.monitoring.drift.report import record_drift_run, write_drift_report
    from riskmodels.monitoring.drift.thresholds import load_thresholds
    from riskmodels.registry import ModelNotFound

    try:
        parse_model_ref(model)
        limits = load_thresholds(thresholds)
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc).replace("model must", "--model must").replace("thresholds must", "--thresholds must")) from exc
    for option, path in (("--baseline", baseline), ("--current", current)):
        if not path.exists():
            raise fail(f"{option} must be a portfolio folder or a Parquet file; got {str(path)!r}")
    out_dir = writable_dir(out)
    try:
        result = run_drift(model, baseline, current, limits)
    except ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "--model must")) from exc
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    paths = write_drift_report(result, limits, out_dir)
    run_id = record_drift_run(result, paths)
    flagged = [c for c in result.checks if c.status != "green"]
    typer.echo(f"{result.model.name} v{result.model.version}: {result.overall.upper()} "
               f"({len(result.checks)} checks, {len(flagged)} amber or red); MLflow run {run_id}")
    for check in sorted(flagged, key=lambda c: c.status != "red"):
        typer.echo(f"  {check.status:<5} {check.name} = {check.value:.4g}: {check.detail}")
    typer.echo(f"report: {paths[0]}\nsummary: {paths[1]}\nMLflow run {run_id}")


@monitor_app.command("vintage")
def monitor_vintage(
    data: Annotated[Path, typer.Option(help="Folder holding behavior_snapshots.parquet.")] = Path("data/synthetic"),
    out: Annotated[Path, typer.Option(help="Folder for vintage_report.html and the CSV tables.")] = Path("reports/vintage"),
    cohort: Annotated[str, typer.Option(help="Cohorts by booking 'month', 'quarter', or 'auto' (months if thick).")] = "auto",
) -> None:
    """Vintage curves, roll-rate matrices and the evidence behind the 12-month 90+ DPD bad definition."""
    from riskmodels.monitoring.vintage import analyse_vintages, read_snapshots
    from riskmodels.monitoring.vintage.report import REPORT_NAME, write_vintage_report

    if cohort not in ("auto", "month", "quarter"):
        raise fail(f"--cohort must be 'auto', 'month' or 'quarter'; got {cohort!r}")
    if not (data / "behavior_snapshots.parquet").is_file():
        raise fail(f"--data must hold behavior_snapshots.parquet; got {str(data)!r}")
    out_dir = writable_dir(out)
    with typer.progressbar(length=3, label="vintages", file=None) as bar:
        try:
            snapshots = read_snapshots(data)
            bar.update(1)
            analysis = analyse_vintages(snapshots, cohort)
        except ValueError as exc:
            raise fail(str(exc)) from exc
        bar.update(1)
        paths = write_vintage_report(analysis, out_dir)
        bar.update(1)
    ev = analysis.evidence
    bad = analysis.curves[(analysis.curves["threshold"] == "90+")
                          & (analysis.curves["months_on_book"] == ev.horizon)]
    typer.echo(f"{analysis.n_accounts:,} accounts to {analysis.as_of}, {len(bad)} {analysis.cohort_freq} cohorts "
               f"with MOB {ev.horizon}: ever 90+ by MOB {ev.horizon} from {bad['bad_rate'].min():.2%} to "
               f"{bad['bad_rate'].max():.2%}; hazard at the window's end {ev.hazard_ratio:.0%} of its peak")
    typer.echo(f"report: {paths[REPORT_NAME]}")


@monitor_app.command("estimate")
def monitor_estimate(
    model: Annotated[str, typer.Option(help="NAME, NAME@alias or NAME:VERSION (default alias champion).")],
    data: Annotated[Path, typer.Option(help="A portfolio folder or a Parquet file of input rows.")] = Path("data/synthetic"),
    out: Annotated[Path, typer.Option(help="Folder for estimate_report.html and estimate_summary.json.")] = Path("reports/estimate"),
    population: Annotated[str, typer.Option(help="'booked' loans, 'all' rows, or 'auto' (booked when flagged).")] = "auto",
    draws: Annotated[int, typer.Option(help="Simulated outcome sets behind each interval.")] = 500,
    level: Annotated[float, typer.Option(help="Coverage of the intervals.")] = 0.95,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 0,
) -> None:
    """Estimate AUC and bad rate from the model's PDs before outcomes (CBPE), beside the realised figures."""
    from riskmodels.batch import parse_model_ref
    from riskmodels.monitoring.estimation.report import write_estimate_report
    from riskmodels.monitoring.estimation.run import POPULATIONS, record_estimate_run, run_estimate
    from riskmodels.registry import ModelNotFound

    try:
        parse_model_ref(model)
    except ValueError as exc:
        raise fail(str(exc).replace("model must", "--model must")) from exc
    chosen = next((p for p in POPULATIONS if p == population), None)
    if chosen is None:
        raise fail(f"--population must be one of {list(POPULATIONS)}; got {population!r}")
    if draws < 20:
        raise fail(f"--draws must be at least 20; got {draws}")
    if not 0.0 < level < 1.0:
        raise fail(f"--level must lie strictly between 0 and 1; got {level}")
    if not data.exists():
        raise fail(f"--data must be a portfolio folder or a Parquet file; got {str(data)!r}")
    out_dir = writable_dir(out)
    try:
        run = run_estimate(model, data, population=chosen, draws=draws, level=level, seed=seed)
    except ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "--model must")) from exc
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    paths = write_estimate_report(run, out_dir)
    run_id = record_estimate_run(run, paths)
    c, pct = run.comparison, f"{level:.0%}"
    o = c.overall
    typer.echo(f"{run.model.name} v{run.model.version} on {o.estimate.n:,} {run.population}: expected bad rate "
               f"{o.estimate.bad_rate:.2%} [{o.estimate.bad_rate_interval.low:.2%}, "
               f"{o.estimate.bad_rate_interval.high:.2%}], expected AUC {o.estimate.auc:.4f} "
               f"[{o.estimate.auc_interval.low:.4f}, {o.estimate.auc_interval.high:.4f}] ({pct})")
    if o.realised is not None:
        typer.echo(f"realised on {o.realised.n:,} with outcomes: bad rate {o.realised.bad_rate:.2%} "
                   f"({o.bad_rate_verdict}), AUC {o.realised.auc:.4f} ({o.auc_verdict})")
    if c.flagged:
        typer.echo(f"outside the {pct} interval: {', '.join(c.flagged)}")
    typer.echo(f"report: {paths[0]}\nsummary: {paths[1]}\nMLflow run {run_id}")
