"""``riskmodels generate`` and ``riskmodels quality check``: the book and its quality."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from riskmodels.cli._common import EXIT_FAILED_CHECK, fail, writable_dir

quality_app = typer.Typer(help="Data-quality checks built from the data contract.", no_args_is_help=True)


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
        raise fail(f"--n-applications must be a positive integer; got {n_applications}")
    if seed < 0:
        raise fail(f"--seed must be a non-negative integer; got {seed}")
    writable_dir(out.parent if not out.exists() else out)
    with tqdm(total=n_applications, unit="app", desc="generating", disable=None) as bar:
        portfolio = generate_portfolio(n_applications, seed, drift=drift, progress=bar.update)
    try:
        paths = write_portfolio(portfolio, out)
    except OSError as exc:  # unwritable, a file in the way, or a folder of someone else's files
        raise fail(str(exc).replace("out_dir", "--out")) from exc
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
        raise fail(f"--table must be one of {sorted(TABLES)}; got {table!r}")
    path = data / f"{table}.parquet" if data.is_dir() else data
    if not path.exists():
        raise fail(f"--data must be a Parquet file or a folder holding {table}.parquet; got {str(data)!r}")
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # not Parquet (pyarrow's ArrowInvalid is a ValueError), unreadable
        raise fail(f"--data must be a readable Parquet file; got {str(path)!r} ({exc})") from exc
    report = check_table(frame, table)
    paths = write_report(report, writable_dir(out))
    status = "PASSED" if report.passed else "FAILED"
    typer.echo(f"{table}: {status} ({report.n_rows} rows); report: {paths[-1]}")
    if not report.passed:
        raise typer.Exit(code=EXIT_FAILED_CHECK)
