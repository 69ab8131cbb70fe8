"""The ``/v1`` app's exception handlers: every error a problem (``serving.problems``).

- Bad input: 422 naming each field at fault and the rule it broke (400 for a body that is not
  JSON, or that ``serving.body`` refuses; 415 for one not sent as JSON).
- A card that is not deployed: 503 saying which and why.
- Any other HTTP error (ours, or Starlette's 404 and 405): the same shape, its status.

Pydantic's messages are written for programmers ("Input should be a valid integer"); the loan
system's developers and the risk team read these, so each error type gets a plain rule, and
any personal value quoted back is masked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from riskmodels.contract.privacy import PII_COLUMNS, mask_any, mask_value
from riskmodels.decision import ModelNotDeployed
from serving.problems import ProblemError, masked, problem_response
from serving.schemas import MAX_BATCH, ROW_RULE_ERROR, ErrorItem

CONTENT_TYPE_RULE = "must be application/json"

_RULES: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a field of the contract",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number (NaN and infinity are refused)",
    "string_type": "must be a string",
    "date_from_datetime_parsing": "must be a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date written YYYY-MM-DD",
    "date_parsing": "must be a date written YYYY-MM-DD",
    "date_type": "must be a date written YYYY-MM-DD",
    "model_attributes_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array, one object per row",
}
# Values we quote back only when they are small scalars: never a whole record, nor all of a
# long text.
_SCALARS = (str, int, float, bool, type(None))
MAX_QUOTED = 64


def field_path(loc: Sequence[str | int], whole: str = "body") -> str:
    """``("body", 3, "owner_age")`` → ``[3].owner_age``; the whole value itself is ``whole``
    (``body``, or ``row`` for one row of a batch)."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or whole


def rule_for(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("out_of_range", "format", "number_type"):
        return str(error["msg"])  # our own validators already speak plainly
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '')}".replace("'", "")
    if kind in ("string_too_long", "too_long"):
        what = "characters" if kind == "string_too_long" else "rows per request"
        return f"must have at most {ctx.get('max_length', MAX_BATCH)} {what}"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "must not be null"
    return _RULES.get(kind, str(error.get("msg", "is invalid")))


def describe(errors: Sequence[Mapping[str, Any]], whole: str = "body") -> list[ErrorItem]:
    """Our error items for pydantic's errors, personal values masked, long text cut."""
    items = []
    for error in errors:
        path = field_path(error.get("loc", ()), whole)
        if error["type"] == ROW_RULE_ERROR:  # fields each valid, contradictory together: each named
            items += [masked(ErrorItem(field=name if path == whole else f"{path}.{name}", rule=rule, got=value))
                      for name, rule, value in (error.get("ctx") or {})["breaks"]]
            continue
        item = ErrorItem(field=path, rule=rule_for(error))
        value = error.get("input")
        if isinstance(value, float) and not math.isfinite(value):
            item.got = repr(value)  # JSON has no NaN or infinity: quoted as text ("nan", "inf")
        elif error["type"] != "missing" and isinstance(value, _SCALARS):
            name = path.rsplit(".", 1)[-1].split("]")[-1]
            # A refused personal value is malformed more often than not: mask_any hides it whole
            # unless it is well formed, where mask_value would keep its ends (most of a short one).
            value = mask_any(name, value) if isinstance(value, str) and name in PII_COLUMNS else mask_value(name, value)
            item.got = value[:MAX_QUOTED] + "…" if isinstance(value, str) and len(value) > MAX_QUOTED else value
        items.append(masked(item))
    return items


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        reason = next(e for e in errors if e["type"] == "json_invalid").get("ctx", {}).get("error", "")
        return problem_response(request.scope, 400, "the body is not JSON; nothing was scored", "malformed-body",
                                [ErrorItem(field="body", rule=f"must be valid JSON ({reason})")])
    if any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        # A body that was not parsed as JSON at all: the content type is at fault.
        return problem_response(request.scope, 415, "the body must be sent as JSON; nothing was scored",
                                "invalid-header", [ErrorItem(field="Content-Type", rule=CONTENT_TYPE_RULE)])
    return problem_response(request.scope, 422, "the input breaks the contract; nothing was scored",
                            "invalid-input", describe(errors))


async def _http_error(request: Request, exc: HTTPException) -> Response:
    # Ours (ProblemError) say what kind of problem; Starlette's own (404, 405) are about:blank.
    kind, errors = (exc.kind, exc.errors) if isinstance(exc, ProblemError) else (None, None)
    return problem_response(request.scope, exc.status_code, str(exc.detail), kind, errors,
                            dict(exc.headers or {}))


async def _not_deployed(request: Request, exc: ModelNotDeployed) -> Response:
    # An optional card (B or C) without a champion: the service is up, this route is not.
    return problem_response(request.scope, 503, str(exc), "not-deployed")


def install(app: FastAPI) -> None:
    """Route the app's errors through the handlers above. An exception none of them takes is
    answered by ``serving.context.RequestContext`` (500)."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ModelNotDeployed, _not_deployed)  # type: ignore[arg-type]
