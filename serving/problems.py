"""Problem details (RFC 9457): the one shape of every 4xx and 5xx under ``/v1``.

Each problem is ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail``
and ``instance``, plus the request id (also in the ``X-Request-ID`` header) and, for bad input,
``errors``: each field (or header) at fault and the rule it broke. The guard answers before any
route runs, so the same body is built here for a plain ASGI ``send`` as for a route's response.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope, Send

from riskmodels.contract.privacy import mask_numbers
from serving.schemas import ErrorItem, Problem

PROBLEM_JSON = "application/problem+json"
_URN = "urn:riskmodels:problem:"

# Kinds of problem with a meaning of their own; any other status is ``about:blank``, its title
# the HTTP status phrase (RFC 9457 §4.2.1).
KINDS: dict[str, str] = {
    "malformed-body": "The body is not well-formed JSON text",
    "invalid-input": "The input breaks the contract",
    "invalid-header": "A header breaks its rule",
    "not-ready": "The models are not loaded",
    "not-deployed": "This card is not deployed",
    "no-keys": "No keys are configured",
    "wrong-key-kind": "This key may not call this route",
    "request-id-taken": "The request id names another decision",
    "idempotency-key-reused": "The Idempotency-Key was used with another body",
    "reload-failed": "The reload failed; the previous models stay in use",
    "reload-refused": "The new models failed their checks; the previous models stay in use",
    "deadline": "No answer within the deadline; a decision made later is audited",
    "unknown-reference": "A field names nothing recorded here",
    "conflict": "The request clashes with what is recorded",
    "facility-expired": "The facility is past its expiry date",
    "internal": "Internal error",
}


class ProblemError(HTTPException):
    """Raised by a route (or while reading its body): answered as this problem."""

    def __init__(self, status: int, detail: str, kind: str | None = None, errors: Sequence[ErrorItem] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status, detail, headers)
        self.kind = kind
        self.errors = list(errors) if errors is not None else None


def request_id_of(scope: Scope) -> str:
    """The request id ``RequestContext`` gave this request (a new one outside it, e.g. in a
    unit test of a handler)."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = uuid.uuid4().hex
    return str(state["request_id"])


def masked(item: ErrorItem) -> ErrorItem:
    """The item with anything that could be an ID or a mobile number masked, in its field as in
    its value: a personal value arrives under any name (a misspelt key, a shifted column, a
    number in a name), not only under the personal fields' own, which ``describe`` masks whole."""
    field = mask_numbers(item.field)
    got = item.got
    if isinstance(got, str):
        got = mask_numbers(got)
    elif isinstance(got, int) and not isinstance(got, bool) and mask_numbers(str(got)) != str(got):
        got = mask_numbers(str(got))  # an ID sent as a JSON number: quoted back masked, as text
    if field == item.field and got is item.got:
        return item
    # model_copy keeps ``got`` unset where it was (encode leaves it out then).
    return item.model_copy(update={"field": field, **({"got": got} if "got" in item.model_fields_set else {})})


def problem_of(scope: Scope, status: int, detail: str, kind: str | None = None,
               errors: Sequence[ErrorItem] | None = None, model: type[Problem] = Problem,
               **extensions: Any) -> Problem:
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}; got {kind!r}")
    return model(type=_URN + kind if kind else "about:blank",
                 title=KINDS[kind] if kind else HTTPStatus(status).phrase,
                 status=status, detail=mask_numbers(detail), instance=mask_numbers(str(scope.get("path", ""))),
                 request_id=request_id_of(scope),
                 **({"errors": [masked(e) for e in errors]} if errors is not None else {}), **extensions)


def encode(problem: Problem) -> bytes:
    # exclude_unset: an error item's ``got`` appears only when a value was received.
    return problem.model_dump_json(exclude_unset=True).encode("utf-8")


def problem_response(scope: Scope, status: int, detail: str, kind: str | None = None,
                     errors: Sequence[ErrorItem] | None = None, headers: dict[str, str] | None = None,
                     model: type[Problem] = Problem, **extensions: Any) -> Response:
    """A route's or an exception handler's problem answer."""
    problem = problem_of(scope, status, detail, kind, errors, model, **extensions)
    return Response(encode(problem), status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def send_problem(scope: Scope, send: Send, status: int, detail: str, kind: str | None = None,
                       errors: Sequence[ErrorItem] | None = None,
                       headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """The same answer from a plain ASGI middleware, before any route or body is read."""
    body = encode(problem_of(scope, status, detail, kind, errors))
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
