"""What every command shares: one-line errors with an exit code, and output folders."""

from __future__ import annotations

import os
from pathlib import Path

import typer

# Exit codes: 2 for bad usage or input a user can fix, 1 for a check that failed.
EXIT_USAGE = 2
EXIT_FAILED_CHECK = 1


def one_line(message: str) -> str:
    """A message on one line: a settings file's error lists each problem on its own line, here
    joined by "; "."""
    return "; ".join(part.strip() for part in message.splitlines() if part.strip())


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` on one line to stderr; raise the returned Exit (code 2, or
    ``code``: ``EXIT_FAILED_CHECK`` for a check that failed). Anything that could be an ID or a
    phone number in the message (a settings file's error quotes the values it refused) is
    masked; the rules naming personal fields stay readable."""
    from riskmodels.contract.privacy import mask_numbers

    typer.secho(f"error: {mask_numbers(one_line(message))}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=code)


def failed_check(message: str) -> typer.Exit:
    """``fail`` with exit code 1: the input was fine, a check on it failed."""
    return fail(message, EXIT_FAILED_CHECK)


def writable_dir(path: Path) -> Path:
    """The folder, created if need be; a clear error if it cannot be written."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"--out must be a writable folder; got {str(path)!r} ({exc.strerror})") from exc
    if not os.access(path, os.W_OK):
        raise fail(f"--out must be a writable folder; got {str(path)!r} (permission denied)")
    return path
