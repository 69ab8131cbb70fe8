"""Timed requests for the serving benchmark (``benchmarks.serving``), and its load test: many
requests at one concurrency, with the workers' memory before and after (a leak per request
shows as growth over 10,000 of them)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx
import psutil


class Applicants:
    """Request bodies handed out in turn: ``take(n)`` gives the next ``n``, wrapping around.

    Two kinds: distinct generated applicants (each request a new company, phone and device, as
    a loan system's traffic is), or the three reference customers sent over and over (how this
    benchmark sent them before; every repeat adds to the same identity links, so the link
    store's counts grow with every request)."""

    def __init__(self, bodies: list[dict[str, Any]]) -> None:
        if not bodies:
            raise ValueError("bodies must hold at least one application; got none")
        self.bodies = bodies
        self.next = 0

    def take(self, n: int) -> list[dict[str, Any]]:
        out = [self.bodies[(self.next + i) % len(self.bodies)] for i in range(n)]
        self.next = (self.next + n) % len(self.bodies)
        return out


def generated_bodies(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` applications of a generated book as API bodies (``tests._bodies.as_bodies``)."""
    from riskmodels.contract import APPLICATIONS
    from riskmodels.synth import generate_portfolio
    from tests._bodies import as_bodies

    return as_bodies(generate_portfolio(n, seed).applications[APPLICATIONS.names])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def timed_requests(client: httpx.AsyncClient, path: str, bodies: list[dict[str, Any]], n: int,
                         concurrency: int) -> tuple[list[float], dict[str, int], float]:
    """``n`` requests to ``path`` from ``concurrency`` clients at once: each one's latency in ms,
    the errors by status, and the seconds it all took."""
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


def summary(latencies: list[float], errors: dict[str, int], elapsed: float, concurrency: int) -> dict[str, Any]:
    return {"requests": len(latencies), "concurrency": concurrency, "errors": sum(errors.values()),
            "error_codes": errors, "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99), "mean_ms": statistics.fmean(latencies),
            "throughput_rps": len(latencies) / elapsed}


def memory_mb(pids: list[int]) -> float:
    """The resident memory of ``pids``, summed, in MB."""
    return sum(psutil.Process(pid).memory_info().rss for pid in pids) / 2**20


async def load_test(base: str, path: str, applicants: Applicants, headers: dict[str, str], pids: list[int],
                    n: int, concurrency: int) -> dict[str, Any]:
    """``n`` requests to ``path`` at ``concurrency``: latency, throughput, errors, and the
    memory of ``pids`` (the workers) before and after."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
        for body in applicants.take(15):  # warm-up, before the first memory reading
            await client.post(path, json=body)
        before = memory_mb(pids)
        latencies, errors, elapsed = await timed_requests(client, path, applicants.take(n), n, concurrency)
    return {**summary(latencies, errors, elapsed, concurrency), "memory_mb_before": before,
            "memory_mb_after": memory_mb(pids)}
