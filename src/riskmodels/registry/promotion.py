"""Promotion: a version becomes ``champion`` only through the bank's gates, a comparison with
the champion it replaces, and a named approver who did not train it (maker-checker).

``promote`` judges the version again by the gates file in force (``registry.gates``), reads the
comparison its training run recorded (``registry.comparison``), refuses a worse model unless
forced with a reason, and records the approval on the version: tags ``approval.*`` and a
paragraph of its description. Nothing is recorded for a refused promotion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from riskmodels.registry.comparison import (
    COMPARED,
    COMPARISON_ARTIFACT,
    NO_INCUMBENT,
    ComparisonRecord,
    worse_than_champion,
)
from riskmodels.registry.gates import (
    GATES_ARTIFACT,
    GateResult,
    GatesVerdict,
    PromotionGates,
    check_gates,
    judge,
    load_gates,
)
from riskmodels.registry.runs import TRAINED_BY, current_user

__all__ = ["GATES_ARTIFACT", "ApprovalRefused", "GateResult", "PromotionError", "PromotionGates", "PromotionRecord",
           "PromotionRefused", "check_gates", "promote"]


class PromotionError(Exception):
    """A promotion that did not happen; the message says why."""


class ApprovalRefused(PromotionError):
    """Maker-checker: no approver or reason, or the approver trained the model (bad usage)."""


class PromotionRefused(PromotionError):
    """The version failed a check: a gate, or the comparison with the champion."""


@dataclass(frozen=True)
class PromotionRecord:
    """What a promotion recorded on the version."""

    name: str
    version: str
    previous_champion: str | None
    approver: str
    trainer: str
    reason: str
    approved_at: str  # ISO 8601, UTC
    gates: GatesVerdict
    comparison: str  # the comparison's one-line summary
    forced: bool
    # The account that ran the promotion (``runs.current_user``): the approver is a name given on
    # the command line, the account is who typed it, so an approval the trainer's own account
    # signed in another's name shows.
    promoted_by: str = ""

    def tags(self) -> dict[str, str]:
        return {"approval.approver": self.approver, "approval.reason": self.reason,
                "approval.promoted_by": self.promoted_by,
                "approval.time": self.approved_at, "approval.trained_by": self.trainer,
                "approval.forced": str(self.forced).lower(), "approval.comparison": self.comparison,
                "approval.previous_champion": self.previous_champion or "none",
                **self.gates.tags("approval.gates")}

    def paragraph(self) -> str:
        """The approval as the version description's paragraph."""
        forced = " FORCED past a worse comparison." if self.forced else ""
        return (f"Promoted to champion {self.approved_at} by {self.approver}, from the account {self.promoted_by} "
                f"(trained by {self.trainer}), "
                f"replacing {'v' + self.previous_champion if self.previous_champion else 'no champion'}.{forced} "
                f"Reason: {self.reason}. Gates ({self.gates.source.label}): {self.gates.summary()}. "
                f"Comparison: {self.comparison}.")

    def __str__(self) -> str:
        forced = " (forced)" if self.forced else ""
        return (f"{self.name} v{self.version} is now champion{forced}, approved by {self.approver} from the account "
                f"{self.promoted_by}; gates "
                f"{self.gates.summary()} ({'; '.join(r.detail for r in self.gates.results)}); {self.comparison}")


def _trainer(tags: dict[str, str], run_tags: dict[str, str]) -> str | None:
    return tags.get(TRAINED_BY) or run_tags.get(TRAINED_BY)


@dataclass(frozen=True)
class _Compared:
    record: ComparisonRecord | None  # None: no usable comparison with today's champion
    summary: str
    overridden: str | None = None  # the refusal ``force`` lifted


