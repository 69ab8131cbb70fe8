"""Read and validate the policy YAML; fill the class PDs from the A card's calibration.

A bad file fails with every problem listed, each naming the setting by its full path, e.g.
``policy.pricing.lgd must be between 0 and 1; got 1.5`` (``riskmodels.config_files``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from riskmodels.config_files import ConfigFileError, load_yaml, validate_settings
from riskmodels.policy.schema import Policy

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")

class PolicyError(ConfigFileError):
    """A policy file (lending or post-loan) is invalid; the message names every setting at fault."""


def parse_policy(data: Any, source: str = "policy") -> Policy:
    """Validate already-parsed settings (a mapping, as read from YAML)."""
    return validate_settings(Policy, data, source, "policy", PolicyError)


def load_policy(path: Path | None = None) -> Policy:
    """The policy YAML (default: the packaged ``default_policy.yaml``), validated."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    if not path.is_file():  # a policy error, not an OSError: the service's start-up reports it as such
        raise PolicyError(f"policy file must be an existing YAML file; got {str(path)!r}")
    return load_yaml(Policy, path, "policy file", "policy", PolicyError)


def with_class_pds(policy: Policy, pds: Mapping[str, float]) -> Policy:
    """The policy with each named class's PD set (a ``pd_override`` still wins)."""
    names = [c.name for c in policy.classes]
    unknown = sorted(set(pds) - set(names))
    if unknown:
        raise PolicyError(f"class PDs must name classes of the policy {names}; got {unknown}")
    for name, value in pds.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value < 1):
            raise PolicyError(f"class PD of {name!r} must be a probability strictly between 0 and 1; got {value!r}")
    classes = [c.model_copy(update={"pd": float(pds[c.name])}) if c.name in pds else c for c in policy.classes]
    return policy.model_copy(update={"classes": classes})


def with_master_scale_pds(policy: Policy, pd_at_score: Callable[[float], float], max_score: float = 100.0) -> Policy:
    """The policy with every class's PD read from its master scale (``MasterScale.class_pds``):
    ``pd_at_score`` is the A card's line from (unclipped) points to calibrated PD. Called once
    when the models load, so ``decide`` only looks the PDs up."""
    return with_class_pds(policy, policy.master_scale.class_pds(
        {c.name: float(c.min_score) for c in policy.classes}, pd_at_score, max_score))
