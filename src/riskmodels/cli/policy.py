"""``riskmodels policy simulate``: replay a policy (and an A card) on a book before it goes live."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from riskmodels.cli._common import fail, writable_dir

if TYPE_CHECKING:
    from riskmodels.monitoring.strategy import Book, Replay

policy_app = typer.Typer(help="The lending policy: replay it on a book (the strategy lab).", no_args_is_help=True)


@policy_app.command("simulate")
def simulate(
    data: Annotated[Path, typer.Option(help="Folder holding applications.parquet (outcomes.parquet and "
                                            "truth.parquet when known).")] = Path("data/synthetic"),
    out: Annotated[Path, typer.Option(help="Folder for strategy_report.html and strategy.json.")] = Path(
        "reports/strategy"),
    policy: Annotated[Path | None, typer.Option(help="Lending policy YAML (default: the settings' policy).")] = None,
    baseline_policy: Annotated[Path | None, typer.Option(help="Policy YAML to compare against.")] = None,
    model: Annotated[str | None, typer.Option(help="A card: NAME@alias or NAME:VERSION (default: the champion).")] = None,
    baseline_model: Annotated[str | None, typer.Option(help="A card to compare against.")] = None,
) -> None:
    """Replay the full decision over a book: funnel, cut-offs, review load, and the swap set
    against a baseline policy or model."""
    from riskmodels.monitoring import strategy

    for name, path in (("--policy", policy), ("--baseline-policy", baseline_policy)):
        if path is not None and not path.is_file():
            raise fail(f"{name} must be a policy YAML file; got {str(path)!r}")
    if not (data / "applications.parquet").is_file():
        raise fail(f"--data must hold applications.parquet; got {str(data)!r}")
    book = strategy.read_book(data)
    target = writable_dir(out)
    candidate = _replay(book, model, policy, _label(model, policy))
    baseline = None
    if baseline_policy is not None or baseline_model is not None:
        baseline = _replay(book, baseline_model or model, baseline_policy or policy,
                           _label(baseline_model or model, baseline_policy or policy))
    result = strategy.simulate(candidate, baseline)
    html_file, json_file = strategy.write(result, target)
    shares = ", ".join(f"{row.outcome} {row.share:.1%}" for row in result.funnel.overall.itertuples())
    typer.echo(f"{candidate.label}: {candidate.n:,} applications: {shares}; "
               f"{result.review_per_1000:.0f} reviews per 1,000")
    if result.swaps is not None and baseline is not None:
        swaps = result.swaps.set_index("group")["applications"]
        typer.echo(f"against {baseline.label}: {swaps['swap_in']:,} swap-ins, {swaps['swap_out']:,} swap-outs")
    typer.echo(f"report: {html_file}\njson:   {json_file}")


def _label(model: str | None, policy: Path | None) -> str:
    return f"{model or 'champion A card'} + {policy.name if policy else 'default policy'}"


def _replay(book: Book, model: str | None, policy: Path | None, label: str) -> Replay:
    from riskmodels.monitoring import strategy
    from riskmodels.policy import PolicyError
    from riskmodels.registry.champions import ChampionsUnavailable, load_champions

    try:
        bundle: Any = load_champions(application_model=model, policy_path=policy)
    except (ChampionsUnavailable, PolicyError, ValueError) as exc:
        raise fail(str(exc)) from exc
    with typer.progressbar(length=len(book.applications), label=f"deciding ({label})", file=None) as bar:
        done = [0]

        def advance(rows: int) -> None:
            bar.update(rows - done[0])
            done[0] = rows

        return strategy.replay(book, bundle, label, advance)
