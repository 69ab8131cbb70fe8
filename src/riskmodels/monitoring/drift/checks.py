"""One named check of the drift report: a value, its thresholds and its traffic light, with
its detail in English and Chinese (the report shows both; the CLI and the JSON keep ``detail``,
the English, and the JSON adds ``detail_zh``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from riskmodels.monitoring.drift.thresholds import Band, Status
from riskmodels.reporting.text import Bilingual


@dataclass(frozen=True)
class Check:
    name: str  # e.g. "score_psi", "csi.bureau_inquiries_3m", "backtest.hosmer_lemeshow"
    group: str  # stability, data, classes, backtest
    status: Status
    value: float
    amber: float | None
    red: float | None
    detail: str
    detail_zh: str

    @property
    def details(self) -> Bilingual:
        return Bilingual(self.detail_zh, self.detail)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def banded(name: str, group: str, value: float, band: Band, detail: Bilingual) -> Check:
    return Check(name, group, band.status(value), float(value), band.amber, band.red, detail.en, detail.zh)


@dataclass(frozen=True)
class Skipped:
    """A check that could not run on these samples, and why (shown, never silently dropped)."""

    name: str
    reason: str
    reason_zh: str

    @staticmethod
    def of(name: str, reason: Bilingual) -> Skipped:
        return Skipped(name, reason.en, reason.zh)

    @property
    def reasons(self) -> Bilingual:
        return Bilingual(self.reason_zh, self.reason)
