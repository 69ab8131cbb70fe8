"""Serving latency: the real scoring API against an echo floor on the same BentoML settings.

    python -m benchmarks.serving [--requests 600] [--rounds 5]

Starts ``bentoml serve`` for a trivial echo service (same worker, traffic and logging config,
same environment, a mounted FastAPI app under /v1) and for the scoring service with the
champions of the configured MLflow store (RISKMODELS_HOME / RISKMODELS_TRACKING_URI). Both run
at once but are loaded in alternating slices (never together), so the load other processes put
on a shared machine falls on both alike. Each gets a bounded number of requests over loopback,
sequentially and at concurrency 8 and 32: latency percentiles, throughput, errors, and the
servers' own CPU time per request (which, unlike latency, hardly moves with the machine's
load). Then ``decide()`` is timed in-process: the service's work without HTTP. Decisions go
to a throw-away audit database. Prints a table and writes ``benchmarks/results/serving.json``.
Targets: p50 of /v1/score/application within 2x the echo's, p99 under 15 ms sequential, zero
errors, ``decide()`` p50 under 1 ms."""

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bentoml
import httpx
from fastapi import Body, FastAPI

from serving import SERVICE_CONFIG
from serving.schemas import reference_examples
from tests._server import cpu_seconds, running, server_pids

