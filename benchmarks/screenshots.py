"""The README's pictures of the validator's reports: ``docs/img/drift.png``, ``vintage.png`` and
``estimate.png``, each the top of the report as headless Chromium draws it.

    python -m benchmarks.screenshots [--out docs/img] [--work /tmp/riskmodels-shots] [--rows 20000]

From a clean state it generates a small simulated book (``--rows`` applications, seed 11) and a
drifted one (the simulator's ``--drift``, seed 2027), trains the A card on the first with its
pipeline and promotes it to champion (trainer and approver are two different users, as the
maker-checker rule wants), in a private project home under ``--work``. Then it runs the three
commands a validator runs::

    riskmodels monitor drift --model sme-application-scorecard --baseline BOOK --current DRIFTED
    riskmodels monitor vintage --data BOOK
    riskmodels monitor estimate --model sme-application-scorecard --data BOOK

and screenshots each page at a 1200 px wide viewport (``VIEW``), keeping the PNG small enough
for a README (under ``MAX_BYTES``: reduced to a 256-colour palette when larger). The book and the
store under ``--work`` are kept, so a second run only renders and screenshots again (delete the
folder, or pass ``--fresh``, to train anew). Needs Chromium (``make test`` installs it).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT

VIEW = (1200, 1500)  # px: the title, the overall status and the first section of each report
MAX_BYTES = 250_000
BOOK_SEED, DRIFT_SEED = 11, 2027
TRAINER, APPROVER = "screenshot-trainer", "screenshot-approver"


def _prepare(work: Path, rows: int) -> None:
    """The book and the drifted book on disk and the A card trained and promoted (once)."""
    from pipelines import run_training
    from riskmodels.config import REGISTERED_MODELS, ModelKind, get_settings
    from riskmodels.registry.promotion import promote
    from riskmodels.synth import generate_portfolio, write_portfolio

    book, drifted, done = work / "book", work / "drifted", work / "trained.ok"
    if done.exists():
        return
    write_portfolio(generate_portfolio(rows, BOOK_SEED), book)
    write_portfolio(generate_portfolio(rows // 2, DRIFT_SEED, drift=True), drifted)
    get_settings.cache_clear()
    run_training("application", book)
    os.environ["RISKMODELS_USER"] = APPROVER
    promote(REGISTERED_MODELS[ModelKind.APPLICATION], approver=APPROVER, reason="README screenshots: first champion")
    done.write_text("trained\n", encoding="utf-8")


def _run(*args: str) -> None:
    from riskmodels.cli import app

    app([*args], standalone_mode=False)


def _small_png(shot: Path) -> None:
    """Keep a screenshot under MAX_BYTES: a 256-colour palette is ample for a report page."""
    if shot.stat().st_size <= MAX_BYTES:
        return
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(shot).convert("RGB").quantize(colors=256).save(buffer, format="PNG", optimize=True)
    if len(buffer.getvalue()) > MAX_BYTES:
        raise RuntimeError(f"{shot.name} must be under {MAX_BYTES:,} bytes; got {len(buffer.getvalue()):,} "
                           f"even as a 256-colour palette (lower VIEW's height)")
    shot.write_bytes(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "riskmodels-shots")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--fresh", action="store_true", help="delete --work first: new book, new training")
    args = parser.parse_args(argv)
    work, out = args.work.resolve(), args.out.resolve()
    if args.fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    # A private project home: the repository's own mlruns/ and data/ are never touched.
    os.environ["RISKMODELS_HOME"] = str(work / "home")
    os.environ["RISKMODELS_USER"] = TRAINER
    os.environ.setdefault("RISKMODELS_PSEUDONYM_KEY", "screenshots-pseudonym-key-0123456789abcdef")
    from riskmodels.config import REGISTERED_MODELS, ModelKind, apply_offline_environment

    apply_offline_environment()
    sys.path.insert(0, str(ROOT / "tests"))  # tests/_browser.py: the screenshot tests' Chromium
    import _browser as browser

    _prepare(work, args.rows)
    os.chdir(work)  # the reports name their samples as given: "book", not a temporary path
    model, reports = REGISTERED_MODELS[ModelKind.APPLICATION], work / "reports"
    _run("monitor", "drift", "--model", model, "--baseline", "book", "--current", "drifted",
         "--out", str(reports / "drift"))
    _run("monitor", "vintage", "--data", "book", "--out", str(reports / "vintage"))
    _run("monitor", "estimate", "--model", model, "--data", "book", "--out", str(reports / "estimate"))
    out.mkdir(parents=True, exist_ok=True)
    for name, page in (("drift", "drift/drift_report.html"), ("vintage", "vintage/vintage_report.html"),
                       ("estimate", "estimate/estimate_report.html")):
        shot = browser.screenshot(reports / page, out / f"{name}.png", width=VIEW[0], height=VIEW[1])
        browser.assert_not_blank(shot, min_colours=20, what=f"{name} screenshot")
        _small_png(shot)
        print(f"{shot} {shot.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
