"""Inputs for the strategy lab's tests: the head of the session's book and a policy variant.

Import it as ``from _strategy_books import ...`` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

DEFAULT_POLICY = Path(__file__).parents[1] / "src" / "riskmodels" / "policy" / "default_policy.yaml"


def write_book_head(portfolio_dir: Path, book: Path, n: int) -> Path:
    """The first ``n`` applications of a book, with their outcomes and truth, in ``book``."""
    book.mkdir(parents=True, exist_ok=True)
    apps = pd.read_parquet(portfolio_dir / "applications.parquet").head(n)
    apps.to_parquet(book / "applications.parquet")
    for name in ("outcomes", "truth"):
        table = pd.read_parquet(portfolio_dir / f"{name}.parquet")
        table[table["application_id"].isin(apps["application_id"])].to_parquet(book / f"{name}.parquet")
    return book


def policy_approving_from(score: int, path: Path) -> Path:
    """The default lending policy with its approve line at ``score``, written to ``path``."""
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    changed, count = re.subn(r"(?m)^(\s*approve_from:) [0-9.]+", rf"\g<1> {score}", text)
    assert count == 1, "the default policy must set bands.approve_from on one line"
    path.write_text(changed, encoding="utf-8")
    return path
