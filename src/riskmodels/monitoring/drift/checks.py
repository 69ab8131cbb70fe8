"""One named check of the drift report: a value, its thresholds and its traffic light."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from riskmodels.monitoring.drift.thresholds import Band, Status


@dataclass(frozen=True)
class Check:
    name: str  # e.g. "score_psi", "csi.bureau_inquiries_3m", "backtest.hosmer_lemeshow"
    group: str  # stability, data, classes, backtest
    status: Status
    value: float
    amber: float | None
    red: float | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def banded(name: str, group: str, value: float, band: Band, detail: str) -> Check:
    return Check(name, group, band.status(value), float(value), band.amber, band.red, detail)


@dataclass(frozen=True)
class Skipped:
    """A check that could not run on these samples, and why (shown, never silently dropped)."""

    name: str
    reason: str
