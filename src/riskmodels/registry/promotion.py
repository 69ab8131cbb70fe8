"""Promotion gates: a challenger becomes champion only when its evidence passes them.

The gates a model must pass are fixed at training time (from the pipeline's YAML) and logged
with the run as ``gates.json``, so a later promotion is judged by the rules it was built for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pydantic import BaseModel, Field

GATES_ARTIFACT = "gates.json"


class PromotionGates(BaseModel):
    min_oot_auc: float = Field(default=0.65, ge=0.5, le=1.0, description="Lowest acceptable out-of-time AUC")
    max_psi_train_oot: float = Field(default=0.10, gt=0, description="Highest acceptable score PSI train to OOT")
    require_monotone_classes: bool = Field(default=True, description="Bad rate must rise from class A to D (OOT)")


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str


class PromotionRefused(Exception):
    """A gate failed; the message names it."""


def check_gates(metrics: dict[str, float], gates: PromotionGates) -> list[GateResult]:
    def metric(name: str) -> float:
        if name not in metrics:
            raise PromotionRefused(f"the run must record metric {name!r} to be judged; it does not")
        return float(metrics[name])

    auc, psi = metric("oot_auc"), metric("psi_train_oot")
    results = [
        GateResult("min_oot_auc", auc >= gates.min_oot_auc, f"oot_auc {auc:.4f} vs minimum {gates.min_oot_auc}"),
        GateResult("max_psi_train_oot", psi < gates.max_psi_train_oot,
                   f"psi_train_oot {psi:.4f} vs maximum {gates.max_psi_train_oot}"),
    ]
    if gates.require_monotone_classes:
        mono = metric("oot_class_monotone")
        results.append(GateResult("require_monotone_classes", mono >= 1.0,
                                  "bad rate by class " + ("monotone" if mono >= 1.0 else "NOT monotone")))
    return results


def promote(name: str, version: str | None = None) -> str:
    """Check the gates of ``version`` (default: the challenger) and move ``champion`` to it;
    ``registry.ModelNotFound`` for an unknown model or version."""
    from riskmodels import registry

    target = registry.describe(name, version or registry.CHALLENGER)
    if target.run_id is None:
        raise PromotionRefused(f"{name} v{target.version} has no training run to judge it by")
    gates = PromotionGates.model_validate(json.loads(registry.load_artifact_text(target.run_id, GATES_ARTIFACT)))
    results = check_gates(target.metrics, gates)
    failed = [r for r in results if not r.passed]
    if failed:
        raise PromotionRefused(f"{name} v{target.version} not promoted; failed gates: "
                               + "; ".join(f"{r.gate} ({r.detail})" for r in failed))
    registry.set_alias(name, registry.CHAMPION, target.version)
    return f"{name} v{target.version} is now champion (" + "; ".join(r.detail for r in results) + ")"
