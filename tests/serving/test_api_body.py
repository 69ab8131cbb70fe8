"""``strict_loads``: what ``json.loads`` lets through is refused, naming where it is."""

from __future__ import annotations

import json

import pytest

from serving.body import REPEATED_RULE, TEXT_RULE, MalformedBody, strict_loads


def faults(body: bytes) -> list[tuple[str, str]]:
    with pytest.raises(MalformedBody) as info:
        strict_loads(body)
    assert info.value.status_code == 400
    return [(e.field, e.rule) for e in info.value.errors or []]


@pytest.mark.parametrize("body", [b'{"a": 1, "b": [1, {"c": null}], "d": "\\u8001\\u738b"}', b"[]", b"42",
                                  '{"名": "老王", "emoji": "\\ud83d\\ude00"}'.encode()])
def test_what_json_allows_and_is_sound_reads_as_json_loads_reads_it(body: bytes) -> None:
    assert strict_loads(body) == json.loads(body)


def test_each_repeated_key_is_named_with_its_path() -> None:
    body = b'[{"a": 1}, {"flag": true, "x": {"y": 1, "y": 2}, "flag": false}]'
    assert faults(body) == [("[1].flag", REPEATED_RULE), ("[1].x.y", REPEATED_RULE)]


def test_a_key_differing_only_by_an_escape_is_the_same_key() -> None:
    assert faults(b'{"blacklist_hit": true, "blacklist\\u005fhit": false}') == [("blacklist_hit", REPEATED_RULE)]


@pytest.mark.parametrize(("body", "field"), [
    (b'{"name": "\\ud800"}', "name"),
    (b'{"name": "ok", "list": ["fine", "\\udc00x"]}', "list[1]"),
    (b'{"name": "caf\\u00e9 \\udbff"}', "name"),
    (b'{"name": "\xff"}', "name"),
    (b'{"name": "\xed\xa0\x80"}', "name"),  # a surrogate encoded in UTF-8: not UTF-8 either
])
def test_text_that_is_not_unicode_is_named(body: bytes, field: str) -> None:
    assert faults(body) == [(field, TEXT_RULE)]


def test_a_key_that_is_not_unicode_is_named_readably() -> None:
    ((field, rule),) = faults(b'{"na\\ud800me": 1}')
    assert rule == TEXT_RULE and field == "na?me"


@pytest.mark.parametrize(("body", "rule"), [
    (b"[" * 100_000, "must nest arrays and objects at most a few levels deep"),
    (b'{"n": ' + b"1" * 10_000 + b"}", "must hold numbers of at most"),
])
def test_bodies_json_loads_cannot_read_are_refused_in_words(body: bytes, rule: str) -> None:
    ((field, said),) = faults(body)
    assert field == "body" and said.startswith(rule)


def test_bad_syntax_is_left_to_fastapi_as_a_json_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        strict_loads(b'{"a": ')