def _comparison(run_id: str, champion: str | None, force: bool, where: str) -> _Compared:
    """The comparison recorded at training, if it was made with today's champion."""
    from riskmodels import registry

    try:
        record = ComparisonRecord.model_validate_json(registry.load_artifact_text(run_id, COMPARISON_ARTIFACT))
    except registry.ArtifactNotFound as exc:
        raise PromotionRefused(f"{where} must have a recorded comparison with the champion; {exc}") from exc
    compared_with = record.champion_version if record.status != NO_INCUMBENT else None
    if champion is None:
        if compared_with is None:
            return _Compared(record, record.summary())
        return _Compared(None, f"no incumbent (v{compared_with}, compared at training, is no longer champion)")
    problem = None
    if compared_with != champion:
        what = "no champion" if compared_with is None else f"v{compared_with}"
        problem = (f"{where} was compared with {what} at training; the champion is now v{champion}: retrain to "
                   "compare on the same rows")
    elif record.status != COMPARED:
        problem = f"{where} has no comparison with the champion: {record.summary()}"
    if problem is None:
        return _Compared(record, record.summary())
    if not force:
        raise PromotionRefused(f"{problem} (or --force with a --reason)")
    return _Compared(None, f"not compared: {problem}", overridden=problem)


def promote(name: str, version: str | None = None, *, approver: str, reason: str, force: bool = False,
            gates_path: Path | None = None) -> PromotionRecord:
    """Move ``champion`` to ``version`` (default: the challenger) after the gates, the comparison
    with the champion and the maker-checker rule pass; record the approval on the version.

    ``ApprovalRefused``: no approver or reason, or the approver trained the model.
    ``PromotionRefused``: a gate fails (``force`` does not lift the bank's gates), or the model is
    worse than the champion, or was compared with another champion, unless ``force``.
    ``registry.ModelNotFound``: an unknown model or version."""
    from riskmodels import registry

    approver, reason = approver.strip(), reason.strip()
    if not approver:
        raise ApprovalRefused("--approver must name the person approving the promotion; got none")
    if not reason:
        raise ApprovalRefused("--reason must say why the model is promoted; got none")
    target = registry.describe(name, version or registry.CHALLENGER)
    where = f"{name} v{target.version}"
    if target.run_id is None:
        raise PromotionRefused(f"{where} must have a training run to be judged by; it has none")
    if registry.CHAMPION in target.aliases:
        raise ApprovalRefused(f"{where} must not be the champion already; it is")
    run_tags = dict(registry.configure().get_run(target.run_id).data.tags)
    trainer = _trainer(target.tags, run_tags)
    if trainer is None:
        raise ApprovalRefused(f"{where} must record who trained it ({TRAINED_BY}) for maker-checker; it does not")
    if approver.casefold() == trainer.casefold():
        raise ApprovalRefused(f"--approver must be someone other than the model's trainer; got {approver!r}, "
                              f"who trained {where}")
    bank = load_gates(gates_path)
    verdict = judge(name, target.metrics, bank)
    if not verdict.passed:
        raise PromotionRefused(f"{where} not promoted; failed gates of {bank.label}: "
                               + "; ".join(f"{r.gate} ({r.detail})" for r in verdict.results if not r.passed))
    try:
        champion: str | None = registry.describe(name, registry.CHAMPION).version
    except registry.ModelNotFound:
        champion = None
    compared = _comparison(target.run_id, champion, force, where)
    summary = compared.summary
    worse = worse_than_champion(compared.record, bank.for_model(name), bank.rules.comparison) \
        if compared.record is not None else []
    if worse and not force:
        raise PromotionRefused(f"{where} not promoted: worse than champion v{champion}: " + "; ".join(worse)
                               + " (or --force with a --reason)")
    if worse:
        summary += "; WORSE: " + "; ".join(worse)
    done = PromotionRecord(name, target.version, champion, approver, trainer, reason,
                           datetime.now(UTC).isoformat(timespec="seconds"), verdict, summary,
                           forced=bool(worse) or compared.overridden is not None, promoted_by=current_user())
    registry.set_alias(name, registry.CHAMPION, target.version)
    registry.tag_version(target, done.tags())
    registry.set_description(target, "\n\n".join(p for p in (target.description, done.paragraph()) if p))
    if champion is not None:
        registry.tag_version(registry.describe(name, champion),
                             {"champion.replaced_by": target.version, "champion.replaced_at": done.approved_at})
    return done

