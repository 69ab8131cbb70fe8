"""Every benchmark, one after the other: ``make bench`` (``python -m benchmarks.run``).

    python -m benchmarks.run [--full] [--only scoring training] [--no-serving]

Each runs in its own process (so none inherits another's memory) and prints its own table;
results land in ``benchmarks/results/NAME.json``. The serving benchmark (``benchmarks.serving``)
needs the champions of a trained store (``make demo``); it runs when they are there and is
skipped, saying why, when they are not. Default sizes take about 10-15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks.common import ROOT

# In this order. ``real_data`` needs the ``bench`` extra, which ``make bench`` installs.
BENCHMARKS = ("generator", "training", "scoring", "decision", "monitor", "real_data")
SIZED = frozenset({"generator", "training", "scoring"})  # those with large sizes (``--full``)


def champions_available() -> tuple[bool, str]:
    """Whether the configured store has both champions the scoring service loads."""
    from riskmodels.config import REGISTERED_MODELS, get_settings

    settings = get_settings()
    if settings.tracking_uri is None and not (settings.mlruns_dir / "mlflow.db").exists():
        return False, f"no MLflow store under {settings.mlruns_dir} (run `make demo` first)"
    from riskmodels import registry

    for kind in ("application", "fraud"):
        try:
            registry.describe(REGISTERED_MODELS[kind], registry.CHAMPION)
        except registry.ModelNotFound as exc:
            return False, f"no champion of {REGISTERED_MODELS[kind]} ({exc.reason})"
    return True, "champions found"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the large sizes (10M batch, 1M training)")
    parser.add_argument("--only", nargs="+", choices=(*BENCHMARKS, "serving"), help="run only these")
    parser.add_argument("--no-serving", action="store_true", help="skip the serving benchmark")
    args = parser.parse_args(argv)
    chosen = args.only or [*BENCHMARKS, *([] if args.no_serving else ["serving"])]
    failed, took = [], {}
    for name in chosen:
        if name == "serving":
            ok, why = champions_available()
            if not ok:
                print(f"\n== serving: skipped: {why}", flush=True)
                continue
        print(f"\n== {name}", flush=True)
        start = time.perf_counter()
        command = [sys.executable, "-m", f"benchmarks.{name}", *(["--full"] if args.full and name in SIZED else [])]
        # Output goes straight to the terminal: each benchmark prints its own table. The
        # environment carries the offline switches (benchmarks.common sets them on import).
        done = subprocess.run(command, cwd=ROOT, check=False)
        took[name] = time.perf_counter() - start
        if done.returncode != 0:
            failed.append(name)
            print(f"== {name} failed with exit code {done.returncode}", flush=True)
    print("\n" + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in took.items()))
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
