"""The catalogue of reasons an officer gives for the final decision (``override_reasons.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from riskmodels.config_files import load_yaml
from riskmodels.policy.loader import PolicyError

DEFAULT_OVERRIDE_REASONS_PATH = Path(__file__).with_name("override_reasons.yaml")
FinalDecision = Literal["approve", "decline"]


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    decisions: list[FinalDecision] = Field(min_length=1, description="Final decisions that may cite this reason")
    text_zh: str = Field(min_length=1)
    text_en: str = Field(min_length=1)


class OverrideCatalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reasons: dict[str, OverrideReason] = Field(min_length=1)

    def check(self, code: str, decision: FinalDecision) -> OverrideReason:
        """The reason of ``code``; a ``ValueError`` saying what is allowed when it is unknown or
        does not go with ``decision``."""
        reason = self.reasons.get(code)
        if reason is None:
            raise ValueError(f"must be a reason code of the catalogue ({', '.join(sorted(self.reasons))})")
        if decision not in reason.decisions:
            allowed = sorted(c for c, r in self.reasons.items() if decision in r.decisions)
            raise ValueError(f"must be a reason for {decision} ({', '.join(allowed)})")
        return reason


def load_override_reasons(path: Path | None = None) -> OverrideCatalogue:
    """The catalogue YAML (default: the packaged ``override_reasons.yaml``), validated."""
    return load_yaml(OverrideCatalogue, Path(path) if path else DEFAULT_OVERRIDE_REASONS_PATH,
                     "override reasons", "override_reasons", PolicyError)
