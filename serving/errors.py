"""Bad input → a 4xx that names each field at fault and the rule it broke; a card that is not
deployed → 503 saying which and why.

Pydantic's messages are written for programmers ("Input should be a valid integer"); the loan
system's developers and the risk team read these, so each error type gets a plain rule, and
any personal value quoted back is masked.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from riskmodels.contract.privacy import mask_value
from riskmodels.decision import ModelNotDeployed
from serving.schemas import MAX_BATCH, ErrorItem

log = logging.getLogger("riskmodels.serving")

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
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array of applications",
}
# Values we quote back only when they are small scalars: never a whole record.
_SCALARS = (str, int, float, bool, type(None))


def field_path(loc: Sequence[str | int]) -> str:
    """``("body", 3, "owner_age")`` → ``[3].owner_age``; the body itself is ``body``."""
    parts = list(loc[1:]) if loc and loc[0] == "body" else list(loc)
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def rule_for(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("out_of_range", "format", "number_type"):
        return str(error["msg"])  # our own validators already speak plainly
    if kind == "literal_error":
        return f"must be one of: {ctx.get('expected', '')}".replace("'", "")
    if kind in ("string_too_long", "too_long"):
        what = "characters" if kind == "string_too_long" else "applications per request"
        return f"must have at most {ctx.get('max_length', MAX_BATCH)} {what}"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if error.get("input", ...) is None and kind.endswith("_type"):
        return "must not be null"
    return _RULES.get(kind, str(error.get("msg", "is invalid")))


def describe(errors: Sequence[Mapping[str, Any]]) -> list[ErrorItem]:
    """Our error items for pydantic's errors, personal values masked."""
    items = []
    for error in errors:
        path = field_path(error.get("loc", ()))
        item = ErrorItem(field=path, rule=rule_for(error))
        value = error.get("input")
        if isinstance(value, float) and not math.isfinite(value):
            item.got = repr(value)  # JSON has no NaN or infinity: quoted as text ("nan", "inf")
        elif error["type"] != "missing" and isinstance(value, _SCALARS):
            item.got = mask_value(path.rsplit(".", 1)[-1].split("]")[-1], value)
        items.append(item)
    return items


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e["type"] == "json_invalid" for e in errors):
        reason = next(e for e in errors if e["type"] == "json_invalid").get("ctx", {}).get("error", "")
        return JSONResponse({"detail": [{"field": "body", "rule": f"must be valid JSON ({reason})"}]},
                            status_code=400)
    if any(e.get("loc") == ("body",) and isinstance(e.get("input"), bytes) for e in errors):
        # A body that was not parsed as JSON at all: the content type is at fault.
        return JSONResponse({"detail": [{"field": "body", "rule": "must be JSON sent with "
                                         "Content-Type: application/json"}]}, status_code=415)
    items = describe(errors)
    return JSONResponse({"detail": [i.model_dump(exclude_unset=True) for i in items]}, status_code=422)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    headers = getattr(exc, "headers", None)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def _not_deployed(request: Request, exc: ModelNotDeployed) -> JSONResponse:
    # An optional card (B or C) without a champion: the service is up, this route is not.
    return JSONResponse({"detail": str(exc)}, status_code=503)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # A bug of ours, never a rejected input: log it whole (the PII filter masks it) and say
    # nothing of the models to the caller.
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error; nothing was scored"}, status_code=500)


def install(app: FastAPI) -> None:
    """Route the app's errors through the handlers above."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ModelNotDeployed, _not_deployed)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
