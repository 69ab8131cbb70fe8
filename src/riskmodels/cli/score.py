"""``riskmodels score batch``, ``decide`` and ``audit``: answers, one or a book at a time, and
the log of every answer (show, replay application decisions and due-diligence rescorings, verify
a request, purge past retention, migrate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from riskmodels.cli._common import EXIT_FAILED_CHECK, fail

score_app = typer.Typer(help="Score files of applications, accounts or cases.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of every scoring decision.", no_args_is_help=True)


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
        raise fail(f"--engine must be embedded or spark; got {engine!r}")
    if master is not None and engine != "spark":
        raise fail(f"--master needs --engine spark; got --engine {engine}")
    if engine == "embedded" and not Path(input).exists():
        raise fail(f"--input must be a Parquet file or folder; got {input!r}")
    import pyarrow as pa

    from riskmodels.batch.plan import KINDS
    from riskmodels.data.rejects import InputSchemaError
    from riskmodels.registry import ModelNotFound

    if kind is not None and kind not in KINDS:
        raise fail(f"--kind must be one of {list(KINDS)}; got {kind!r}")

    try:
        if engine == "spark":
            try:
                import pyspark  # noqa: F401

                from riskmodels.batch.spark import DEFAULT_MASTER, score_batch_spark
            except ModuleNotFoundError as exc:
                raise fail(f"--engine spark needs pyspark: pip install 'riskmodels[spark]' ({exc})") from exc
            # Spark shows its own progress bar per stage.
            summary = score_batch_spark(model, input, output, kind=kind, master=master or DEFAULT_MASTER)
        else:
            from tqdm import tqdm

            from riskmodels.batch import score_batch as run_batch

            with tqdm(unit="row", desc="scoring", disable=None) as bar:
                summary = run_batch(model, Path(input), Path(output), kind=kind, progress=bar.update)
    except ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "--model must")) from exc
    except InputSchemaError as exc:  # another table, or a column of the wrong type: a broken export
        raise fail(str(exc)) from exc
    except pa.ArrowInvalid as exc:
        raise fail(f"--input must be a Parquet file or folder of parts; got {input!r} ({exc})") from exc
    except OSError as exc:  # an --output folder that cannot be made or written
        raise fail(f"--output must be writable; got {output!r} ({exc.strerror or exc})") from exc
    # A decision's "version" lists every model it read (name:version,...), a model's is a number.
    version = f"v{summary.version}" if str(summary.version).isdigit() else f"({summary.version})"
    typer.echo(f"{summary.model} {version}: read {summary.rows_read:,}, scored {summary.rows_scored:,}, "
               f"rejected {summary.rows_rejected:,} in {summary.seconds:.1f} s "
               f"({summary.rows_per_second:,.0f} rows/s) -> {summary.output_path}; rejects: {summary.rejects_path}")


def decide(
    input: Annotated[Path, typer.Option("--input", help="Application as a JSON body, checked as the API checks it.")],
    pretty: Annotated[bool, typer.Option(help="Print a readable summary instead of JSON.")] = False,
) -> None:
    """Score one application with the champion models and print the full answer."""
    from riskmodels.contract import APPLICATIONS
    from riskmodels.data.rejects import record_problems
    from riskmodels.decision import decide as do_decide
    from riskmodels.decision.summary import decision_summary
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    try:
        application = json.loads(input.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise fail(f"--input must be a readable JSON file; got {str(input)!r} ({exc})") from exc
    if not isinstance(application, dict):
        raise fail(f"--input must hold one application, a JSON object; got a JSON {type(application).__name__}")
    problems = record_problems(application, APPLICATIONS)
    if problems:  # the API's 422: nothing is scored
        raise fail(f"--input breaks the applications contract, nothing was scored: {'; '.join(problems)}")
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:
        raise fail(f"{exc}; run `riskmodels train all` and `riskmodels promote` first") from exc
    answer = do_decide(application, bundle)
    typer.echo(decision_summary(answer) if pretty else answer.model_dump_json(indent=2))


@audit_app.command("show")
def audit_show(request_id: Annotated[str, typer.Argument(help="The request id of a past decision.")]) -> None:
    """Show a past decision and whether today's champion models would answer the same."""
    from dataclasses import asdict

    from riskmodels.audit import AuditError, AuditRecordNotFound, replay, show
    from riskmodels.audit.records import ACCOUNT_ENDPOINTS
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    try:
        record = show(request_id)
    except (AuditRecordNotFound, AuditError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    typer.echo(json.dumps(asdict(record), default=str, ensure_ascii=False, indent=2))
    if record.endpoint in ACCOUNT_ENDPOINTS:  # shown; a B or C answer is not replayed
        typer.echo(f"a {record.endpoint} answer: not replayed (replay covers application decisions)")
        return
    try:
        _, same = replay(record, load_champions())
    except ChampionsUnavailable as exc:
        raise fail(f"cannot replay: {exc}") from exc
    typer.echo("today's models answer the same" if same else "today's models answer DIFFERENTLY")


@audit_app.command("replay")
def audit_replay(
    request_ids: Annotated[list[str], typer.Argument(help="Request ids of past application decisions or "
                                                          "due-diligence rescorings.")],
) -> None:
    """Replay past answers with today's champion models: each says `same`, or DIFFERENT with the
    recorded and replayed values of every field that differs (exit 1 when any differs)."""
    from riskmodels.audit import AuditError, AuditRecordNotFound, differing_fields, replay_outcome, show
    from riskmodels.audit.records import check_replayable
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    try:  # every record found and replayable before any model is loaded
        records = [show(request_id) for request_id in request_ids]
        for record in records:
            check_replayable(record)
    except (AuditRecordNotFound, AuditError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:
        raise fail(f"cannot replay: {exc}") from exc
    differ = 0
    for request_id, record in zip(request_ids, records, strict=True):
        try:
            _, outcome = replay_outcome(record, bundle)
        except AuditError as exc:
            raise fail(str(exc).strip("'\"")) from exc
        fields = differing_fields(record, outcome)
        if not fields:
            typer.echo(f"{request_id} ({record.endpoint}): same")
            continue
        differ += 1
        recorded = record.outcome()
        shown = "; ".join(f"{name}: recorded {json.dumps(recorded[name], ensure_ascii=False, default=str)}, replayed "
                          f"{json.dumps(outcome.get(name), ensure_ascii=False, default=str)}" for name in fields)
        typer.echo(f"{request_id} ({record.endpoint}): DIFFERENT: {shown}")
    if differ:
        typer.echo(f"{differ} of {len(request_ids)} answers differ from the record")
        raise typer.Exit(EXIT_FAILED_CHECK)


@audit_app.command("verify")
def audit_verify(
    request_id: Annotated[str, typer.Argument(help="The request id of a past decision.")],
    body: Annotated[Path, typer.Option(help="The request body (JSON) the loan system says it sent.")],
    key_file: Annotated[Path | None, typer.Option(help="The pseudonym key the record was hashed with, if it is "
                                                       "neither the configured one nor among "
                                                       "RISKMODELS_PSEUDONYM_KEY_PREVIOUS_FILES.")] = None,
) -> None:
    """Say whether BODY is the request the decision was made for (exit 0) or not (exit 1)."""
    from riskmodels.audit import AuditError, AuditRecordNotFound, show, verify_body
    from riskmodels.config import PseudonymKeyError, get_settings, read_pseudonym_key_file

    try:
        sent = json.loads(body.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise fail(f"--body must be a readable JSON file; got {str(body)!r} ({exc})") from exc
    if not isinstance(sent, dict):
        raise fail(f"--body must hold one JSON object; got {type(sent).__name__}")
    try:
        settings = get_settings()
        key = read_pseudonym_key_file(key_file) if key_file else settings.resolved_pseudonym_key()
        check = verify_body(show(request_id), sent, key, settings.resolved_previous_pseudonym_keys())
    except (AuditRecordNotFound, AuditError, PseudonymKeyError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    if check.matches:
        typer.echo(f"match: {request_id} was decided on this body (its identifiers and every other field)")
        return
    why = [] if check.identifiers_match else ["the ID number or phone differ from those the decision was made for"]
    if check.differing_fields:
        why.append("fields differ from the stored input: " + ", ".join(check.differing_fields))
    typer.echo(f"NO match: {request_id}: " + "; ".join(why))
    raise typer.Exit(EXIT_FAILED_CHECK)


@audit_app.command("purge")
def audit_purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")] = False,
) -> None:
    """Delete the records older than the retention (RISKMODELS_AUDIT_RETENTION_DAYS, default 5 years)."""
    from datetime import UTC, datetime, timedelta

    from riskmodels.audit import AuditError, AuditLog
    from riskmodels.config import get_settings

    settings = get_settings()
    path = settings.resolved_audit_db
    if not path.exists():
        raise fail(f"no audit log at {path}: nothing has been scored there yet")
    cutoff = datetime.now(UTC) - timedelta(days=settings.audit_retention_days)
    try:
        log = AuditLog(path)
    except AuditError as exc:
        raise fail(str(exc)) from exc
    try:
        if dry_run:
            count = log.count_older(cutoff)
            typer.echo(f"would delete {count} decision records made before {cutoff:%Y-%m-%d %H:%M} UTC "
                       f"(retention {settings.audit_retention_days} days); nothing deleted")
        else:
            count = log.purge(cutoff)
            typer.echo(f"deleted {count} decision records, and the idempotent answers, made before "
                       f"{cutoff:%Y-%m-%d %H:%M} UTC (retention {settings.audit_retention_days} days)")
    finally:
        log.close()


@audit_app.command("migrate")
def audit_migrate() -> None:
    """Drop the plain SHA-256 input digests of a log written before keyed hashes."""
    from riskmodels.audit import migrate_plain_digests
    from riskmodels.config import get_settings

    path = get_settings().resolved_audit_db
    if not path.exists():
        raise fail(f"no audit log at {path}: nothing to migrate")
    moved = migrate_plain_digests(path)
    typer.echo(f"migrated {moved} records of {path}: plain digests dropped, masked inputs and outcomes kept"
               if moved else f"{path} already has keyed hashes: nothing to migrate")


@audit_app.command("key-id")
def audit_key_id() -> None:
    """Print the id of the configured pseudonym key (recorded with every decision it hashed)."""
    from riskmodels.config import PseudonymKeyError, get_settings
    from riskmodels.contract.privacy import key_id

    try:
        typer.echo(key_id(get_settings().resolved_pseudonym_key()))
    except PseudonymKeyError as exc:
        raise fail(str(exc)) from exc
