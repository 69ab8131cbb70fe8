"""The gate of the versioned API: API keys first, then a cap on the body's size.

``Authorization: Bearer <key>`` is checked by a pure ASGI middleware, so a request without a
valid key is turned away before its body is read or parsed: a stranger learns nothing about
the fields, the models or their versions. With no key configured the API refuses to score at
all; it is never open by default.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_KEYS = "no API keys configured: set RISKMODELS_API_KEYS; the API refuses to score without them"
BAD_KEY = "missing or invalid API key"


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


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class ApiKeyGuard:
    """Refuses every HTTP request whose bearer key is not accepted (401), or all of them (503)
    when no key is configured. ``accepted`` is read per request so a test can swap it."""

    def __init__(self, app: ASGIApp, accepted: Callable[[], tuple[bytes, ...]]) -> None:
        self.app = app
        self.accepted = accepted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accepted = self.accepted()
        token = bearer_token(scope)
        if not accepted:
            await _refuse(send, 503, NO_KEYS)
        elif token is None or not is_valid(token, accepted):
            await _refuse(send, 401, BAD_KEY, [(b"www-authenticate", b"Bearer")])
        else:
            await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, detail: str,
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body larger than {limit} bytes; send at most {limit}")


class BodySizeLimit:
    """413 for a body above the limit of its route, checked on the declared length and again
    on the bytes actually received (a client may lie or stream). Raised as an HTTPException,
    so the app's own handler answers it, in JSON like every other error."""

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
            await _refuse(send, 413, BodyTooLarge(limit).detail)
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
