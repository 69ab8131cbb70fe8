"""Read and validate the policy YAML; fill the class PDs from the A card's calibration.

A bad file fails with every problem listed, each naming the setting by its full path, e.g.
``policy.pricing.lgd must be between 0 and 1; got 1.5``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from riskmodels.policy.schema import Policy

DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")

# Pydantic's own wording for the errors a hand-edited file produces, in the project's words.
_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not a policy setting (check the spelling)",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list",
    "model_type": "must be a mapping of settings", "model_attributes_type": "must be a mapping of settings",
    "finite_number": "must be a finite number",
}


class PolicyError(ValueError):
    """The policy file is invalid; the message names every setting at fault."""


def _path(loc: tuple[int | str, ...]) -> str:
    out = "policy"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_error(error: ErrorDetails) -> str:
    """One validation error as "policy.a.b must be ...; got ..."."""
    where = _path(tuple(error["loc"]))
    kind = error["type"]
    if kind == "value_error":  # our model checks: the message starts with the setting's name
        return f"{where}.{error['ctx']['error']}" if error["loc"] else f"policy.{error['ctx']['error']}"
    if kind == "literal_error":
        rule = f"must be one of {error['ctx']['expected']}"
    elif kind in ("too_short", "string_too_short"):
        rule = "must not be empty"
    else:
        rule = _RULES.get(kind, error["msg"][:1].lower() + error["msg"][1:])
    return f"{where} {rule}" if kind == "missing" else f"{where} {rule}; got {_got(error.get('input'))}"


def parse_policy(data: Any, source: str = "policy") -> Policy:
    """Validate already-parsed settings (a mapping, as read from YAML)."""
    if not isinstance(data, Mapping):
        raise PolicyError(f"{source} must be a mapping of settings; got {type(data).__name__}")
    try:
        return Policy.model_validate(dict(data))
    except ValidationError as exc:
        problems = "\n  ".join(describe_error(error) for error in exc.errors())
        raise PolicyError(f"{source} is invalid:\n  {problems}") from exc


def load_policy(path: Path | None = None) -> Policy:
    """The policy YAML (default: the packaged ``default_policy.yaml``), validated."""
    path = Path(path) if path is not None else DEFAULT_POLICY_PATH
    if not path.is_file():
        raise PolicyError(f"policy file must be an existing YAML file; got {str(path)!r}")
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy file {str(path)!r} must be valid YAML; got {exc}") from exc
    return parse_policy(data, f"policy file {str(path)!r}")


def with_class_pds(policy: Policy, pds: Mapping[str, float]) -> Policy:
    """The policy with each named class's calibrated PD set (a ``pd_override`` still wins).

    Called when the models load: the A card's training calibrated one PD per class.
    """
    names = [c.name for c in policy.classes]
    unknown = sorted(set(pds) - set(names))
    if unknown:
        raise PolicyError(f"class PDs must name classes of the policy {names}; got {unknown}")
    for name, value in pds.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0 < value < 1):
            raise PolicyError(f"class PD of {name!r} must be a probability strictly between 0 and 1; got {value!r}")
    classes = [c.model_copy(update={"pd": float(pds[c.name])}) if c.name in pds else c for c in policy.classes]
    return policy.model_copy(update={"classes": classes})
