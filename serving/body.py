"""Reading a JSON body strictly: what ``json.loads`` lets through, refused with 400.

- **Duplicated keys.** ``{"blacklist_hit": true, ..., "blacklist_hit": false}`` is valid JSON
  syntax, and ``json.loads`` keeps the last value: the loan system meant one of the two, and
  the service cannot know which. Refused, naming each repeated key.
- **Text that is not Unicode.** Bytes that are not UTF-8, and lone surrogates (``"\\ud800"``,
  legal as a JSON escape) would reach the models, the audit log and the answer, where encoding
  them fails. Refused, naming the field that holds them.
- **Numbers and nesting beyond reason.** An integer of thousands of digits or arrays nested
  thousands deep make ``json.loads`` raise; they are refused in words, not as a 500.
- **A charset other than UTF-8.** JSON between systems is UTF-8 (RFC 8259), and a body declared
  ``charset=latin-1`` would otherwise be read as UTF-8 all the same: "é" sent as Latin-1 is
  not text, and one sent as UTF-8 is not what the sender said. Refused with 415, naming the
  header; ``charset=utf-8`` (any case) is taken.

FastAPI parses the body with ``Request.json()``; ``StrictJsonRoute`` gives its routes a request
whose ``json()`` is ``strict_loads``, so the body is parsed once, here.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from serving.problems import ProblemError
from serving.schemas import ErrorItem

REPEATED_RULE = "must appear once in its object; the body repeats it (JSON parsers would keep only one)"
CHARSET_RULE = "must be application/json in UTF-8: a charset, when given, must be utf-8"
TEXT_RULE = "must be valid UTF-8 text: no undecodable bytes, no lone surrogates (\\ud800-\\udfff)"
# A surrogate escape in the text (only a lone one survives parsing), or an undecodable byte
# (decoded as a lone surrogate by "surrogateescape").
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class MalformedBody(ProblemError):
    """A body refused before validation (400), with each field at fault."""

    def __init__(self, detail: str, errors: list[ErrorItem]) -> None:
        super().__init__(400, detail, "malformed-body", errors)


class NotUtf8(ProblemError):
    """A body declared in another charset (415), naming the header."""

    def __init__(self) -> None:  # the header's value is the client's text: not quoted back
        super().__init__(415, "the body is declared in a charset other than UTF-8; nothing was scored",
                         "invalid-header", [ErrorItem(field="Content-Type", rule=CHARSET_RULE)])


def declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header (lower case, unquoted), or None."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


class _Repeats(dict[str, Any]):
    """A JSON object that had a key more than once (the keys are kept to name them)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _Repeats(obj)
    marked.repeated = tuple(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return marked


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    readable = key.encode("utf-8", "replace").decode("utf-8")  # a key may hold a lone surrogate itself
    return f"{path}.{readable}" if path else readable


def _faults(value: Any, path: str, check_text: bool) -> Iterator[ErrorItem]:
    """Repeated keys (always) and bad text (when ``check_text``) anywhere in ``value``."""
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            yield ErrorItem(field=_child(path, key), rule=REPEATED_RULE)
        for key, item in value.items():
            if check_text and _SURROGATE.search(key):
                yield ErrorItem(field=_child(path, key), rule=TEXT_RULE)
            yield from _faults(item, _child(path, key), check_text)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _faults(item, _child(path, index), check_text)
    elif check_text and isinstance(value, str) and _SURROGATE.search(value):
        yield ErrorItem(field=path or "body", rule=TEXT_RULE)


def strict_loads(body: bytes) -> Any:
    """The JSON value of ``body``; ``MalformedBody`` for what the module docstring lists, and
    ``json.JSONDecodeError`` for bad syntax (FastAPI answers that one)."""
    text = body.decode("utf-8", "surrogateescape")
    repeats = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal repeats
        obj = _object(items)
        repeats = repeats or isinstance(obj, _Repeats)
        return obj

    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError:
        raise
    except RecursionError as exc:
        raise MalformedBody("the body nests too deep", [ErrorItem(
            field="body", rule="must nest arrays and objects at most a few levels deep")]) from exc
    except ValueError as exc:  # an integer beyond Python's digit limit for text
        raise MalformedBody("the body holds a number too long to read", [ErrorItem(
            field="body", rule=f"must hold numbers of at most {sys.get_int_max_str_digits()} digits")]) from exc
    check_text = _MAYBE_SURROGATE.search(text) is not None
    if repeats or check_text:
        faults = list(_faults(value, "", check_text))
        if faults:
            what = sorted({"repeats a key" if f.rule == REPEATED_RULE else "holds text that is not UTF-8"
                           for f in faults}, reverse=True)
            raise MalformedBody(f"the body {' and '.join(what)}; nothing was scored", faults)
    return value


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            charset = declared_charset(self.headers.get("content-type"))
            if charset is not None and charset not in ("utf-8", "utf8"):
                raise NotUtf8
            self._json = strict_loads(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """A FastAPI route whose JSON body is read by ``strict_loads``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
