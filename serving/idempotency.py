"""Answers, audited, and given again for a repeat that carries the same ``Idempotency-Key``.

A loan system that times out and sends an application again must not get a second decision
for it. With an ``Idempotency-Key`` header on a scoring route:

- the first request is scored; its answer is stored with its audit records, in the same
  transaction (``AuditLog.append(..., idempotency=...)``, the key kept as an HMAC pseudonym);
- a repeat with the same key and the same body (the same keyed hash of its input) on the same
  route gets that answer again, byte for byte, with its request id and the header
  ``Idempotent-Replayed: true``; nothing is scored or audited again;
- the same key with another body is refused (409, naming the header): the key is the
  client's promise that the body is the same.

Only answers are stored: a request refused (4xx) or failed (5xx) may be sent again with the
same key. Two repeats racing each other: the first to commit wins, the other gets its answer.
Keys last as long as the audit records (``riskmodels audit purge``) and the pseudonym key (a
rotation forgets them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from anyio import to_thread
from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Scope

from riskmodels.audit import AuditRecord, IdempotencyConflict, IdempotentAnswer
from serving.context import IDEMPOTENCY_KEY, idempotency_key
from serving.problems import ProblemError, request_id_of
from serving.schemas import ErrorItem
from serving.scoring import Scoring

REPLAYED = "Idempotent-Replayed"
REUSED_RULE = "must name one body only: it was sent before on this route with another body"


def rows_digest(svc: Scoring, rows: list[Any], read: Mapping[int, Any] | None = None) -> str:
    """The keyed hash of a batch: each row's canonical JSON text, as its model read it where it
    is valid (``read``: index -> the validated row; so ``8`` and ``8.0``, one value, are one
    body, as on the single routes), as sent where it is not (a refused row may hold what
    canonical JSON refuses, NaN say)."""
    rows = [row if read is None or index not in read else read[index] for index, row in enumerate(rows)]
    texts = [json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
             for row in rows]
    return svc.audit.input_digest({"rows": texts})


def _again(scope: Scope, stored: IdempotentAnswer, digest: str) -> Response:
    if stored.input_hmac != digest:
        raise ProblemError(409, f"the {IDEMPOTENCY_KEY} was used with another body; nothing was scored",
                           "idempotency-key-reused", [ErrorItem(field=IDEMPOTENCY_KEY, rule=REUSED_RULE)])
    scope["state"]["request_id"] = stored.request_id  # RequestContext stamps it on the answer
    return Response(stored.body, status_code=stored.status, media_type="application/json",
                    headers={REPLAYED: "true"})


Keyed = tuple[str, str] | None  # the Idempotency-Key and the input's keyed hash; None without a key


def _replayed(svc: Scoring, scope: Scope, endpoint: str, digest: Callable[[], str]) -> tuple[Keyed, Response | None]:
    """The Idempotency-Key (the guard refused a malformed one) with the input's keyed hash, and
    the first answer when this is a repeat."""
    key = idempotency_key(scope)
    if key is None:
        return None, None
    sent = digest()
    stored = svc.audit.recall(key, endpoint)
    return (key, sent), None if stored is None else _again(scope, stored, sent)


def _audited(svc: Scoring, scope: Scope, endpoint: str, keyed: Keyed, body: bytes,
             records: list[AuditRecord]) -> Response:
    """Commit the records (and the answer, under a key), then answer; the first answer when a
    repeat racing this one committed first."""
    if keyed is None:
        svc.commit(records)
        return Response(body, media_type="application/json")
    key, sent = keyed
    try:
        svc.commit(records, IdempotentAnswer(key=key, endpoint=endpoint, input_hmac=sent,
                                             request_id=request_id_of(scope), status=200, body=body))
    except IdempotencyConflict:  # a repeat racing this one committed first: its answer stands
        first = svc.audit.recall(key, endpoint)
        if first is None:
            raise
        return _again(scope, first, sent)
    return Response(body, media_type="application/json")


def answer(svc: Scoring, scope: Scope, endpoint: str, digest: Callable[[], str],
           work: Callable[[], tuple[BaseModel, list[AuditRecord]]]) -> Response:
    """Score (``work``: the answer and its audit records), audit and answer; or, for a repeat
    of an Idempotency-Key, the first answer. ``digest`` is the keyed hash of the input."""
    keyed, replay = _replayed(svc, scope, endpoint, digest)
    if replay is not None:
        return replay
    reply, records = work()
    return _audited(svc, scope, endpoint, keyed, reply.model_dump_json().encode("utf-8"), records)


async def answer_on_loop(svc: Scoring, scope: Scope, endpoint: str, digest: Callable[[], str],
                         work: Callable[[], tuple[BaseModel, list[AuditRecord]]]) -> Response:
    """``answer`` for a route on the event loop: the work runs on the loop (under a millisecond,
    less than a hop to a thread), the durable commit in a thread. Its fsync then blocks no other
    request, and commits that meet in the audit log share one (``AuditLog.append``)."""
    keyed, replay = _replayed(svc, scope, endpoint, digest)
    if replay is not None:
        return replay
    reply, records = work()
    body = reply.model_dump_json().encode("utf-8")
    return await to_thread.run_sync(_audited, svc, scope, endpoint, keyed, body, records)
