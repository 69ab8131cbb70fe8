"""The outermost layer of ``/v1``: each request's id, and the last word on errors.

Request ids. A client's ``X-Request-ID`` is echoed when it is sane: 1 to 128 characters, each a
letter, a digit or one of ``. _ ~ -`` (UUIDs, ULIDs and trace ids all are). With none, the
service makes one (32 hex digits). An insane one (too long, other characters) is never echoed
nor logged: the guard refuses the request with 400, naming the header, under an id made here.
The id is the decision's ``request_id`` and its audit record's id; row ``i`` of a batch has
``<id>:<i>`` (``:`` is not allowed in a client's id, so the two never collide).

A repeat answered from its ``Idempotency-Key`` carries the first answer's request id.

Errors. An exception no handler took (a bug of ours) becomes a 500 problem here, and is logged
(through the PII filter) with the request id. It is not re-raised: the server would then drop
the keep-alive connection, and the client's next request on it would fail.
"""

from __future__ import annotations

import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.problems import send_problem

log = logging.getLogger("riskmodels.serving")

REQUEST_ID = "X-Request-ID"
_REQUEST_ID = REQUEST_ID.lower().encode("ascii")
_SANE_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
REQUEST_ID_RULE = ("must be 1 to 128 characters, each a letter, a digit or one of . _ ~ - "
                   "(or left out: the service then makes one)")
REFUSED = "request_id_refused"  # scope state: the client's id was not sane (the guard says so)

IDEMPOTENCY_KEY = "Idempotency-Key"
_IDEMPOTENCY_KEY = IDEMPOTENCY_KEY.lower().encode("ascii")
# Visible ASCII, as common APIs take it (a UUID, say); taken as sent, quotes and all.
_SANE_KEY = re.compile(r"[\x21-\x7e]{1,255}")
IDEMPOTENCY_KEY_RULE = "must be 1 to 255 visible ASCII characters (a UUID, say)"


def row_request_id(request_id: str, index: int) -> str:
    """The request id of row ``index`` of a batch."""
    return f"{request_id}:{index}"


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), as Latin-1 text, or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def idempotency_key(scope: Scope) -> str | None:
    """The client's Idempotency-Key; None when absent. ``ValueError`` when not sane."""
    key = header(scope, _IDEMPOTENCY_KEY)
    if key is not None and _SANE_KEY.fullmatch(key) is None:
        raise ValueError(f"{IDEMPOTENCY_KEY} {IDEMPOTENCY_KEY_RULE}")
    return key


class RequestContext:
    """Gives every request its id (the client's when sane), puts it on every answer, and turns
    an unhandled exception into a 500 problem."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = header(scope, _REQUEST_ID)
        state = scope.setdefault("state", {})
        sane = sent is not None and _SANE_ID.fullmatch(sent) is not None
        request_id = sent if sent is not None and sane else uuid.uuid4().hex
        state["request_id"] = request_id
        state[REFUSED] = sent is not None and not sane
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                # Read now, not at the start: a replayed answer carries its first request's id.
                stamp = (_REQUEST_ID, str(state["request_id"]).encode("ascii"))
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() != _REQUEST_ID]
                message = {**message, "headers": [*kept, stamp]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error on %s %s (request %s)", scope.get("method"), scope.get("path"),
                          request_id)
            if started:  # part of the answer is out: only closing the connection can end it
                raise
            await send_problem(scope, send_with_id, 500, "internal error, logged under this request id", "internal")