RESULTS = Path(__file__).resolve().parent / "results" / "serving.json"
CONCURRENCY = (1, 8, 32)
echo_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@echo_app.post("/echo")
async def echo(body: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 (FastAPI idiom)
    """Parse and return the body: the framework's own cost, with nothing of ours (``async``,
    as the scoring routes are, so neither pays a thread-pool hop)."""
    return body


@bentoml.service(name="echo", **SERVICE_CONFIG)
@bentoml.asgi_app(echo_app, path="/v1")
class EchoService:
    """The floor: what any request costs through BentoML and the mounted app."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Target:
    base: str
    path: str
    bodies: list[dict[str, Any]]
    headers: dict[str, str]
    pids: list[int]  # the server's processes, whose CPU time per request is measured


async def _timed(client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], n: int,
                 concurrency: int) -> tuple[list[float], dict[str, int], float]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(n))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            try:
                response = await client.post(path, json=bodies[i % len(bodies)])
                outcome = str(response.status_code)
            except httpx.TransportError as exc:  # a dropped connection is an error to count, not a crash
                outcome = type(exc).__name__
            latencies.append((time.perf_counter() - start) * 1000)
            if outcome != "200":
                errors[outcome] = errors.get(outcome, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - began


def _summary(latencies: list[float], errors: dict[str, int], elapsed: float, concurrency: int) -> dict[str, Any]:
    return {"requests": len(latencies), "concurrency": concurrency, "errors": sum(errors.values()),
            "error_codes": errors, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "mean_ms": statistics.fmean(latencies),
            "throughput_rps": len(latencies) / elapsed}


async def _compare(targets: dict[str, Target], n: int, concurrency: int, rounds: int) -> dict[str, dict[str, Any]]:
    """Every target gets ``n`` requests at ``concurrency``, in ``rounds`` alternating slices, so
    a burst of load from elsewhere on the machine falls on all of them alike."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = {name: httpx.AsyncClient(base_url=t.base, headers=t.headers, limits=limits, timeout=30)
               for name, t in targets.items()}
    got: dict[str, tuple[list[float], dict[str, int], list[float]]] = {name: ([], {}, []) for name in targets}
    cpu = dict.fromkeys(targets, 0.0)
    try:
        for name, t in targets.items():  # warm-up: connections, caches, lazy imports
            for body in t.bodies * 5:
                await clients[name].post(t.path, json=body)
        for _ in range(rounds):
            for name, t in targets.items():
                before = cpu_seconds(t.pids)
                latencies, errors, elapsed = await _timed(clients[name], t.path, t.bodies, n // rounds, concurrency)
                cpu[name] += cpu_seconds(t.pids) - before
                got[name][0].extend(latencies)
                for code, count in errors.items():
                    got[name][1][code] = got[name][1].get(code, 0) + count
                got[name][2].append(elapsed)
    finally:
        for client in clients.values():
            await client.aclose()
    # Server CPU per request barely moves with the load others put on the machine, unlike latency.
    return {name: {**_summary(lat, err, sum(el), concurrency), "server_cpu_ms_per_request": 1000 * cpu[name] / len(lat)}
            for name, (lat, err, el) in got.items()}


def measure(targets: dict[str, Target], n: int, rounds: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {name: {} for name in targets}
    for c in CONCURRENCY:
        for name, summary in asyncio.run(_compare(targets, n, c, rounds)).items():
            out[name][f"c{c}"] = summary
    return out


def in_process(bodies: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """``decide()`` for one application in this process: the service's own work, no HTTP."""
    from riskmodels.decision import decide
    from riskmodels.registry.champions import load_champions
    from serving.schemas import ApplicationRequest

    bundle = load_champions()
    rows = [ApplicationRequest.model_validate(b).model_dump(mode="json") for b in bodies]
    timings = {}
    for label, fn in (("decide", lambda row: decide(row, bundle)),
                      ("validate_and_decide", lambda row: decide(
                          ApplicationRequest.model_validate(row).model_dump(mode="json"), bundle))):
        for row in rows * 20:  # warm-up
            fn(row)
        ms = []
        for i in range(repeats):
            start = time.perf_counter()
            fn(rows[i % len(rows)])
            ms.append((time.perf_counter() - start) * 1000)
        timings[label] = {"p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "calls": repeats}
    return timings


def _row(name: str, r: dict[str, Any]) -> str:
    return (f"{name:<34}{r['concurrency']:>5}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}{r['p99_ms']:>9.2f}"
            f"{r['throughput_rps']:>10.0f}{r['errors']:>8}{r['server_cpu_ms_per_request']:>12.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per endpoint and level (default 600)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per level (default 5)")
    args = parser.parse_args(argv)
    bodies = [e["value"] for e in reference_examples().values()]
    if not bodies:
        sys.stderr.write("no reference applications in data/reference/*.json; nothing to send\n")
        return 2
    key = os.environ.get("RISKMODELS_API_KEYS", "").split(",")[0] or secrets.token_urlsafe(24)
    auth = {"Authorization": f"Bearer {key}"}
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform(),
                                           "load_average_before": os.getloadavg()},
                               "requests_per_level": args.requests, "rounds": args.rounds}
    with tempfile.TemporaryDirectory() as tmp:
        env = {"RISKMODELS_API_KEYS": key, "RISKMODELS_AUDIT_DB": str(Path(tmp) / "bench-audit.sqlite")}
        # Both servers up at once; the idle one waits on its socket and costs no CPU.
        with running(env, target="benchmarks.serving:EchoService", log_file=Path(tmp) / "echo.log") as echo_base, \
                running(env, wait_path="/readyz", log_file=Path(tmp) / "scoring.log", timeout=180) as base:
            targets = {"echo": Target(echo_base, "/v1/echo", bodies, {}, server_pids(echo_base)),
                       "application": Target(base, "/v1/score/application", bodies, auth, server_pids(base))}
            results.update(measure(targets, args.requests, args.rounds))
    results["in_process"] = in_process(bodies, args.requests)
    results["machine"]["load_average_after"] = os.getloadavg()
    echo, app = results["echo"], results["application"]
    results["targets"] = {
        "p50_vs_echo": app["c1"]["p50_ms"] / echo["c1"]["p50_ms"],
        "server_cpu_vs_echo": app["c1"]["server_cpu_ms_per_request"] / echo["c1"]["server_cpu_ms_per_request"],
        "p50_within_2x_echo": app["c1"]["p50_ms"] <= 2 * echo["c1"]["p50_ms"],
        "p99_sequential_under_15ms": app["c1"]["p99_ms"] < 15.0,
        "zero_errors": all(r["errors"] == 0 for part in (echo, app) for r in part.values()),
        "decide_p50_under_1ms": results["in_process"]["decide"]["p50_ms"] < 1.0,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'endpoint':<34}{'conc':>5}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>10}{'errors':>8}"
          f"{'cpu ms/req':>12}")
    for name, part in (("echo (floor)", echo), ("POST /v1/score/application", app)):
        for r in part.values():
            print(_row(name, r))
    for label, t in results["in_process"].items():
        print(f"in-process {label:<23}{'':>5}{t['p50_ms']:>9.3f}{'':>9}{t['p99_ms']:>9.3f}")
    print("targets:", json.dumps(results["targets"]))
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
