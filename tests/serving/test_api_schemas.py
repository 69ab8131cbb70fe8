"""The request models follow the contract column by column, and their errors read plainly."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from riskmodels.contract import APPLICATIONS
from riskmodels.links.counts import LINKED_COLUMNS
from serving.errors import describe, field_path
from serving.schemas import MAX_BATCH, ApplicationRequest, ErrorItem, request_model

# A well-formed value of each string column with a format (the contract's pattern).
WELL_FORMED = {"owner_id_number": "110101199003071234", "owner_phone": "13812345678",
               "device_id": "3f9c2a7be01d4c58a6f1e2d3c4b5a697", "business_address": "上海市浦东新区张杨路500号3层12室",
               "application_id": "APP-2024-000123", "business_name": "老王家常菜"}
# A value each format refuses: "?" breaks the identifiers' formats, a blank the id's and the name's.
MALFORMED = {"application_id": " ", "business_name": "\u3000"}
DEVICE_RULE = "must be 8 to 64 characters: ASCII letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
ADDRESS_RULE = ("must be 4 to 120 characters, each a Chinese character, an ASCII letter or digit, '#', '-' or '·' "
                "(the address normalised: no spaces or punctuation)")


def valid_body() -> dict[str, Any]:
    """A body that passes every rule: each column at a plausible in-range value."""
    body: dict[str, Any] = {}
    for c in APPLICATIONS.columns:
        if c.dtype == "string":
            body[c.name] = WELL_FORMED.get(c.name, "老王家常菜")
        elif c.dtype == "date":
            body[c.name] = "2024-05-01"
        elif c.dtype == "bool":
            body[c.name] = False
        elif c.dtype == "category":
            body[c.name] = c.categories[0]  # type: ignore[index]
        else:
            body[c.name] = c.minimum if c.minimum is not None else 0
            body[c.name] = int(body[c.name]) if c.dtype == "int" else float(body[c.name])
    return body


def errors_of(body: dict[str, Any]) -> list[ErrorItem]:
    with pytest.raises(ValidationError) as info:
        ApplicationRequest.model_validate(body)
    return describe([{**e, "loc": ("body", *e["loc"])} for e in info.value.errors()])


def test_every_input_column_is_a_field_with_its_description_and_unit() -> None:
    schema = ApplicationRequest.model_json_schema()
    assert set(schema["properties"]) == set(APPLICATIONS.names)
    age = schema["properties"]["owner_age"]
    assert (age["minimum"], age["maximum"], age["type"]) == (18, 90, "integer")
    assert "years" in age["description"]
    assert schema["properties"]["industry"]["enum"][0] == "catering"
    # The link and velocity counts and the list check are the platform's own (riskmodels.links):
    # a caller may leave them out.
    required = {c.name for c in APPLICATIONS.columns if c.required} - set(LINKED_COLUMNS)
    assert set(schema["required"]) == required
    assert schema["additionalProperties"] is False


def test_a_valid_body_passes_and_nullable_sources_may_be_absent() -> None:
    body = valid_body()
    for c in APPLICATIONS.columns:
        if not c.required:
            body.pop(c.name)
    assert ApplicationRequest.model_validate(body).model_dump()["tax_grade"] is None


@pytest.mark.parametrize(("change", "field", "rule"), [
    ({"owner_age": 150}, "owner_age", "must be between 18 and 90 (years)"),
    ({"owner_age": "45"}, "owner_age", "must be a number, not str"),
    ({"owner_age": 45.5}, "owner_age", "must be a whole number"),
    ({"owner_age": None}, "owner_age", "must not be null"),
    ({"requested_amount": math.nan}, "requested_amount", "must be a finite number (NaN and infinity are refused)"),
    ({"requested_amount": math.inf}, "requested_amount", "must be a finite number (NaN and infinity are refused)"),
    ({"requested_amount": True}, "requested_amount", "must be a number, not bool"),
    ({"blacklist_hit": 1}, "blacklist_hit", "must be true or false"),
    ({"tax_grade": "Z"}, "tax_grade", "must be one of: A, B, M, C or D"),
    ({"application_date": 20240501}, "application_date", "must be a date written YYYY-MM-DD"),
    ({"application_date": "2024-13-01"}, "application_date", "must be a date written YYYY-MM-DD"),
    ({"owner_phone": "12345"}, "owner_phone", "must be 11 digits 0-9 starting with 1"),
    ({"owner_phone": "１３８１２３４５６７８"}, "owner_phone", "must be 11 digits 0-9 starting with 1"),
    ({"owner_id_number": "１１０１０１１９９００３０７１２３４"}, "owner_id_number",
     "must be 18 characters: 17 digits 0-9, then a digit or X"),
    ({"device_id": "3f9c2a7"}, "device_id", DEVICE_RULE),
    ({"device_id": "-3f9c2a7be01d4c58"}, "device_id", DEVICE_RULE),
    ({"device_id": "3f9c 2a7b e01d 4c58"}, "device_id", DEVICE_RULE),
    ({"device_id": "3f9c2a7be01d4c58" * 4 + "a"}, "device_id", DEVICE_RULE),
    ({"device_id": 12345678}, "device_id", "must be a string"),
    ({"business_address": "上海市 浦东新区张杨路500号"}, "business_address", ADDRESS_RULE),
    ({"business_address": "上海市浦东新区张杨路５００号"}, "business_address", ADDRESS_RULE),
    ({"business_address": "上海市，浦东新区"}, "business_address", ADDRESS_RULE),
    ({"business_address": "上海"}, "business_address", ADDRESS_RULE),
    ({"business_address": "号" * 121}, "business_address", ADDRESS_RULE),
    ({"application_date": "2024-05-01T00:00:00"}, "application_date", "must be a date written YYYY-MM-DD"),
    ({"application_date": "1714521600"}, "application_date", "must be a date written YYYY-MM-DD"),
    ({"business_name": "x" * 201}, "business_name", "must have at most 200 characters"),
    ({"pb_months_since_overdue": -2}, "pb_months_since_overdue",
     "must be between 0 and 600 (months), or -1 (never happened)"),
    ({"favourite_colour": "red"}, "favourite_colour", "is not a field of the contract"),
])
def test_each_kind_of_bad_input_names_the_field_and_the_rule(change: dict[str, Any], field: str, rule: str) -> None:
    items = errors_of({**valid_body(), **change})
    assert [(i.field, i.rule) for i in items] == [(field, rule)]


@pytest.mark.parametrize("change", [
    {"device_id": None}, {"business_address": None}, {"device_id": "a1b2c3d4"}, {"device_id": "ios:A1B2-C3D4.e5_f6"},
    {"device_id": "f" * 64}, {"business_address": "杭州市西湖区文三路90号东部软件园B座#3-12"},
    {"business_address": "北京市朝阳区建国路·万达广场8号"}, {"business_address": "号" * 120},
])
def test_well_formed_identifiers_and_null_are_accepted(change: dict[str, Any]) -> None:
    assert ApplicationRequest.model_validate({**valid_body(), **change})


def test_each_format_is_the_contract_s_pattern_and_rule() -> None:
    # One source of truth: the schema's pattern and the refusal's rule are the contract's.
    schema = ApplicationRequest.model_json_schema()["properties"]
    formatted = [c for c in APPLICATIONS.columns if c.pattern is not None]
    assert {c.name for c in formatted} == set(WELL_FORMED)
    for c in formatted:
        assert schema[c.name]["pattern"] == f"^(?:{c.pattern})$"
        assert c.rule is not None and c.rule.removeprefix("must be ") in schema[c.name]["description"]
        (item,) = errors_of({**valid_body(), c.name: MALFORMED.get(c.name, "?")})
        assert (item.field, item.rule) == (c.name, c.rule)


def test_special_codes_are_accepted() -> None:
    assert ApplicationRequest.model_validate({**valid_body(), "pb_months_since_overdue": -1})


def test_the_schema_accepts_exactly_what_the_model_does() -> None:
    # A client (or a fuzzer) checking bodies against the published schema must accept and refuse
    # what the service does: a range with special codes is "in range or a code", patterns are ASCII.
    import jsonschema

    schema = ApplicationRequest.model_json_schema()
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    months = schema["properties"]["pb_months_since_overdue"]
    assert "minimum" not in months and months["x-special-codes"] == {"-1": "never happened"}
    for change in ({"pb_months_since_overdue": -1}, {"pb_months_since_overdue": 0}, {"pb_months_since_overdue": -2},
                   {"pb_months_since_overdue": 601}, {"owner_phone": "１３８１２３４５６７８"},
                   {"owner_phone": "13812345678"}, {"owner_age": 17}, {"tax_grade": None}, {"owner_age": None},
                   {"device_id": None}, {"device_id": "ios:A1B2-C3D4.e5_f6"}, {"device_id": "3f9c2a7"},
                   {"device_id": "ｆ" * 16}, {"business_address": "北京市朝阳区建国路·万达广场8号"},
                   {"business_address": "上海市 浦东新区"}, {"business_address": "上海市浦东新区张杨路５００号"},
                   {"business_address": "號" * 120}, {"business_address": "号" * 121}):
        body = {**valid_body(), **change}
        by_schema = validator.is_valid(body)
        try:
            ApplicationRequest.model_validate(body)
            by_model = True
        except ValidationError:
            by_model = False
        assert by_schema == by_model, change


def test_a_missing_field_is_named_without_a_value() -> None:
    body = valid_body()
    del body["owner_age"]
    (item,) = errors_of(body)
    assert (item.field, item.rule) == ("owner_age", "is required")
    assert "got" not in item.model_dump(exclude_unset=True)


def test_the_value_quoted_back_is_masked_when_personal() -> None:
    # Malformed (16 digits, not 18): hidden whole, its length kept; its ends are most of it.
    (item,) = errors_of({**valid_body(), "owner_id_number": "1101011990030712"})
    assert item.got == "*" * 16
    (item,) = errors_of({**valid_body(), "owner_phone": "2381234567"})
    assert item.got == "*" * 10
    (item,) = errors_of({**valid_body(), "owner_age": 150})
    assert item.got == 150


def test_batch_positions_are_part_of_the_field_name() -> None:
    assert field_path(("body", 3, "owner_age")) == "[3].owner_age"
    assert field_path(("body",)) == "body"
    assert field_path(("body", "owner_age")) == "owner_age"
    assert MAX_BATCH == 500


def test_labels_and_truth_never_become_request_fields() -> None:
    from riskmodels.contract import BEHAVIOR_SNAPSHOTS

    fields = request_model(BEHAVIOR_SNAPSHOTS).model_fields
    assert "bad_6m_forward" not in fields and "dpd" in fields


def test_openapi_examples_are_the_reference_files_built_by_the_library() -> None:
    # The examples come from riskmodels.synth (an installed wheel has no data/ folder), and are
    # the very bodies of data/reference/*.json, in the same order.
    import json
    from pathlib import Path

    from serving.schemas import reference_examples

    files = sorted((Path(__file__).resolve().parents[2] / "data" / "reference").glob("*.json"))
    examples = reference_examples()
    assert list(examples) == [p.stem for p in files] == ["jingcheng", "laowang", "shendu"]
    for path in files:
        body = json.loads(path.read_text(encoding="utf-8"))
        assert json.dumps(examples[path.stem]["value"], ensure_ascii=False) == json.dumps(body, ensure_ascii=False)
        assert examples[path.stem]["summary"] == body["business_name"]
        ApplicationRequest.model_validate(body)


def test_a_card_not_deployed_is_a_503_saying_which_and_why() -> None:
    import anyio
    import httpx
    from fastapi import FastAPI

    from riskmodels.config import ModelKind
    from riskmodels.decision import AccountModels
    from serving import errors

    app = FastAPI()
    errors.install(app)
    missing = AccountModels(problems={ModelKind.BEHAVIOR: "no `champion` of sme-behavior-scorecard in the registry"})

    @app.get("/b")
    def b() -> None:
        missing.get(ModelKind.BEHAVIOR)

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.get("/b")

    response = anyio.run(call)
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == ("the behavior scorecard is not deployed: no `champion` of sme-behavior-scorecard "
                              "in the registry; nothing was scored")
    assert (body["type"], body["status"], body["instance"]) == ("urn:riskmodels:problem:not-deployed", 503, "/b")
    assert body["request_id"]
