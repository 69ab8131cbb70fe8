"""Masks of a mobile number or a resident ID however it is written: in groups of digits with
spaces or hyphens, a mobile after China's calling code (property tests).

Each spelling must come out in the shape the plain spelling gets (``138****5678``,
``110101********1234``: the same digits shown, the same hidden), its separators where they
were, wherever it appears: the maskers themselves, and free text (a log line, an error
message, JSON, a repr, pydantic's validation error).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError, create_model

from riskmodels.contract.privacy import mask_any, mask_id_number, mask_numbers, mask_phone, mask_text, mask_value

# What a mask may show: a mobile's first 3 and last 4 digits, an ID's first 6 and last 4.
SHOWN = {"owner_phone": (3, 4), "owner_id_number": (6, 4)}
PLAIN = {"owner_phone": r"1[3-9][0-9]{9}", "owner_id_number": r"[1-9][0-9]{16}[0-9X]"}
MASKER: dict[str, Callable[[str], str]] = {"owner_phone": mask_phone, "owner_id_number": mask_id_number}
# Between two digits: mostly nothing, else a space, a hyphen, two of them, or " - ".
GAPS = st.sampled_from(["", "", "", " ", "-", "  ", "--", " - "])
COUNTRY_CODES = st.sampled_from(["", "+86", "+86 ", "+86-", "0086 ", "86 ", "+86 - "])
SEPARATORS = re.compile(r"[ -]")


@st.composite
def spellings(draw: st.DrawFn, field: str) -> tuple[str, str, str]:
    """(the plain number, the calling code written before it, the number as written)."""
    plain = draw(st.from_regex(PLAIN[field], fullmatch=True))
    gaps = draw(st.lists(GAPS, min_size=len(plain) - 1, max_size=len(plain) - 1))
    country = draw(COUNTRY_CODES) if field == "owner_phone" else ""
    return plain, country, plain[0] + "".join(gap + digit for gap, digit in zip(gaps, plain[1:], strict=True))


def longest_run_of_digits(text: str) -> int:
    return max((len(run) for run in re.findall(r"[0-9]+", text)), default=0)


def assert_masked_like_the_plain(field: str, plain: str, country: str, written: str, masked: str) -> None:
    """``masked`` (the mask of ``country + written``) shows what the plain mask shows, no more."""
    assert masked.startswith(country), (written, masked)
    number = masked[len(country):]
    # The same shape: a character per digit, each separator where it was.
    assert SEPARATORS.sub("", number) == MASKER[field](plain), (written, masked)
    assert re.sub(r"[0-9*Xx]", "#", number) == re.sub(r"[0-9X]", "#", written), (written, masked)
    # No run of the number's digits longer than the mask shows survives, separators aside.
    assert longest_run_of_digits(SEPARATORS.sub("", number)) <= max(SHOWN[field]), (written, masked)


FIELDS = st.sampled_from(sorted(SHOWN))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), field=FIELDS)
def test_the_maskers_hide_the_same_digits_however_the_number_is_written(data: st.DataObject, field: str) -> None:
    plain, country, written = data.draw(spellings(field))
    value = country + written
    for masked in (MASKER[field](value), mask_value(field, value), mask_any(field, value)):
        assert_masked_like_the_plain(field, plain, country, written, masked)
    # Masking twice changes nothing: a masked value in a log is masked again when logged.
    assert MASKER[field](MASKER[field](value)) == MASKER[field](value)


def _pydantic_error(field: str, value: str) -> ValidationError:
    model = create_model("Request", **{field: (str, Field(pattern=r"^never$"))})
    try:
        model(**{field: value})
    except ValidationError as exc:
        return exc
    raise AssertionError("the pattern accepts nothing")


def _slots(field: str, value: str) -> dict[str, str]:
    """The value as each kind of free text quotes it, back from ``mask_text``."""
    slots = {}
    free = mask_text(f"call the owner on {value} today")
    slots["free text"] = re.fullmatch(r"call the owner on (.*) today", free, re.S).group(1)  # type: ignore[union-attr]
    for ensure_ascii in (True, False):
        record = {field: value, "requested_amount": 150000.0}
        back = json.loads(mask_text(json.dumps(record, ensure_ascii=ensure_ascii)))
        assert back["requested_amount"] == 150000.0
        slots[f"json ascii={ensure_ascii}"] = back[field]
    slots["repr"] = ast.literal_eval(mask_text(repr({field: value, "amount": 1})))[field]
    for text, pattern in ((f"{field}: {value} sent", rf"{field}: (.*) sent"),
                          (f"Request({field}={value!r}, amount=1)", rf"Request\({field}=(.*), amount=1\)")):
        found = re.fullmatch(pattern, mask_text(text), re.S)
        assert found is not None, (text, mask_text(text))
        slots[text] = found.group(1).strip("'")
    error = mask_text(str(_pydantic_error(field, value)))
    quoted = re.search(r"input_value=(.*), input_type=str\]", error)
    assert quoted is not None, error
    slots["pydantic"] = ast.literal_eval(quoted.group(1))
    return slots


@settings(max_examples=300, deadline=None)
@given(data=st.data(), field=FIELDS)
def test_free_text_masks_every_spelling_as_the_masker_does(data: st.DataObject, field: str) -> None:
    plain, country, written = data.draw(spellings(field))
    value = country + written
    for where, slot in _slots(field, value).items():
        assert slot == MASKER[field](value), (where, value, slot)
        assert_masked_like_the_plain(field, plain, country, written, slot)


def test_the_spellings_of_the_issue_mask_to_the_plain_shape() -> None:
    assert mask_text("owner_phone: 138 1234 5678") == "owner_phone: 138 **** 5678"
    assert mask_text('{"owner_phone": "138-1234-5678"}') == '{"owner_phone": "138-****-5678"}'
    assert mask_text("tel +86 138 1234 5678.") == "tel +86 138 **** 5678."
    assert mask_any("owner_id_number", "110101 19900307 123X") == "110101 ******** 123X"
    assert mask_text("身份证 110101 1990 0307 1234 已核验") == "身份证 110101 **** **** 1234 已核验"


def test_a_malformed_grouped_value_of_a_personal_field_is_hidden_whole() -> None:
    # Not a mobile (ten digits, full-width digits): no part of it is safe to show.
    for value in ("138 1234 567", "１３８ １２３４ ５６７８", "138 1234 5678 90"):
        masked = mask_text(f"owner_phone: {value} sent")
        assert masked == f"owner_phone: {'*' * len(value)} sent", masked
    assert mask_text("tel １３８ １２３４ ５６７８ x") == "tel *** **** **** x"


def test_a_malformed_value_is_hidden_whole_in_a_record_as_in_free_text() -> None:
    # The audit's masked input and the stores mask a field as free text does: a short ID's
    # first six digits may be a birth date, so no part of a malformed number is shown.
    for field, value in (("owner_id_number", "19900307123"), ("owner_id_number", "11010119900307123"),
                         ("owner_id_number", "110101/19900307/1234"), ("owner_phone", "138 1234 567"),
                         ("owner_phone", "１３８１２３４５６７８"), ("owner_phone", "1381234567890")):
        assert mask_value(field, value) == "*" * len(value), (field, value)
        assert mask_text(f"{field}: {value} sent") == f"{field}: {'*' * len(value)} sent", (field, value)
    assert mask_value("owner_id_number", "110101199003071234") == "110101********1234"
    assert mask_value("owner_phone", "+86 138-1234-5678") == "+86 138-****-5678"


def test_dates_amounts_and_times_written_with_separators_stay_readable() -> None:
    text = "at 2024-05-01 12:30:45, range 2024-05-01 - 2024-06-30, amount 1 500 000.00 CNY, rows 1 2 3"
    assert mask_text(text) == text


@pytest.mark.parametrize(("typed", "masked"), [
    ("王记Tel13822223333", "王记Tel138****3333"),  # run into the words before it
    ("王记ID110105199202023319号", "王记ID110105********3319号"),
    ("身份证11010519920202331X", "身份证110105********331X"),
    ("138.1112.2233", "138.****.2233"), ("(138)3333-4444", "(138)****-4444"), ("138_4444_5555", "138_****_5555"),
])
def test_numbers_typed_into_names_and_notes_are_masked_however_they_are_joined(typed: str, masked: str) -> None:
    # A review found these in the audit's masked business name and in freeze reasons, raw.
    assert mask_numbers(typed) == masked
    assert mask_text(f"business_name {typed}") == f"business_name {masked}"


def test_a_request_id_or_hash_holding_a_phone_shaped_run_is_kept_whole() -> None:
    # Hexadecimal tokens are ids, not numbers: masking inside them would break a log's joins.
    for token in ("4f3a13912345678abcdef0123456789", "a" * 8 + "110105199202023319" + "b" * 6):
        assert mask_numbers(f"request {token} refused") == f"request {token} refused"
