"""``riskmodels train``, ``promote`` and ``demo``: a model's way from data to champion."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from riskmodels.cli._common import fail, failed_check
from riskmodels.config import TRAINED_KINDS, ModelKind

if TYPE_CHECKING:
    from riskmodels.registry.promotion import PromotionRecord
    from riskmodels.training import TrainingResult

DEMO_APPROVER = "demo-approver"  # the demo's checker: never the trainer, so maker-checker holds
SHOWN_METRICS = ("oot_auc", "oot_ks", "psi_train_oot", "oot_hl_pvalue", "oot_jeffreys_failures", "oracle_oot_auc")


class TrainKind(StrEnum):
    """What ``train`` accepts: each trained kind, or all of them in order."""

    application = ModelKind.APPLICATION.value
    fraud = ModelKind.FRAUD.value
    behavior = ModelKind.BEHAVIOR.value
    collection = ModelKind.COLLECTION.value
    all = "all"


def _report(result: TrainingResult, err: bool) -> None:
    """What a training run produced, as a person reads it: the reports, the gates, the comparison."""
    def line(text: str = "", **style: object) -> None:
        typer.secho(text, err=err, **style)  # type: ignore[arg-type]

    alias = "registered as challenger" if result.passed_gates else "registered WITHOUT the challenger alias"
    line(f"{result.model_name} v{result.version} (run {result.run_id}): {alias}", bold=True)
    for path in result.quality_reports:
        line(f"  data quality       {path}")
    if result.validation_report:
        line(f"  validation report  {result.validation_report}")
    if result.gates is not None:
        line(f"  gates {'passed' if result.gates.passed else 'FAILED'} by {result.gates.source.label}",
             fg=None if result.gates.passed else typer.colors.RED)
        for gate in result.gates.results:
            line(f"    {gate.line()}")
    if result.comparison is not None:
        line(f"  comparison         {result.comparison.summary()}")
    shown = ", ".join(f"{k} {result.metrics[k]:.4g}" for k in SHOWN_METRICS if k in result.metrics)
    line(f"  metrics            {shown}")
    for other in result.related:
        _report(other, err)


def _train(kind: ModelKind, data: Path, config: Path | None) -> TrainingResult:
    """One kind trained; bad input ends the command on one line (exit 2), bad data too (exit 1,
    with the quality report's path)."""
    from riskmodels.config_files import ConfigFileError
    from riskmodels.training import train as run_training
    from riskmodels.training.steps import TrainingDataRejected

    try:
        return run_training(kind, data, config)
    except TrainingDataRejected as exc:
        raise failed_check(f"{kind} not trained: data quality {exc}; report: {exc.reports[0]}") from exc
    except (ConfigFileError, FileNotFoundError) as exc:  # the config, the bank's gates file, a missing table
        raise fail(f"{kind} not trained: {exc}") from exc


def train(
    kind: Annotated[TrainKind, typer.Argument(help="Which model to train.")],
    data: Annotated[Path, typer.Option(help="Folder with the portfolio tables.")] = Path("data/synthetic"),
    config: Annotated[Path | None, typer.Option(help="Pipeline YAML; default the packaged KIND.yaml.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON on stdout (the report goes "
                                                         "to stderr).")] = False,
) -> None:
    """Validate data, train, evaluate, log to MLflow and register; a model that passes the bank's
    gates becomes `challenger`. Exit 1 when the data or a gate fails."""
    if not data.is_dir():
        raise fail(f"--data must be a folder with the portfolio tables; got {str(data)!r}")
    if config is not None and not config.is_file():
        raise fail(f"--config must be a pipeline YAML file; got {str(config)!r}")
    kinds = list(TRAINED_KINDS) if kind is TrainKind.all else [ModelKind(kind.value)]
    results = []
    for k in kinds:
        result = _train(k, data, config)
        _report(result, err=as_json)
        results.append(result)
    if as_json:
        typer.echo(json.dumps([r.summary() for group in results for r in (group, *group.related)],
                              ensure_ascii=False, indent=2))
    failed = [f"{r.model_name} v{r.version} ({', '.join(r.gates.failed)})" for group in results
              for r in (group, *group.related) if r.gates is not None and not r.gates.passed]
    if failed:
        raise failed_check("gates failed, no challenger alias: " + "; ".join(failed))


def _promote(name: str, version: str | None, approver: str, reason: str, force: bool) -> PromotionRecord:
    from riskmodels.registry import ModelNotFound
    from riskmodels.registry.gates import GatesError
    from riskmodels.registry.promotion import ApprovalRefused, PromotionRefused
    from riskmodels.registry.promotion import promote as do_promote

    try:
        return do_promote(name, version, approver=approver, reason=reason, force=force)
    except ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "NAME/--version must")) from exc
    except (ApprovalRefused, GatesError) as exc:
        raise fail(str(exc)) from exc
    except PromotionRefused as exc:
        raise failed_check(str(exc)) from exc


