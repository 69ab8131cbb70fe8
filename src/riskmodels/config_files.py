"""The one way settings files are read: YAML, validated by a pydantic model, every problem named.

The policy, the post-loan policy, the drift thresholds, the scorecard and pipeline configs all
load through ``load_yaml``. A bad file fails with every problem listed, each naming the
setting by its full path, e.g. ``policy.pricing.lgd must be between 0 and 1; got 1.5``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

ModelT = TypeVar("ModelT", bound=BaseModel)

# Pydantic's own wording for the errors a hand-edited file produces, in the project's words.
_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not a known setting (check the spelling)",
    "float_type": "must be a number", "float_parsing": "must be a number",
    "int_type": "must be a whole number", "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false", "bool_parsing": "must be true or false",
    "string_type": "must be text", "list_type": "must be a list",
    "model_type": "must be a mapping of settings", "model_attributes_type": "must be a mapping of settings",
    "finite_number": "must be a finite number",
}


class ConfigFileError(ValueError):
    """A settings file is not valid YAML or breaks its rules; the message names every setting."""


def _path(root: str, loc: tuple[int | str, ...]) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe_error(error: ErrorDetails, root: str = "policy") -> str:
    """One validation error as "root.a.b must ...; got ..."."""
    where = _path(root, tuple(error["loc"]))
    kind = error["type"]
    if kind == "value_error":  # our model checks: the message starts with the setting's name
        return f"{where}.{error['ctx']['error']}" if error["loc"] else f"{root}.{error['ctx']['error']}"
    if kind == "literal_error":
        rule = f"must be one of {error['ctx']['expected']}"
    elif kind in ("too_short", "string_too_short"):
        rule = "must not be empty"
    else:
        rule = _RULES.get(kind, error["msg"][:1].lower() + error["msg"][1:])
    return f"{where} {rule}" if kind == "missing" else f"{where} {rule}; got {_got(error.get('input'))}"


def validate_settings(model: type[ModelT], data: Any, source: str, root: str,
                      error: type[ConfigFileError] = ConfigFileError) -> ModelT:
    """Validate already-parsed settings (a mapping, as read from YAML)."""
    if not isinstance(data, Mapping):
        raise error(f"{source} must be a mapping of settings; got {type(data).__name__}")
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = "\n  ".join(describe_error(e, root) for e in exc.errors())
        raise error(f"{source} is invalid:\n  {problems}") from exc


def read_yaml(path: Path, what: str, error: type[ConfigFileError] = ConfigFileError) -> Any:
    """The parsed YAML of an existing file; FileNotFoundError names ``what`` when it is absent."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{what} must be an existing YAML file; got {str(path)!r}")
    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise error(f"{what} {str(path)!r} must be valid YAML; got {exc}") from exc


def load_yaml(model: type[ModelT], path: Path, what: str, root: str,
              error: type[ConfigFileError] = ConfigFileError) -> ModelT:
    """Read ``path`` and validate it as ``model``; ``what`` names the file in messages and
    ``root`` prefixes each setting's path."""
    return validate_settings(model, read_yaml(path, what, error), f"{what} {str(path)!r}", root, error)
