"""The bank's promotion gates: one file owned by model-risk management, not by whoever trains.

The packaged ``gates.yaml`` beside this module is the default; ``RISKMODELS_GATES`` (a path)
replaces it. A training run is judged by the file in force when it runs (a run that fails is
registered without the ``challenger`` alias), and a promotion judges the version again by the
file in force when it is approved. Both record which file it was: its path and SHA-256.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.config import get_settings
from riskmodels.config_files import ConfigFileError, load_yaml

DEFAULT_GATES = Path(__file__).with_name("gates.yaml")
GATES_ARTIFACT = "gates.json"  # the thresholds a run was judged by, as the model document shows them
VERDICT_ARTIFACT = "governance/gates_verdict.json"


class GatesError(ConfigFileError):
    """The gates file is missing, invalid, or has no gates for a model."""


class PromotionGates(BaseModel):
    """What one registered model must show on its out-of-time (OOT) sample."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_oot_auc: float = Field(ge=0.5, le=1.0, description="Lowest acceptable OOT AUC")
    max_psi_train_oot: float = Field(gt=0, description="Highest acceptable score PSI, train to OOT")
    require_monotone_classes: bool = Field(description="Bad rate must rise from the best class to the worst (OOT)")
    min_oot_hl_pvalue: float = Field(ge=0, lt=1, description="Lowest acceptable Hosmer-Lemeshow p-value on OOT")
    oot_hl_relevelled: bool = Field(
        default=False, description="Judge the OOT Hosmer-Lemeshow on the PDs' shape, their level moved to the OOT "
        "months' default rate (oot_hl_shape_pvalue): for through-the-cycle PDs, whose level is the long-run "
        "average, not one window's; an underestimated class still fails the Jeffreys gate")
    max_oot_jeffreys_failures: int | None = Field(
        default=None, ge=0, description="Most classes whose PD the Jeffreys test finds underestimated on OOT; "
        "not gated when absent or when the run records no such test")


