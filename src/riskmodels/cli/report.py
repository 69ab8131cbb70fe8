"""``riskmodels report model``: documents for validators, built from the evidence in MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskmodels.cli._common import fail, writable_dir

report_app = typer.Typer(help="Documents for validators, built from the evidence in MLflow.", no_args_is_help=True)


@report_app.command("model")
def report_model(
    name: Annotated[str, typer.Option(help="Registered model name, e.g. sme-application-scorecard.")],
    version: Annotated[str, typer.Option(help="Version number, an alias such as champion or challenger, or "
                                              "latest (the newest version, e.g. of a model never promoted).")
                       ] = "champion",
    out: Annotated[Path, typer.Option(help="Folder for model_document_NAME_vN.html.")] = Path("reports/models"),
) -> None:
    """Write the model document (Chinese and English) of a registered model, scorecard or LightGBM,
    from its training run's evidence."""
    from riskmodels import registry
    from riskmodels.evaluation.model_document import check_evidence, write_model_document

    out_dir = writable_dir(out)
    try:
        evidence = registry.load_run_evidence(name, version)
        check_evidence(evidence)
    except registry.ModelNotFound as exc:
        raise fail(str(exc).replace("model must", "--name/--version must")) from exc
    except ValueError as exc:
        raise fail(str(exc)) from exc
    path = write_model_document(evidence, out_dir)
    typer.echo(f"{evidence.version.name} v{evidence.version.version} (run {evidence.version.run_id}): {path}")
