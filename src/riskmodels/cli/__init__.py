"""The ``riskmodels`` command: generate data, train, promote, check, decide, serve, demo.

A thin layer: it parses arguments, shows progress and prints results; the work is done by
library functions and the pipelines. Errors a user can fix end with exit code 2 and one line.
"""

from __future__ import annotations

import json
import logging
import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from riskmodels.config import apply_offline_environment

app = typer.Typer(
    help="Credit-risk models for small and micro business lending (小微企业贷款): "
    "application, behavioural and collection scorecards, a fraud model, the lending policy "
    "and a scoring service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
quality_app = typer.Typer(help="Data-quality checks built from the data contract.", no_args_is_help=True)
app.add_typer(quality_app, name="quality")
monitor_app = typer.Typer(help="Monitoring: the nightly early-warning batch, drift and back-testing of a model.",
                          no_args_is_help=True)
app.add_typer(monitor_app, name="monitor")
score_app = typer.Typer(help="Score files of applications, accounts or cases.", no_args_is_help=True)
app.add_typer(score_app, name="score")
audit_app = typer.Typer(help="The audit log of every scoring decision.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
report_app = typer.Typer(help="Documents for validators, built from the evidence in MLflow.", no_args_is_help=True)
app.add_typer(report_app, name="report")


class ModelKind(str, Enum):
    application = "application"
    fraud = "fraud"
    behavior = "behavior"
    collection = "collection"
    all = "all"


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False) -> None:
    apply_offline_environment()
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Third-party loggers are chatty at INFO; our own messages are what a risk manager reads.
    for noisy in ("alembic", "mlflow", "great_expectations", "urllib3", "numexpr"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _writable_dir(path: Path) -> Path:
    """The folder, created if need be; a clear error if it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"--out must be a writable folder; got {str(path)!r} ({exc.strerror})") from exc
    if not os.access(path, os.W_OK):
        raise _fail(f"--out must be a writable folder; got {str(path)!r} (permission denied)")
    return path


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder to write the Parquet tables to.")] = Path("data/synthetic"),
    n_applications: Annotated[int, typer.Option(help="Number of applications to simulate.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives identical files.")] = 7,
    drift: Annotated[bool, typer.Option(help="Simulate a clearly shifted population.")] = False,
) -> None:
    """Simulate a small-business loan book: applications, outcomes, snapshots, collection cases."""
    from tqdm import tqdm

    from riskmodels.synth import generate_portfolio, write_portfolio

    if n_applications <= 0:
        raise _fail(f"--n-applications must be a positive integer; got {n_applications}")
    _writable_dir(out.parent if not out.exists() else out)
    with tqdm(total=n_applications, unit="app", desc="generating", disable=None) as bar:
        portfolio = generate_portfolio(n_applications, seed, drift=drift, progress=bar.update)
    try:
        paths = write_portfolio(portfolio, out)
    except OSError as exc:  # unwritable, a file in the way, or a folder of someone else's files
        raise _fail(str(exc).replace("out_dir", "--out")) from exc
    for name, path in paths.items():
        typer.echo(f"{name:<22} {path}")


@quality_app.command("check")
def quality_check(
    table: Annotated[str, typer.Option(help="Contract table to check, e.g. applications.")],
    data: Annotated[Path, typer.Option(help="Parquet file, or a folder holding TABLE.parquet.")],
    out: Annotated[Path, typer.Option(help="Folder for the JSON result and HTML summary.")] = Path("reports/quality"),
) -> None:
    """Check a table against its contract; exit 1 when a critical check fails."""
    import pandas as pd

    from riskmodels.contract import TABLES
    from riskmodels.data.quality import check_table, write_report

    if table not in TABLES:
        raise _fail(f"--table must be one of {sorted(TABLES)}; got {table!r}")
    path = data / f"{table}.parquet" if data.is_dir() else data
    if not path.exists():
        raise _fail(f"--data must be a Parquet file or a folder holding {table}.parquet; got {str(data)!r}")
    report = check_table(pd.read_parquet(path), table)
    paths = write_report(report, _writable_dir(out))
    status = "PASSED" if report.passed else "FAILED"
    typer.echo(f"{table}: {status} ({report.n_rows} rows); report: {paths[-1] if isinstance(paths, (list, tuple)) else paths}")
    if not report.passed:
        raise typer.Exit(code=1)


@app.command()
def train(
    kind: Annotated[ModelKind, typer.Argument(help="Which model to train.")],
    data: Annotated[Path, typer.Option(help="Folder with the portfolio tables.")] = Path("data/synthetic"),
    config: Annotated[Path | None, typer.Option(help="Pipeline YAML; default the packaged KIND.yaml.")] = None,
) -> None:
    """Validate data, train, evaluate, log to MLflow and register as `challenger`."""
    from pipelines import run_training

    if not data.is_dir():
        raise _fail(f"--data must be a folder with the portfolio tables; got {str(data)!r}")
    kinds = ["fraud", "application", "behavior", "collection"] if kind is ModelKind.all else [kind.value]
    for k in kinds:
        result = run_training(k, data, config)
        typer.echo(json.dumps(result.summary(), ensure_ascii=False, indent=2))


@app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str | None, typer.Option(help="Version to promote; default the challenger.")] = None,
) -> None:
    """Move the `champion` alias after checking the promotion gates; refuse otherwise."""
    from riskmodels.registry.promotion import PromotionRefused, promote as do_promote

    try:
        decision = do_promote(name, version)
    except PromotionRefused as exc:
        raise _fail(str(exc)) from exc
    typer.echo(decision)


@monitor_app.command("portfolio")
def monitor_portfolio(
    data: Annotated[Path, typer.Option(help="Folder holding behavior_snapshots.parquet.")] = Path("data/synthetic"),
    out: Annotated[Path, typer.Option(help="Folder for alerts, summary and the HTML report.")] = Path("reports/portfolio"),
    as_of: Annotated[str | None, typer.Option(help="Monitor the month ending on or before this date (YYYY-MM-DD).")] = None,
    b_card: Annotated[bool, typer.Option(help="Score with the champion B card (class migration, actions).")] = True,
) -> None:
    """Run the early-warning rules (and the B card) over every active loan of one month."""
    from datetime import date

    from riskmodels.monitoring.portfolio import monitor_portfolio as run_monitor

    try:
        as_of_date = date.fromisoformat(as_of) if as_of else None
    except ValueError as exc:
        raise _fail(f"--as-of must be a date YYYY-MM-DD; got {as_of!r}") from exc
    if not (data / "behavior_snapshots.parquet").exists():
        raise _fail(f"--data must hold behavior_snapshots.parquet; got {str(data)!r}")
    scorer = _champion_b_card() if b_card else None
    result = run_monitor(data, _writable_dir(out), as_of_date, scorer)
    typer.echo(f"{result.as_of}: {result.n_accounts:,} accounts, {result.n_accounts_alerted:,} with alerts; "
               f"report: {out / 'portfolio_report.html'}")
    typer.echo(result.summary.to_string(index=False))


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
    from riskmodels.monitoring.drift.thresholds import load_thresholds
    from riskmodels.monitoring.drift.report import record_drift_run, write_drift_report
    from riskmodels.registry.store import ModelNotFound

    try:
        parse_model_ref(model)
        limits = load_thresholds(thresholds)
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc).replace("model must", "--model must").replace("thresholds must", "--thresholds must")) from exc
    for option, path in (("--baseline", baseline), ("--current", current)):
        if not path.exists():
            raise _fail(f"{option} must be a portfolio folder or a Parquet file; got {str(path)!r}")
    out_dir = _writable_dir(out)
    try:
        result = run_drift(model, baseline, current, limits)
    except ModelNotFound as exc:
        raise _fail(str(exc).replace("model must", "--model must")) from exc
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    paths = write_drift_report(result, limits, out_dir)
    run_id = record_drift_run(result, paths)
    flagged = [c for c in result.checks if c.status != "green"]
    typer.echo(f"{result.model.name} v{result.model.version}: {result.overall.upper()} "
               f"({len(result.checks)} checks, {len(flagged)} amber or red); MLflow run {run_id}")
    for check in sorted(flagged, key=lambda c: c.status != "red"):
        typer.echo(f"  {check.status:<5} {check.name} = {check.value:.4g}: {check.detail}")
    typer.echo(f"report: {paths[0]}\nsummary: {paths[1]}")


@report_app.command("model")
def report_model(
    name: Annotated[str, typer.Option(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str, typer.Option(help="Version number, or an alias such as champion.")] = "champion",
    out: Annotated[Path, typer.Option(help="Folder for model_document_NAME_vN.html.")] = Path("reports/models"),
) -> None:
    """Write the model document of a registered scorecard from its training run's evidence."""
    from riskmodels import registry
    from riskmodels.evaluation.model_document import check_evidence, write_model_document

    out_dir = _writable_dir(out)
    try:
        evidence = registry.load_run_evidence(name, version)
        check_evidence(evidence)
    except registry.ModelNotFound as exc:
        raise _fail(str(exc).replace("model must", "--name/--version must")) from exc
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    path = write_model_document(evidence, out_dir)
    typer.echo(f"{evidence.version.name} v{evidence.version.version} (run {evidence.version.run_id}): {path}")


def _champion_b_card() -> object | None:
    """The champion B card's compiled scorecard, or None (rules only) when there is none."""
    from mlflow.exceptions import MlflowException

    from riskmodels import registry
    from riskmodels.config import REGISTERED_MODELS
    from riskmodels.models.specs import scorer_from_spec

    try:
        spec, version = registry.load_spec(REGISTERED_MODELS["behavior"], registry.CHAMPION)
    except MlflowException:
        typer.secho("no champion B card: running the early-warning rules only", fg=typer.colors.YELLOW, err=True)
        return None
    typer.echo(f"B card: {version.name} v{version.version}")
    return scorer_from_spec(spec).scorecard


@score_app.command("batch")
def score_batch(
    model: Annotated[str, typer.Option(help="NAME, NAME@alias or NAME:VERSION (default alias champion).")],
    # Text, not Path: with Spark these may be URIs (hdfs://, s3a://) that Path would mangle.
    input: Annotated[str, typer.Option("--input", help="Parquet file or folder of parts.")],
    output: Annotated[str, typer.Option(help="Parquet file to write (a folder of parts with Spark); "
                                             "rejects go beside it.")],
    kind: Annotated[str | None, typer.Option(help="decision: the full decision per row.")] = None,
    engine: Annotated[str, typer.Option(help="embedded (this process) or spark.")] = "embedded",
    master: Annotated[str | None, typer.Option(help="Spark master URL (local[*], yarn, spark://..., k8s://...); "
                                                    "default local[*]. Only with --engine spark.")] = None,
) -> None:
    """Score a Parquet input in bounded memory; rows that break the contract go to a rejects file."""
    if engine not in ("embedded", "spark"):
        raise _fail(f"--engine must be embedded or spark; got {engine!r}")
    if master is not None and engine != "spark":
        raise _fail(f"--master needs --engine spark; got --engine {engine}")
    if engine == "embedded" and not Path(input).exists():
        raise _fail(f"--input must be a Parquet file or folder; got {input!r}")
    if engine == "spark":
        try:
            from riskmodels.batch.spark import DEFAULT_MASTER, score_batch_spark
            import pyspark  # noqa: F401
        except ModuleNotFoundError as exc:
            raise _fail(f"--engine spark needs pyspark: pip install 'riskmodels[spark]' ({exc})") from exc
        # Spark shows its own progress bar per stage.
        summary = score_batch_spark(model, input, output, kind=kind, master=master or DEFAULT_MASTER)
    else:
        from tqdm import tqdm

        from riskmodels.batch import score_batch as run_batch

        with tqdm(unit="row", desc="scoring", disable=None) as bar:
            summary = run_batch(model, Path(input), Path(output), kind=kind, progress=bar.update)
    typer.echo(f"{summary.model} v{summary.version}: read {summary.rows_read:,}, scored {summary.rows_scored:,}, "
               f"rejected {summary.rows_rejected:,} in {summary.seconds:.1f} s "
               f"({summary.rows_per_second:,.0f} rows/s) -> {summary.output_path}; rejects: {summary.rejects_path}")


@audit_app.command("show")
def audit_show(request_id: Annotated[str, typer.Argument(help="The request id of a past decision.")]) -> None:
    """Show a past decision and whether today's champion models would answer the same."""
    from dataclasses import asdict

    from riskmodels.audit import AuditRecordNotFound, replay, show
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    try:
        record = show(request_id)
    except AuditRecordNotFound as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(asdict(record), default=str, ensure_ascii=False, indent=2))
    try:
        _, same = replay(record, load_champions())
    except ChampionsUnavailable as exc:
        raise _fail(f"cannot replay: {exc}") from exc
    typer.echo("today's models answer the same" if same else "today's models answer DIFFERENTLY")


@app.command()
def serve(port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 3000) -> None:
    """Start the scoring service (BentoML) on 127.0.0.1."""
    from serving import serve as run_server

    raise typer.Exit(code=run_server(port=port))


@app.command()
def decide(
    input: Annotated[Path, typer.Option("--input", help="Application as a JSON body, as the API takes it.")],
    pretty: Annotated[bool, typer.Option(help="Print a readable summary instead of JSON.")] = False,
) -> None:
    """Score one application with the champion models and print the full answer."""
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions
    from riskmodels.decision import decide as do_decide
    from riskmodels.decision.summary import decision_summary

    try:
        application = json.loads(input.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise _fail(f"--input must be a readable JSON file; got {str(input)!r} ({exc})") from exc
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:
        raise _fail(f"{exc}; run `riskmodels train all` and `riskmodels promote` first") from exc
    answer = do_decide(application, bundle)
    typer.echo(decision_summary(answer) if pretty else answer.model_dump_json(indent=2))


@app.command()
def demo(
    n_applications: Annotated[int, typer.Option(help="Size of the simulated portfolio.")] = 30_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    data: Annotated[Path, typer.Option(help="Where to write the portfolio.")] = Path("data/synthetic"),
) -> None:
    """The whole job on embedded defaults: generate, train, register, promote, decide."""
    from pipelines import run_training
    from riskmodels.registry.champions import load_champions
    from riskmodels.config import REGISTERED_MODELS
    from riskmodels.decision import decide as do_decide
    from riskmodels.decision.summary import decision_summary
    from riskmodels.registry.promotion import PromotionRefused, promote as do_promote
    from riskmodels.synth import reference_applications

    typer.secho(f"1/4 simulating {n_applications:,} applications into {data}", bold=True)
    generate(out=data, n_applications=n_applications, seed=seed, drift=False)
    typer.secho("2/4 training (data quality, fit, evaluation, MLflow registry)", bold=True)
    for kind in ("fraud", "application", "behavior", "collection"):
        typer.echo(json.dumps(run_training(kind, data, None).summary(), ensure_ascii=False, indent=2))
    typer.secho("3/4 promoting challengers that pass their gates", bold=True)
    for kind in ("fraud", "application", "challenger", "behavior", "collection"):
        try:
            typer.echo(do_promote(REGISTERED_MODELS[kind]))
        except PromotionRefused as exc:  # an honest outcome, shown as such
            typer.secho(f"refused: {exc}", fg=typer.colors.YELLOW)
    typer.secho("4/4 scoring the three reference customers of DOMAIN.md", bold=True)
    bundle = load_champions()
    for application in reference_applications().to_dict(orient="records"):
        typer.echo(decision_summary(do_decide(application, bundle)))


if __name__ == "__main__":  # pragma: no cover
    app()
