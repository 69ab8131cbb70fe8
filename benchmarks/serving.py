"""Serving latency: the real scoring API against an echo floor on the same BentoML settings.

    python -m benchmarks.serving [--requests 600]

Starts ``bentoml serve`` for a trivial echo service (same worker, traffic and logging config,
same mounted FastAPI app under /v1), then for the scoring service with the champions of the
configured MLflow store (RISKMODELS_HOME / RISKMODELS_TRACKING_URI), one after the other so
they never compete for the cores. Each gets a bounded number of requests over loopback,
sequentially and at concurrency 8 and 32. Decisions go to a throw-away audit database.
Prints a table and writes ``benchmarks/results/serving.json``. Targets: p50 of
/v1/score/application within 2x the echo's, p99 under 15 ms sequential, zero errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bentoml
import httpx
from fastapi import Body, FastAPI

from serving import SERVICE_CONFIG
from serving.process import running
from serving.schemas import reference_examples

RESULTS = Path(__file__).resolve().parent / "results" / "serving.json"
CONCURRENCY = (1, 8, 32)
echo_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@echo_app.post("/echo")
def echo(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 (FastAPI idiom)
    """Parse and return the body: the framework's own cost, with nothing of ours."""
    return body


@bentoml.service(name="echo", **SERVICE_CONFIG)
@bentoml.asgi_app(echo_app, path="/v1")
class EchoService:
    """The floor: what any request costs through BentoML and the mounted app."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _load(base: str, path: str, bodies: list[dict[str, Any]], headers: dict[str, str],
                n: int, concurrency: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        for body in bodies * 5:  # warm-up: connections, caches, lazy imports
            await client.post(path, json=body)
        latencies: list[float] = []
        errors: dict[str, int] = {}
        counter = iter(range(n))

        async def worker() -> None:
            for i in counter:
                start = time.perf_counter()
                response = await client.post(path, json=bodies[i % len(bodies)])
                latencies.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {"requests": n, "concurrency": concurrency, "errors": sum(errors.values()), "error_codes": errors,
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "mean_ms": statistics.fmean(latencies),
            "throughput_rps": n / elapsed}


def measure(base: str, path: str, bodies: list[dict[str, Any]], headers: dict[str, str], n: int) -> dict[str, Any]:
    return {f"c{c}": asyncio.run(_load(base, path, bodies, headers, n, c)) for c in CONCURRENCY}


def _row(name: str, r: dict[str, Any]) -> str:
    return (f"{name:<34}{r['concurrency']:>5}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['throughput_rps']:>10.0f}{r['errors']:>8}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per level (default 600)")
    args = parser.parse_args(argv)
    bodies = [e["value"] for e in reference_examples().values()]
    if not bodies:
        sys.stderr.write("no reference applications in data/reference/*.json; nothing to send\n")
        return 2
    key = os.environ.get("RISKMODELS_API_KEYS", "").split(",")[0] or secrets.token_urlsafe(24)
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform()}}
    with tempfile.TemporaryDirectory() as tmp:
        env = {"RISKMODELS_API_KEYS": key, "RISKMODELS_AUDIT_DB": str(Path(tmp) / "bench-audit.sqlite")}
        with running(env, target="benchmarks.serving:EchoService", log_file=Path(tmp) / "echo.log") as base:
            results["echo"] = measure(base, "/v1/echo", bodies, {}, args.requests)
        with running(env, wait_path="/readyz", log_file=Path(tmp) / "scoring.log", timeout=180) as base:
            results["application"] = measure(base, "/v1/score/application", bodies,
                                             {"Authorization": f"Bearer {key}"}, args.requests)
    echo, app = results["echo"], results["application"]
    results["targets"] = {
        "p50_vs_echo": app["c1"]["p50_ms"] / echo["c1"]["p50_ms"],
        "p50_within_2x_echo": app["c1"]["p50_ms"] <= 2 * echo["c1"]["p50_ms"],
        "p99_sequential_under_15ms": app["c1"]["p99_ms"] < 15.0,
        "zero_errors": all(r["errors"] == 0 for part in (echo, app) for r in part.values()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"{'endpoint':<34}{'conc':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>10}{'errors':>8}")
    for name, part in (("echo (floor)", echo), ("POST /v1/score/application", app)):
        for r in part.values():
            print(_row(name, r))
    print("targets:", json.dumps(results["targets"]))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