class ComparisonRules(BaseModel):
    """How a challenger is compared with the champion on the same OOT rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alpha: float = Field(gt=0, lt=0.5, description="Two-sided DeLong level: a lower AUC below it is worse")
    min_rows: int = Field(ge=50, description="Fewest shared OOT rows a comparison is made on")
    min_events: int = Field(ge=5, description="Fewest bad events (and goods) among those rows")


class GatesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    comparison: ComparisonRules
    models: dict[str, PromotionGates] = Field(min_length=1)


@dataclass(frozen=True)
class BankGates:
    """The gates file in force, with where it came from."""

    rules: GatesFile
    path: Path
    sha256: str

    def for_model(self, name: str) -> PromotionGates:
        if name not in self.rules.models:
            raise GatesError(f"gates file {str(self.path)!r} must define gates for {name!r}; "
                             f"got gates for {sorted(self.rules.models)}")
        return self.rules.models[name]

    @property
    def label(self) -> str:
        """``PATH (sha256 1a2b3c4d5e6f)``, as records and messages show the file."""
        return f"{self.path} (sha256 {self.sha256[:12]})"


def load_gates(path: Path | None = None) -> BankGates:
    """``path``, else ``RISKMODELS_GATES``, else the packaged ``gates.yaml``, validated."""
    chosen = Path(path or get_settings().gates or DEFAULT_GATES)
    if not chosen.is_file():
        raise GatesError(f"gates file (RISKMODELS_GATES) must be an existing YAML file; got {str(chosen)!r}")
    rules = load_yaml(GatesFile, chosen, "gates file", "gates", GatesError)
    return BankGates(rules, chosen.resolve(), hashlib.sha256(chosen.read_bytes()).hexdigest())


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'pass' if self.passed else 'FAIL'} {self.gate}: {self.detail}"


def _level(metrics: dict[str, float]) -> str:
    if "oot_bad_rate" in metrics and "oot_mean_pd" in metrics:
        return f"; observed {metrics['oot_bad_rate']:.2%} against a mean PD of {metrics['oot_mean_pd']:.2%}"
    return ""


def check_gates(metrics: dict[str, float], gates: PromotionGates) -> list[GateResult]:
    """Each gate's verdict on a run's metrics; a gate whose metric the run lacks fails, except
    Jeffreys, which is judged only where the run records it."""
    def gate(name: str, metric: str, ok: bool | None, detail: str) -> GateResult:
        if ok is None:
            return GateResult(name, False, f"the run must record {metric!r} to be judged; it does not")
        return GateResult(name, ok, detail)

    def value(metric: str) -> float | None:
        return float(metrics[metric]) if metric in metrics else None

    hl_metric = "oot_hl_shape_pvalue" if gates.oot_hl_relevelled else "oot_hl_pvalue"
    auc, psi, hl, mono = (value(m) for m in ("oot_auc", "psi_train_oot", hl_metric, "oot_class_monotone"))
    hl_name = "Hosmer-Lemeshow p on OOT" + (" (shape: level set to the OOT default rate" + _level(metrics) + ")"
                                            if gates.oot_hl_relevelled else "")
    # An account's rows (snapshots, cases) counted once by the calibration tests (evaluation.SplitData.independent).
    counted = (f"one row per account: {metrics['oot_calibration_rows']:,.0f} of {metrics.get('oot_n', math.nan):,.0f}"
               if "oot_calibration_rows" in metrics else "")
    hl_name += f" ({counted})" if counted else ""
    results = [
        gate("min_oot_auc", "oot_auc", None if auc is None else auc >= gates.min_oot_auc,
             f"oot_auc {auc or 0:.4f} vs minimum {gates.min_oot_auc}"),
        gate("max_psi_train_oot", "psi_train_oot", None if psi is None else psi < gates.max_psi_train_oot,
             f"psi_train_oot {psi or 0:.4f} vs maximum {gates.max_psi_train_oot}"),
        gate("min_oot_hl_pvalue", hl_metric, None if hl is None else hl >= gates.min_oot_hl_pvalue,
             f"{hl_name} {hl or 0:.4f} vs minimum {gates.min_oot_hl_pvalue}"),
    ]
    if gates.require_monotone_classes:
        results.append(gate("require_monotone_classes", "oot_class_monotone", None if mono is None else mono >= 1.0,
                            "bad rate by class " + ("monotone" if (mono or 0) >= 1.0 else "NOT monotone")
                            + (f" ({counted})" if counted else "")))
    jeffreys = value("oot_jeffreys_failures")
    if gates.max_oot_jeffreys_failures is not None and jeffreys is not None:
        results.append(GateResult("max_oot_jeffreys_failures", jeffreys <= gates.max_oot_jeffreys_failures,
                                  f"{jeffreys:.0f} classes with an underestimated PD (Jeffreys{', ' + counted if counted else ''}) vs maximum "
                                  f"{gates.max_oot_jeffreys_failures}"))
    return results


@dataclass(frozen=True)
class GatesVerdict:
    """A model's gate results under one gates file."""

    model_name: str
    results: tuple[GateResult, ...]
    source: BankGates

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[str]:
        return [r.gate for r in self.results if not r.passed]

    def summary(self) -> str:
        """One line: ``passed`` or ``FAILED min_oot_auc (oot_auc 0.61 vs minimum 0.7)``."""
        if self.passed:
            return "passed"
        return "FAILED " + "; ".join(f"{r.gate} ({r.detail})" for r in self.results if not r.passed)

    def tags(self, prefix: str = "gates") -> dict[str, str]:
        """The verdict as registry tags (``gates``, ``gates.failed``, ``gates.verdicts``,
        ``gates.file``, ``gates.sha256``)."""
        return {prefix: "passed" if self.passed else "failed", f"{prefix}.failed": ",".join(self.failed),
                f"{prefix}.verdicts": "; ".join(r.line() for r in self.results),
                f"{prefix}.file": str(self.source.path), f"{prefix}.sha256": self.source.sha256}

    def record(self) -> dict[str, object]:
        """The verdict as a JSON-ready mapping (the run's ``governance/gates_verdict.json``)."""
        return {"model": self.model_name, "passed": self.passed, "file": str(self.source.path),
                "sha256": self.source.sha256,
                "gates": self.source.for_model(self.model_name).model_dump(mode="json"),
                "results": [{"gate": r.gate, "passed": r.passed, "detail": r.detail} for r in self.results]}


def judge(model_name: str, metrics: dict[str, float], source: BankGates | None = None) -> GatesVerdict:
    """``model_name``'s metrics against its gates in ``source`` (default: ``load_gates()``)."""
    source = source or load_gates()
    return GatesVerdict(model_name, tuple(check_gates(metrics, source.for_model(model_name))), source)
