"""Masking of the owner's ID number and phone, the device fingerprint and the business address, in
records and in log messages, whatever the value is (property tests)."""

from __future__ import annotations

import ast
import json
import logging
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError, create_model

from riskmodels.contract.privacy import (
    FREE_TEXT_COLUMNS,
    PII_COLUMNS,
    PiiLogFilter,
    mask_id_number,
    mask_phone,
    mask_record,
    mask_text,
)
from riskmodels.contract.tables import BUSINESS_ADDRESS_PATTERN, DEVICE_ID_PATTERN

ID, PHONE = "110101199003071234", "13812345678"


def test_id_number_keeps_region_and_last_four() -> None:
    assert mask_id_number(ID) == "110101********1234"
    assert mask_id_number("11010119900307123X") == "110101********123X"


def test_phone_keeps_prefix_and_last_four() -> None:
    assert mask_phone(PHONE) == "138****5678"


@pytest.mark.parametrize("short", ["", "123", "1234567890"])
def test_too_short_values_are_hidden_whole(short: str) -> None:
    assert mask_id_number(short) == "*" * len(short)


def test_the_contract_pii_columns_are_masked_and_nothing_else() -> None:
    assert set(PII_COLUMNS) == {"owner_id_number", "owner_phone", "device_id", "business_address"}
    record = {"owner_id_number": ID, "owner_phone": PHONE, "owner_age": 34, "business_name": "老王家常菜",
              "inflow_m01": None, "device_id": "3f9c2a7be01d4c58", "business_address": "上海市张杨路500号"}
    masked = mask_record(record)
    assert masked == {**record, "owner_id_number": "110101********1234", "owner_phone": "138****5678",
                      "device_id": "*" * 16, "business_address": "*" * 10}
    assert record["owner_id_number"] == ID  # the input is not changed


def test_a_business_name_carrying_an_id_or_a_phone_is_masked_in_the_record() -> None:
    assert set(FREE_TEXT_COLUMNS) == {"business_name"}
    record = {"business_name": f"老王家常菜电话{PHONE}身份证{ID}", "application_id": "APP-2026-1", "owner_age": 34}
    masked = mask_record(record)
    assert masked == {**record, "business_name": "老王家常菜电话138****5678身份证110101********1234"}
    assert mask_record({"business_name": "老王家常菜2019店", "owner_age": 34})["business_name"] == "老王家常菜2019店"


def test_free_text_masks_ids_and_phones_but_not_amounts() -> None:
    text = f"id={ID} tel {PHONE}, amount 150000000000000000000 ts 20240501123045"
    assert mask_text(text) == ("id=110101********1234 tel 138****5678, amount 150000000000000000000 "
                               "ts 20240501123045")


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_log_filter_masks_message_arguments_and_exceptions() -> None:
    pii = PiiLogFilter()
    record = _record("scoring %s with phone %s", {"owner_id_number": ID}, PHONE,
                     exc=ValueError(f"bad input {ID}"))
    assert pii.filter(record)
    text = logging.Formatter().format(record)
    assert ID not in text and PHONE not in text
    assert "110101********1234" in text and "138****5678" in text


def test_log_filter_on_a_handler_masks_what_a_logger_writes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(PiiLogFilter())
    logging.getLogger("riskmodels.test").warning("owner %s", ID)
    assert ID not in caplog.text and "110101********1234" in caplog.text


# -- every value of a personal field, well formed or not ---------------------------------------
def test_malformed_ids_and_full_width_phones_are_masked_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(PiiLogFilter())
    body = {"owner_id_number": "11010119900307123", "owner_phone": "１３８１２３４５６７８", "requested_amount": 150000.0}
    logging.getLogger("riskmodels.test").warning("rejected %s", json.dumps(body))
    logging.getLogger("riskmodels.test").warning("rejected %r", body)
    try:
        raise ValueError(f"bad body {json.dumps(body, ensure_ascii=False)}")
    except ValueError:
        logging.getLogger("riskmodels.test").exception("unexpected")
    text = caplog.text
    for raw in ("11010119900307123", "１３８１２３４５６７８", "\\uff11\\uff13\\uff18"):
        assert raw not in text
    assert '"owner_id_number": "*****************"' in text and "'owner_phone': '***********'" in text
    assert "150000.0" in text  # amounts stay readable


def test_amounts_timestamps_and_ids_of_our_own_stay_readable() -> None:
    text = ("amount 1500000.00 CNY at 2024-05-01T12:30:45.123456+00:00, ts 20240501123045, "
            "request 9f8e7d6c5b4a39281706aa, model sme-fraud v12, 150000000000000000000")
    assert mask_text(text) == text


