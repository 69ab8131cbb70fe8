"""The ``riskmodels`` command: generate data, train, promote, list models, check, decide, serve, demo.

A thin layer over the library, one module per command group: it parses arguments, shows
progress and prints results. It imports nothing but the library (training through
``riskmodels.training``; the service is started by its import string, see ``serve``). Errors a
user can fix end with one line and exit code 2; a failed check exits 1.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from riskmodels.cli import data, lifecycle, lists, loans, models, monitor, policy, report, score, serve
from riskmodels.config import apply_offline_environment

app = typer.Typer(
    help="Credit-risk models for small and micro business lending (小微企业贷款): "
    "application, behavioural and collection scorecards, a fraud model, the lending policy "
    "and a scoring service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False) -> None:
    apply_offline_environment()
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Third-party loggers are chatty at INFO; our own messages are what a risk manager reads.
    for noisy in ("alembic", "mlflow", "great_expectations", "urllib3", "numexpr"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


app.command()(data.generate)
app.add_typer(data.quality_app, name="quality")
app.command()(lifecycle.train)
app.command()(lifecycle.promote)
app.add_typer(models.models_app, name="models")
app.add_typer(monitor.monitor_app, name="monitor")
app.add_typer(policy.policy_app, name="policy")
app.add_typer(lists.lists_app, name="lists")
app.add_typer(score.score_app, name="score")
app.add_typer(score.audit_app, name="audit")
app.add_typer(report.report_app, name="report")
app.add_typer(loans.loans_app, name="loans")
app.command()(serve.serve)
app.command()(score.decide)
app.command()(lifecycle.demo)



def main() -> None:
    """The console script: ``app`` with the parser's own usage errors (a missing argument, an
    unknown option) on one line and exit code 2, like every other error of ours.

    Typer would draw them in a boxed panel of several lines. Its click is private, so they are
    caught as ``typer.TyperException``, the base of click's exceptions there. ``--help`` and a
    bare command still print their help.
    """
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group without its command: help, shown
            if exc.format_message().strip():  # already unless typer's rich output is off
                typer.echo(exc.format_message(), err=True)
            sys.exit(2)
        one_line = " ".join(exc.format_message().split())
        hint = ""
        context = getattr(exc, "ctx", None)
        if context is not None:
            hint = f" (see {context.command_path} --help)"
        typer.secho(f"error: {one_line}{hint}", fg=typer.colors.RED, err=True)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
