"""Our own deadline on every ``/v1`` request, answered as a problem before BentoML's.

BentoML bounds each request by its traffic timeout (``serving.BENTOML_TIMEOUT``, 30 s): past it
BentoML cancels the request and answers a 504 of its own, plain JSON with no request id.
``Deadline`` ends first (``RISKMODELS_REQUEST_DEADLINE``, 25 s by default, at most 29:
``serving.settings``) and answers 504 as every other error is answered: problem+json of kind
``urn:riskmodels:problem:deadline``, the request id in the body and in ``X-Request-ID``.
BentoML's timeout stays the outer bound, for anything that would hold the event loop past ours.

What becomes of a request past its deadline:

- **Its body not yet wholly received** (a slow client): nothing has been decided, since a route
  runs only once its body is in. The request is dropped; a retry is a first request.
- **Otherwise its work goes on to the end, and only its answer is dropped.** Cancelling it
  could cut a decision between scoring and auditing, and a batch's threads cannot be stopped
  anyway. So a decision made after the 504 is audited as any other (under this request id;
  row ``i`` of a batch under ``<id>:<i>``), and under an ``Idempotency-Key`` it is stored as
  that key's answer: a retry with the same key and body gets that decision, with
  ``Idempotent-Replayed: true``, not a second one (``serving.idempotency``). A retry that comes
  while the first is still at work is worked too, but only one of the two is committed: the
  key's store refuses the second and it answers the first's decision. Without an
  ``Idempotency-Key``, a retry is a new request; the first decision is found by the request
  id of the 504 (``riskmodels audit show``).
- The deadline bounds the wait, not the CPU: a single row is scored on the event loop (about a
  millisecond) and cannot be interrupted; an answer ready when the loop comes back is given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.problems import request_id_of, send_problem

log = logging.getLogger("riskmodels.serving")

STILL_WORKING = ("no answer within the deadline of {seconds:g} s; the request was received whole and its work goes "
                 "on: a decision it makes is audited under this request id. Retry with the same Idempotency-Key to "
                 "get that decision rather than a second one")
NOT_RECEIVED = ("no answer within the deadline of {seconds:g} s; the body was not received in time, so nothing was "
                "scored")


def _declares_body(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() not in (b"", b"0")):
            return True
    return False


class Deadline:
    """Answers 504 (problem+json) to a request with no answer ``seconds()`` after it came in;
    its work, once its body is in, still runs to the end (see the module's docstring).
    ``seconds`` is read per request, from the service's settings."""

    def __init__(self, app: ASGIApp, seconds: Callable[[], float]) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = self.seconds()
        received = not _declares_body(scope)
        started = late = False

        async def receive_body() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                received = True
            return message

        async def send_unless_late(message: Message) -> None:
            nonlocal started
            if late:
                return  # the client has had its 504; this answer is dropped (its decision is audited)
            started = True
            await send(message)

        work = asyncio.ensure_future(self.app(scope, receive_body, send_unless_late))
        await asyncio.wait({work}, timeout=seconds)
        if work.done() or started:  # in time, or already answering: finish as usual
            await work
            return
        late = True
        if not received:
            work.cancel()  # still reading the body: no route has run, nothing to keep
            await send_problem(scope, send, 504, NOT_RECEIVED.format(seconds=seconds), "deadline")
        else:
            await send_problem(scope, send, 504, STILL_WORKING.format(seconds=seconds), "deadline")
        # Shielded: a cancellation of this request (the server stopping) leaves the work be.
        await asyncio.shield(asyncio.wait({work}))
        if not work.cancelled() and (error := work.exception()) is not None:
            # A bug of ours after the 504 left: logged here (RequestContext would re-raise it).
            log.error("request %s failed after its deadline answer (504) was sent", request_id_of(scope),
                      exc_info=error)
