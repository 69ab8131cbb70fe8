"""The record of a challenger's comparison with the champion, and what makes it worse.

Training scores the current champion (its registered spec, the code path the service uses) on
the new run's own out-of-time rows, so both models answer the same rows, and records the result
as ``governance/comparison.json`` with the run. A promotion reads it back and judges it; the
numbers come from ``riskmodels.evaluation.compare``.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from riskmodels.registry.gates import ComparisonRules, PromotionGates

COMPARISON_ARTIFACT = "governance/comparison.json"
NO_INCUMBENT: Final = "no incumbent"
COMPARED: Final = "compared"
TOO_FEW_ROWS: Final = "too few rows"
NOT_COMPARABLE: Final = "not comparable"
Status = Literal["no incumbent", "compared", "too few rows", "not comparable"]


class ComparisonRecord(BaseModel):
    """A challenger against the champion of the day on the challenger's OOT rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status
    champion_version: str | None = None
    n: int = 0
    events: int = 0
    challenger_auc: float | None = None
    champion_auc: float | None = None
    auc_diff: float | None = None  # challenger minus champion
    auc_diff_se: float | None = None
    delong_z: float | None = None
    delong_pvalue: float | None = None  # two-sided
    score_psi: float | None = None  # champion's scores as the baseline
    challenger_hl_pvalue: float | None = None
    champion_hl_pvalue: float | None = None
    challenger_jeffreys_failures: int | None = None
    champion_jeffreys_failures: int | None = None
    note: str = ""  # why no comparison was made

    def summary(self) -> str:
        """One line a person reads in a listing or a refusal."""
        if self.status == NO_INCUMBENT:
            return "no incumbent: no champion to compare with"
        where = f"v{self.champion_version} on {self.n:,} OOT rows ({self.events:,} events)"
        if self.status in (TOO_FEW_ROWS, NOT_COMPARABLE):
            return f"{self.status}: champion {where} ({self.note})"
        parts = [f"vs champion {where}: AUC {self.challenger_auc:.4f} vs {self.champion_auc:.4f} "
                 f"(diff {self.auc_diff:+.4f}, DeLong p {self.delong_pvalue:.3g})",
                 f"score PSI {self.score_psi:.4f}",
                 f"HL p {self.challenger_hl_pvalue:.3g} vs {self.champion_hl_pvalue:.3g}"]
        if self.challenger_jeffreys_failures is not None and self.champion_jeffreys_failures is not None:
            parts.append(f"Jeffreys failures {self.challenger_jeffreys_failures} vs {self.champion_jeffreys_failures}")
        return "; ".join(parts)

    def metrics(self) -> dict[str, float]:
        """The numbers as run metrics (``vs_champion.*``), for the MLflow UI's run table."""
        names = ("n", "events", "challenger_auc", "champion_auc", "auc_diff", "auc_diff_se", "delong_pvalue",
                 "score_psi", "challenger_hl_pvalue", "champion_hl_pvalue", "challenger_jeffreys_failures",
                 "champion_jeffreys_failures")
        values = self.model_dump()
        return {f"vs_champion.{k}": float(values[k]) for k in names if values[k] is not None}


def worse_than_champion(record: ComparisonRecord, gates: PromotionGates, rules: ComparisonRules) -> list[str]:
    """Why the challenger is worse than the champion it was compared with; empty when it is not.

    Worse is: an AUC significantly lower (two-sided DeLong at ``rules.alpha``), a Hosmer-Lemeshow
    p below the gate's floor where the champion's is above it, or more classes failing Jeffreys
    than the champion."""
    if record.status != COMPARED:
        return []
    reasons = []
    if (record.auc_diff is not None and record.delong_pvalue is not None and record.auc_diff < 0
            and record.delong_pvalue < rules.alpha):
        reasons.append(f"AUC significantly lower than the champion's ({record.challenger_auc:.4f} vs "
                       f"{record.champion_auc:.4f}, DeLong p {record.delong_pvalue:.3g} < {rules.alpha})")
    floor = gates.min_oot_hl_pvalue
    if (record.challenger_hl_pvalue is not None and record.champion_hl_pvalue is not None
            and record.challenger_hl_pvalue < floor <= record.champion_hl_pvalue):
        reasons.append(f"calibration fails where the champion's passes (Hosmer-Lemeshow p "
                       f"{record.challenger_hl_pvalue:.3g} vs {record.champion_hl_pvalue:.3g}, floor {floor})")
    mine, theirs = record.challenger_jeffreys_failures, record.champion_jeffreys_failures
    if mine is not None and theirs is not None and mine > theirs:
        reasons.append(f"more classes with an underestimated PD than the champion (Jeffreys: {mine} vs {theirs})")
    return reasons
