"""The gate of the versioned API: keys first, then the request's own headers, then a cap on
the body's size.

``Authorization: Bearer <key>`` is checked by a pure ASGI middleware, so a request without a
valid key is turned away before its body is read or parsed: a stranger learns nothing about
the fields, the models or their versions. With no key configured the API refuses to score at
all; it is never open by default.

Two kinds of key, so that duties stay apart (a bank's loan system scores, its model-risk
team reloads): scoring keys (``RISKMODELS_API_KEYS``) call ``/v1/score/*``; admin keys
(``RISKMODELS_ADMIN_KEYS``) call ``/v1/admin/*``. Either may read ``GET /v1/models``. A known
key on the other kind's route is 403, an unknown one 401. A key listed as both is neither
(the service logs it at start-up): it would join the two duties again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.context import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_RULE,
    REFUSED,
    REQUEST_ID,
    REQUEST_ID_RULE,
    idempotency_key,
)
from serving.problems import ProblemError, send_problem
from serving.schemas import ErrorItem

log = logging.getLogger("riskmodels.serving")

NO_KEYS = "no API keys configured: set RISKMODELS_API_KEYS; the API refuses to score without them"
NO_ADMIN_KEYS = "no admin keys configured: set RISKMODELS_ADMIN_KEYS to use /v1/admin/*"
BAD_KEY = "missing or invalid API key"
SCORING_KEY_ON_ADMIN = "a scoring key may not call /v1/admin/*: use an admin key (RISKMODELS_ADMIN_KEYS)"
ADMIN_KEY_ON_SCORING = "an admin key may not score: use a scoring key (RISKMODELS_API_KEYS)"
_BEARER = [(b"www-authenticate", b"Bearer")]


def digest(key: str) -> bytes:
    # Comparing fixed-length digests keeps the comparison constant-time even across keys
    # of different lengths.
    return hashlib.sha256(key.encode("utf-8")).digest()


def key_digests(keys: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(digest(k) for k in keys if k)


def is_valid(presented: str, accepted: tuple[bytes, ...]) -> bool:
    """True when ``presented`` is one of the accepted keys; every key is compared, always."""
    candidate = digest(presented)
    found = False
    for known in accepted:
        found |= hmac.compare_digest(candidate, known)
    return found


@dataclass(frozen=True)
class KeyRing:
    """The digests of the scoring keys and of the admin keys."""

    scoring: tuple[bytes, ...] = ()
    admin: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, scoring: Iterable[str], admin: Iterable[str]) -> KeyRing:
        """The two sets, less any key in both (logged, never quoted)."""
        scoring_set, admin_set = {k for k in scoring if k}, {k for k in admin if k}
        both = scoring_set & admin_set
        if both:
            log.warning("%d key(s) are both a scoring key and an admin key: refused as either; a key must be "
                        "one or the other (RISKMODELS_API_KEYS, RISKMODELS_ADMIN_KEYS)", len(both))
        return cls(key_digests(sorted(scoring_set - both)), key_digests(sorted(admin_set - both)))


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def route_path(scope: Scope) -> str:
    """The path within the mounted app: ``/v1/admin/reload`` → ``/admin/reload``."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root):] if root and path.startswith(root) else path


class ApiKeyGuard:
    """Refuses a request whose bearer key may not call its route (401, 403), or every request
    of a kind of key none is configured for (503); then one whose X-Request-ID or
    Idempotency-Key is not sane (400). ``keys`` is read per request so a test can swap it."""

    def __init__(self, app: ASGIApp, keys: Callable[[], KeyRing]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            status, detail, kind, headers = refusal
            await send_problem(scope, send, status, detail, kind, headers=headers)
        elif (bad := self.bad_header(scope)) is not None:
            await send_problem(scope, send, 400, f"the {bad.field} header is refused; nothing was scored",
                               "invalid-header", [bad])
        else:
            await self.app(scope, receive, send)

    @staticmethod
    def bad_header(scope: Scope) -> ErrorItem | None:
        """The request's own header that breaks its rule (never quoted back), or None."""
        if scope.get("state", {}).get(REFUSED):
            return ErrorItem(field=REQUEST_ID, rule=REQUEST_ID_RULE)
        try:
            idempotency_key(scope)
        except ValueError:
            return ErrorItem(field=IDEMPOTENCY_KEY, rule=IDEMPOTENCY_KEY_RULE)
        return None

    def refusal(self, scope: Scope) -> tuple[int, str, str | None, list[tuple[bytes, bytes]]] | None:
        """Why this request's key may not call its route (status, detail, kind, headers), or None."""
        keys, token, path = self.keys(), bearer_token(scope), route_path(scope)
        admin_route = path.startswith("/admin/")
        own, other = (keys.admin, keys.scoring) if admin_route else (keys.scoring, keys.admin)
        if not own:
            return 503, NO_ADMIN_KEYS if admin_route else NO_KEYS, "no-keys", []
        if token is not None and is_valid(token, own):
            return None
        if token is not None and is_valid(token, other):
            if path == "/models":  # read only: either kind of key
                return None
            return 403, SCORING_KEY_ON_ADMIN if admin_route else ADMIN_KEY_ON_SCORING, "wrong-key-kind", []
        return 401, BAD_KEY, None, _BEARER


class BodyTooLarge(ProblemError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body larger than {limit} bytes; send at most {limit}")


class BodySizeLimit:
    """413 for a body above the limit of its route, checked on the declared length and again
    on the bytes actually received (a client may lie or stream). Raised as an HTTPException,
    so the app's own handler answers it, as every other problem."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(scope, send, 413, BodyTooLarge(limit).detail)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)
