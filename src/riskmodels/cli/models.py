"""``riskmodels models list`` and ``models show``: what the registry holds, as plain tables."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from riskmodels.cli._common import fail

if TYPE_CHECKING:
    from riskmodels.registry import RegisteredVersion

models_app = typer.Typer(help="The registered models: versions, aliases, gates and approvals.", no_args_is_help=True)

NONE = "-"
SHOWN_METRICS = ("oot_auc", "oot_auc_se", "oot_ks", "oot_gini", "psi_train_oot", "oot_hl_pvalue",
                 "oot_jeffreys_failures", "oot_class_monotone", "oracle_oot_auc")


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M") if ms else NONE


def table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell; no borders, so it reads in any terminal or log."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *rows])


def _row(v: RegisteredVersion) -> list[str]:
    from riskmodels import registry

    trainer = v.tags.get(registry.TRAINED_BY) or v.tags.get("approval.trained_by") or NONE
    return [v.name, v.version, ",".join(sorted(v.aliases)) or NONE, v.tags.get("gates", "not recorded"),
            trainer, v.tags.get("approval.approver", NONE), _when(v.created_ms)]


@models_app.command("list")
def list_models() -> None:
    """Every registered model, each version with its aliases, gate verdict, trainer and approver."""
    from riskmodels import registry

    names = registry.registered_names()
    if not names:
        typer.echo("no registered model yet: run `riskmodels train all` first")
        return
    rows = [_row(v) for name in names for v in registry.versions_of(name)]
    typer.echo(table(["MODEL", "VERSION", "ALIASES", "GATES", "TRAINED BY", "APPROVER", "REGISTERED (UTC)"], rows))


def _gate_lines(version: RegisteredVersion) -> list[str]:
    """The training verdict, from the run's record of it (its tags when the record is absent)."""
    from riskmodels import registry
    from riskmodels.registry.gates import VERDICT_ARTIFACT

    try:
        record = json.loads(registry.load_artifact_text(version.run_id or "", VERDICT_ARTIFACT))
    except registry.ArtifactNotFound:
        verdicts = version.tags.get("gates.verdicts")
        return [f"  {v}" for v in verdicts.split("; ")] if verdicts else ["  not recorded"]
    lines = [f"  {'passed' if record['passed'] else 'FAILED'} by {record['file']} (sha256 {record['sha256'][:12]})"]
    lines += [f"    {'pass' if r['passed'] else 'FAIL'} {r['gate']}: {r['detail']}" for r in record["results"]]
    return lines


def _approval_lines(tags: dict[str, str]) -> list[str]:
    if "approval.approver" not in tags:
        return ["  not promoted"]
    forced = " FORCED" if tags.get("approval.forced") == "true" else ""
    return [f"  approved {tags.get('approval.time', NONE)} by {tags['approval.approver']}{forced} from the account "
            f"{tags.get('approval.promoted_by', NONE)} (trained by {tags.get('approval.trained_by', NONE)}; replaced "
            f"{tags.get('approval.previous_champion', NONE)})",
            f"  reason: {tags.get('approval.reason', NONE)}",
            f"  gates at approval: {tags.get('approval.gates', NONE)} by {tags.get('approval.gates.file', NONE)} "
            f"(sha256 {tags.get('approval.gates.sha256', NONE)[:12]})",
            f"  comparison: {tags.get('approval.comparison', NONE)}"]


@models_app.command("show")
def show_model(
    name: Annotated[str, typer.Argument(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str | None, typer.Option(help="Version number or alias; default the champion, else the "
                                                     "latest version.")] = None,
) -> None:
    """One version: its run, metrics, gates, comparison with the champion and approval record."""
    from riskmodels import registry

    try:
        if version is None:
            versions = registry.versions_of(name)
            chosen = next((v for v in versions if registry.CHAMPION in v.aliases), versions[0])
        else:
            chosen = registry.describe(name, version)
    except registry.ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "NAME/--version must")) from exc
    run = registry.run_record(chosen.run_id) if chosen.run_id else None
    out = [f"{chosen.name} v{chosen.version}   aliases: {', '.join(sorted(chosen.aliases)) or NONE}   "
           f"registered {_when(chosen.created_ms)} UTC"]
    if run is not None:
        out += [f"run          {run.run_id}  {run.name!r}  started {_when(run.start_time_ms)} UTC",
                f"trained by   {run.tags.get(registry.TRAINED_BY, NONE)}",
                f"code         {run.tags.get('git_commit', NONE)}",
                f"data         sha256 {run.params.get('data.hash', NONE)}"]
    shown = [f"{k} {chosen.metrics[k]:.4g}" for k in SHOWN_METRICS if k in chosen.metrics]
    out += [f"metrics      {', '.join(shown) or NONE}", "gates (at training)", *_gate_lines(chosen),
            f"comparison   {chosen.tags.get('comparison.summary', 'not recorded')}",
            "approval", *_approval_lines(chosen.tags)]
    if chosen.description:
        out += ["description", *textwrap.wrap(chosen.description, 100, initial_indent="  ", subsequent_indent="  ")]
    typer.echo("\n".join(out))
