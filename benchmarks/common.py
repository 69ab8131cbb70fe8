"""What every benchmark shares: the machine's description, timing, tables and result files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
CHILD_MARK = "BENCH-RESULT "  # a child process's last line: this mark, then its JSON result

# Nothing may phone home, in the benchmark or in any process it starts.
OFFLINE = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "BENTOML_DO_NOT_TRACK": "true",
           "GX_ANALYTICS_ENABLED": "false", "HF_HUB_OFFLINE": "1"}
for _key, _value in OFFLINE.items():
    os.environ.setdefault(_key, _value)


def cpu_model() -> str:
    info = Path("/proc/cpuinfo")  # Linux; elsewhere the platform module's (vaguer) answer
    if info.exists():
        for line in info.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    import numpy
    import pandas
    import pyarrow

    return {"cores": os.cpu_count(), "cpu_model": cpu_model(), "python": platform.python_version(),
            "platform": platform.platform(), "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "numpy": numpy.__version__, "pandas": pandas.__version__, "pyarrow": pyarrow.__version__,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def timings(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Wall seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def summary(seconds: Sequence[float], rows: int | None = None) -> dict[str, Any]:
    """Median (and spread) of repeated runs, with rows/s of the median when ``rows`` is given."""
    median = statistics.median(seconds)
    out: dict[str, Any] = {"median_s": median, "min_s": min(seconds), "max_s": max(seconds),
                           "runs": [round(s, 6) for s in seconds]}
    if rows is not None:
        out["rows"] = rows
        out["rows_per_s"] = rows / median
    return out


def _status_mb(field: str) -> float | None:
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux's VmHWM, not ru_maxrss: a child started by fork + exec
    inherits its parent's ru_maxrss, so a small child would report the benchmark's own peak."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    rss = _status_mb("VmRSS")
    return rss if rss is not None else float("nan")


def run_child(args: Sequence[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m ARGS`` in a fresh process (its own peak RSS) and return its JSON result."""
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith(CHILD_MARK)]
    if not lines:
        raise RuntimeError(f"child {' '.join(args)} printed no result:\n{done.stdout[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1][len(CHILD_MARK):])
    return result


def report_child(result: dict[str, Any]) -> None:
    print(CHILD_MARK + json.dumps(result), flush=True)


def write_results(name: str, results: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"benchmark": name, "machine": machine(), **results}, indent=2) + "\n",
                    encoding="utf-8")
    return path


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], left: int = 1) -> None:
    """A plain-text table; the first ``left`` columns (labels) left-aligned, numbers right."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.ljust(w) if i < left else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))

    print(f"\n{title}")
    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in cells:
        print(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 1 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def quiet() -> None:
    """Keep the libraries' progress chatter out of the tables."""
    import logging

    for name in ("mlflow", "alembic", "great_expectations", "urllib3", "riskmodels", "lightgbm"):
        logging.getLogger(name).setLevel(logging.WARNING)


def a_card_config() -> Any:
    """The A card's pipeline config (the packaged ``riskmodels/training/configs/application.yaml``)."""
    from riskmodels.training import load_config
    from riskmodels.training.application import ApplicationConfig

    return load_config(ApplicationConfig, "application")


def booked(applications: Any, outcomes: Any, target: str = "bad_12m") -> Any:
    """The A card's development sample, as the pipeline builds it."""
    from riskmodels.training.samples import booked_sample

    return booked_sample(applications, outcomes, None, target)
