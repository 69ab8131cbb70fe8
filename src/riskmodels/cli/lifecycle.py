"""``riskmodels train``, ``promote`` and ``demo``: a model's way from data to champion."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from riskmodels.cli._common import fail
from riskmodels.config import TRAINED_KINDS, ModelKind


class TrainKind(StrEnum):
    """What ``train`` accepts: each trained kind, or all of them in order."""

    application = ModelKind.APPLICATION.value
    fraud = ModelKind.FRAUD.value
    behavior = ModelKind.BEHAVIOR.value
    collection = ModelKind.COLLECTION.value
    all = "all"


def train(
    kind: Annotated[TrainKind, typer.Argument(help="Which model to train.")],
    data: Annotated[Path, typer.Option(help="Folder with the portfolio tables.")] = Path("data/synthetic"),
    config: Annotated[Path | None, typer.Option(help="Pipeline YAML; default the packaged KIND.yaml.")] = None,
) -> None:
    """Validate data, train, evaluate, log to MLflow and register as `challenger`."""
    from riskmodels.training import train as run_training

    if not data.is_dir():
        raise fail(f"--data must be a folder with the portfolio tables; got {str(data)!r}")
    kinds = list(TRAINED_KINDS) if kind is TrainKind.all else [ModelKind(kind.value)]
    for k in kinds:
        result = run_training(k, data, config)
        typer.echo(json.dumps(result.summary(), ensure_ascii=False, indent=2))


def promote(
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str | None, typer.Option(help="Version to promote; default the challenger.")] = None,
) -> None:
    """Move the `champion` alias after checking the promotion gates; refuse otherwise."""
    from riskmodels.registry import ModelNotFound
    from riskmodels.registry.promotion import PromotionRefused
    from riskmodels.registry.promotion import promote as do_promote

    try:
        decision = do_promote(name, version)
    except ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "NAME/--version must")) from exc
    except PromotionRefused as exc:
        raise fail(str(exc)) from exc
    typer.echo(decision)


def demo(
    n_applications: Annotated[int, typer.Option(help="Size of the simulated portfolio.")] = 30_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    data: Annotated[Path, typer.Option(help="Where to write the portfolio.")] = Path("data/synthetic"),
) -> None:
    """The whole job on embedded defaults: generate, train, register, promote, decide."""
    from riskmodels.cli.data import generate
    from riskmodels.decision import decide as do_decide
    from riskmodels.decision.summary import decision_summary
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions
    from riskmodels.registry.promotion import PromotionRefused
    from riskmodels.registry.promotion import promote as do_promote
    from riskmodels.synth import reference_bodies
    from riskmodels.training import train as run_training

    typer.secho(f"1/4 simulating {n_applications:,} applications into {data}", bold=True)
    generate(out=data, n_applications=n_applications, seed=seed, drift=False)
    typer.secho("2/4 training (data quality, fit, evaluation, MLflow registry)", bold=True)
    for kind in TRAINED_KINDS:
        typer.echo(json.dumps(run_training(kind, data, None).summary(), ensure_ascii=False, indent=2))
    typer.secho("3/4 promoting challengers that pass their gates", bold=True)
    for kind in (ModelKind.FRAUD, ModelKind.APPLICATION, ModelKind.CHALLENGER, ModelKind.BEHAVIOR,
                 ModelKind.COLLECTION):
        try:
            typer.echo(do_promote(kind.registered_name))
        except PromotionRefused as exc:  # an honest outcome, shown as such
            typer.secho(f"refused: {exc}", fg=typer.colors.YELLOW)
    typer.secho("4/4 scoring the three reference customers of DOMAIN.md", bold=True)
    try:
        bundle = load_champions()
    except ChampionsUnavailable as exc:  # a refused gate above: say so, without a traceback
        raise fail(f"cannot score the reference customers: {exc}") from exc
    for application in reference_bodies().values():
        typer.echo(decision_summary(do_decide(application, bundle)))
