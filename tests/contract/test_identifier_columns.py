"""The optional identifier columns of the applications table (device fingerprint, business
address): appended last, optional, personal data, each with a format whose rule a refusal names."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import Field, ValidationError, create_model

from riskmodels.contract import APPLICATIONS, Column
from riskmodels.contract.privacy import PII_COLUMNS, PiiLogFilter, mask_any, mask_record, mask_text
from riskmodels.contract.tables import IDENTIFIER_LABELS
from riskmodels.links import COLUMN_OF

DEVICE, ADDRESS = APPLICATIONS.column("device_id"), APPLICATIONS.column("business_address")
A_DEVICE = "3f9c2a7be01d4c58a6f1e2d3c4b5a697"
AN_ADDRESS = "上海市浦东新区张杨路500号3层12室"


def test_they_are_appended_last_optional_and_personal() -> None:
    assert APPLICATIONS.names[-2:] == ["device_id", "business_address"]
    for column in (DEVICE, ADDRESS):
        assert column.dtype == "string" and column.nullable and not column.required and column.pii
    # The link store reads every identifier column of the contract, and each has both labels.
    assert set(COLUMN_OF.values()) <= set(APPLICATIONS.names)
    assert set(IDENTIFIER_LABELS) == set(COLUMN_OF.values()) == {c.name for c in APPLICATIONS.columns if c.pii}
    assert all(zh and en for zh, en in IDENTIFIER_LABELS.values())


@pytest.mark.parametrize(("column", "value"), [
    (DEVICE, A_DEVICE), (DEVICE, "IDFA:6D92078A-8246-4BA4-AE5B-76104861E7DC"), (DEVICE, "a" * 64),
    (ADDRESS, AN_ADDRESS), (ADDRESS, "深圳市南山区科技园B座#1203"), (ADDRESS, "1号楼3层"),
])
def test_well_formed_values_keep_the_rule(column: Column, value: str) -> None:
    assert column.format_problem(value) is None


@pytest.mark.parametrize(("column", "value", "rule"), [
    (DEVICE, "a" * 65, DEVICE.rule),  # too long
    (DEVICE, "abc123", DEVICE.rule),  # too short
    (DEVICE, "-abc12345", DEVICE.rule),  # starts with a separator
    (DEVICE, "设备指纹abcdefgh", DEVICE.rule),
    (DEVICE, 12345678, "must be a string"),
    (ADDRESS, "上" * 121, ADDRESS.rule),  # too long
    (ADDRESS, "上海市 浦东新区张杨路500号", ADDRESS.rule),  # a space: not normalised
    (ADDRESS, "上海市浦东新区张杨路５００号", ADDRESS.rule),  # full-width digits: not normalised
    (ADDRESS, "上海市浦东新区张杨路500号,3层", ADDRESS.rule),  # punctuation
    (ADDRESS, ["上海市"], "must be a string"),
])
def test_a_value_outside_the_format_names_the_rule(column: Column, value: object, rule: str) -> None:
    assert column.format_problem(value) == rule
    assert rule.startswith("must be ")


def test_a_format_must_come_with_its_rule_and_only_on_strings() -> None:
    with pytest.raises(ValueError, match="must give both a pattern and its rule in words"):
        Column("x", "string", "x", "identity", pattern="[a-z]+")
    with pytest.raises(ValueError, match="must be a string column to carry a pattern; got int"):
        Column("x", "int", "x", "identity", pattern="[0-9]+", rule="must be digits")


def test_the_patterns_read_alike_in_a_json_schema() -> None:
    # The same text serves Python and JSON Schema (ECMA-262) validators: nothing either reads
    # differently (\d and \w are Unicode in Python, ASCII in ECMA). ``[\s\S]`` is any character
    # in every engine, whatever each calls a space.
    for column in APPLICATIONS.columns:
        if column.pattern is not None:
            pattern = column.pattern.replace("[\\s\\S]", "")
            assert "\\d" not in pattern and "\\w" not in pattern and "\\s" not in pattern


def test_they_are_masked_whole_wherever_owner_ids_are() -> None:
    assert {"device_id", "business_address"} <= set(PII_COLUMNS)
    record = {"device_id": A_DEVICE, "business_address": AN_ADDRESS, "owner_age": 41, "device_shared_count": 2}
    assert mask_record(record) == {**record, "device_id": "*" * len(A_DEVICE), "business_address": "*" * len(AN_ADDRESS)}
    assert mask_any("business_address", AN_ADDRESS) == "*" * len(AN_ADDRESS)


@pytest.mark.parametrize("text", [
    json.dumps({"device_id": A_DEVICE, "business_address": AN_ADDRESS}, ensure_ascii=False),
    json.dumps({"device_id": A_DEVICE, "business_address": AN_ADDRESS}),  # \\u escapes
    repr({"device_id": A_DEVICE, "business_address": AN_ADDRESS}),
    f"scoring device_id={A_DEVICE} business_address={AN_ADDRESS} failed",
    f"device_id: {A_DEVICE}, business_address: {AN_ADDRESS}",
])
def test_free_text_naming_them_hides_their_values(text: str) -> None:
    masked = mask_text(text)
    assert A_DEVICE not in masked and AN_ADDRESS not in masked
    assert "张杨路" not in masked and json.dumps(AN_ADDRESS)[1:-1] not in masked


def test_a_validation_error_quoting_them_is_masked_in_the_log() -> None:
    model = create_model("Body", device_id=(str, Field(max_length=8)), business_address=(int, ...))
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"device_id": A_DEVICE, "business_address": AN_ADDRESS})
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "refused: %s", (caught.value,), None)
    assert PiiLogFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "device_id" in text and A_DEVICE not in text and AN_ADDRESS not in text