def promote(
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str | None, typer.Option(help="Version to promote; default the challenger.")] = None,
    approver: Annotated[str | None, typer.Option(help="Who approves (maker-checker: not the model's trainer).")]
    = None,
    reason: Annotated[str | None, typer.Option(help="Why it is promoted; recorded with the approval.")] = None,
    force: Annotated[bool, typer.Option(help="Promote a model worse than the champion (or not compared with "
                                             "it); the reason is recorded. Never lifts a failed gate.")] = False,
) -> None:
    """Move the `champion` alias after the bank's gates, the comparison with the champion and a
    named approver's sign-off; the approval is recorded on the version. Exit 1 when refused."""
    if not approver or not approver.strip():
        raise fail("--approver must name the person approving the promotion (maker-checker); got none")
    if not reason or not reason.strip():
        raise fail("--reason must say why the model is promoted; got none")
    typer.echo(str(_promote(name, version, approver, reason, force)))


def demo(
    n_applications: Annotated[int, typer.Option(help="Size of the simulated portfolio.")] = 30_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    data: Annotated[Path, typer.Option(help="Where to write the portfolio.")] = Path("data/synthetic"),
) -> None:
    """The whole job on embedded defaults: generate, train, register, promote, decide."""
    from riskmodels import registry
    from riskmodels.cli.data import generate
    from riskmodels.decision import decide as do_decide
    from riskmodels.decision.summary import decision_summary
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions
    from riskmodels.synth import reference_bodies

    typer.secho(f"1/4 simulating {n_applications:,} applications into {data}", bold=True)
    generate(out=data, n_applications=n_applications, seed=seed, drift=False)
    typer.secho("2/4 training (data quality, fit, evaluation, the bank's gates, MLflow registry)", bold=True)
    for kind in TRAINED_KINDS:
        _report(_train(kind, data, None), err=False)
    typer.secho(f"3/4 promoting each challenger, approved by {DEMO_APPROVER} (not its trainer)", bold=True)
    for kind in (ModelKind.FRAUD, ModelKind.APPLICATION, ModelKind.CHALLENGER, ModelKind.BEHAVIOR,
                 ModelKind.COLLECTION):
        name = kind.registered_name
        try:
            challenger = registry.describe(name, registry.CHALLENGER)
        except registry.ModelNotFound:
            typer.secho(f"{name}: no challenger to promote (its training failed the gates)", fg=typer.colors.YELLOW)
            continue
        if registry.CHAMPION in challenger.aliases:
            typer.echo(f"{name} v{challenger.version} is champion already")
            continue
        try:
            typer.echo(str(_promote(name, challenger.version, DEMO_APPROVER,
                                    "riskmodels demo: trained and judged on the simulated book", force=False)))
        except typer.Exit:  # refused, and said so on its line: an honest outcome of the demo
            continue
    typer.secho("4/4 scoring the three reference customers of DOMAIN.md", bold=True)
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:  # a refused gate above: say so, without a traceback
        raise fail(f"cannot score the reference customers: {exc}") from exc
    for application in reference_bodies().values():
        typer.echo(decision_summary(do_decide(application, bundle)))