_WELL_FORMED = {"owner_id_number": re.compile(r"[0-9]{17}[0-9Xx]"), "owner_phone": re.compile(r"1[0-9]{10}")}
_VALUES = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9０-９]{8,20}[Xx]?", fullmatch=True),  # malformed: wrong length, full-width digits
    st.from_regex(r"[0-9]{17}[0-9X]|1[3-9][0-9]{9}", fullmatch=True),  # well formed
    st.from_regex(DEVICE_ID_PATTERN, fullmatch=True),  # a well-formed device fingerprint
    st.from_regex(BUSINESS_ADDRESS_PATTERN, fullmatch=True),  # a well-formed normalised address
)


def _hidden(slot: str, field: str, value: str) -> bool:
    """The masked slot shows nothing of the value: only masks, or the bank's partial mask of a
    well-formed ID or phone (which hides the birth date or the middle four digits); a device or an
    address has no part safe to show and is always hidden whole."""
    if field in _WELL_FORMED and _WELL_FORMED[field].fullmatch(value):
        return slot == PII_COLUMNS[field](value)
    return set(slot) <= {"*"}


def _pydantic_error(field: str, value: str) -> ValidationError:
    model = create_model("Request", **{field: (str, Field(pattern=r"^never$")), "amount": (float, ...)})
    try:
        model(**{field: value, "amount": 150000.0})
    except ValidationError as exc:
        return exc
    raise AssertionError("the pattern accepts nothing")


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(sorted(PII_COLUMNS)), value=_VALUES, ascii_only=st.booleans())
def test_a_personal_field_s_value_never_survives_masking(field: str, value: str, ascii_only: bool) -> None:
    assume(value.strip("*"))  # a value of masks alone (or nothing) has nothing to hide
    record = {field: value, "requested_amount": 150000.0, "application_date": "2025-01-15"}
    # JSON (escaped or not) and a Python dict's repr: the value comes back masked, the rest intact.
    for dumped, load in ((json.dumps(record, ensure_ascii=ascii_only), json.loads),
                         (repr(record), ast.literal_eval)):
        back = load(mask_text(dumped))
        assert _hidden(back[field], field, value), (dumped, back)
        assert {k: v for k, v in back.items() if k != field} == {k: v for k, v in record.items() if k != field}
    # A keyword in a repr, and pydantic's validation error as str() and as errors().
    keyword = mask_text(f"Request({field}={value!r}, amount=150000.0)")
    slot = re.fullmatch(rf"Request\({field}=(.*), amount=150000\.0\)", keyword, re.S)
    assert slot is not None and _hidden(ast.literal_eval(slot.group(1)), field, value), keyword
    error = _pydantic_error(field, value)
    as_text = mask_text(str(error))
    quoted = re.search(r"input_value=(.*), input_type=str\]", as_text)
    assert quoted is not None and _hidden(ast.literal_eval(quoted.group(1)).replace("...", "***"), field, value)
    (listed,) = ast.literal_eval(mask_text(repr(error.errors(include_url=False))))
    assert _hidden(listed["input"], field, value) and listed["loc"] == (field,)


@settings(max_examples=200, deadline=None)
@given(run=st.from_regex(r"[0-9０-９]{10,19}[Xx]?", fullmatch=True),
       before=st.sampled_from(["", " ", "id=", "tel:", "电话", '"', "(", "\n"]),
       after=st.sampled_from(["", " ", ",", "。", '"', ")", ".", "\n"]))
def test_a_standalone_run_of_digits_that_could_be_an_id_or_phone_is_masked(run: str, before: str, after: str) -> None:
    timestamp = re.fullmatch(r"(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]", run)
    assume(timestamp is None)  # YYYYMMDDhhmmss stays readable (test above)
    masked = mask_text(f"owner {before}{run}{after} sent")
    assert run not in masked
    assert masked.startswith(f"owner {before}") and masked.endswith(f"{after} sent")


def test_a_report_masks_a_personal_value_whole_unless_it_is_well_formed() -> None:
    from riskmodels.contract.privacy import mask_any

    assert mask_any("owner_id_number", ID) == "110101********1234"
    assert mask_any("owner_phone", PHONE) == "138****5678"
    for malformed in ("1101011990030712", "abc-123", "１３８１２３４５６７８"):
        assert mask_any("owner_id_number", malformed) == "*" * len(malformed)
    assert mask_any("business_name", "老王家常菜") == "*****"
    # A well-formed device fingerprint or address is still hidden whole: no part of it is safe to show.
    assert mask_any("device_id", "3f9c2a7be01d4c58a6f1e2d3c4b5a697") == "*" * 32
    assert mask_any("business_address", "上海市浦东新区张杨路500号3层12室") == "*" * 19
