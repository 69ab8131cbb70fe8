"""Masking of the owner's ID number and phone, in records and in log messages."""

from __future__ import annotations

import logging

import pytest

from riskmodels.contract.privacy import PII_COLUMNS, PiiLogFilter, mask_id_number, mask_phone, mask_record, mask_text

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
    assert set(PII_COLUMNS) == {"owner_id_number", "owner_phone"}
    record = {"owner_id_number": ID, "owner_phone": PHONE, "owner_age": 34, "business_name": "老王家常菜",
              "inflow_m01": None}
    masked = mask_record(record)
    assert masked == {**record, "owner_id_number": "110101********1234", "owner_phone": "138****5678"}
    assert record["owner_id_number"] == ID  # the input is not changed


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
