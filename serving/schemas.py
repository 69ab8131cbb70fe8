"""Request and response models of the scoring API, generated from the data contract.

Every request field is one contract column: its type, description and unit, range (with the
column's special codes, e.g. ``-1`` = never), allowed categories and nullability come from
``riskmodels.contract.tables``, so the API cannot drift from the tables the models were trained on.
Inputs are checked strictly: unknown fields, NaN and infinity, numbers sent as strings and
booleans sent as numbers are all refused, each with a rule a person can read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    create_model,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskmodels.contract import APPLICATIONS, BEHAVIOR_SNAPSHOTS, COLLECTION_CASES, Column, Table
from riskmodels.contract.row_rules import ROW_RULES, row_breaks
from riskmodels.contract.types import ISO_DATE
from riskmodels.links import LINKED_COLUMNS
from riskmodels.synth import reference_bodies

# Sizes: one application is about 4 KB of JSON; the limits leave room without inviting abuse.
MAX_BATCH = 500
MAX_BODY_BYTES = 64 * 1024
MAX_BATCH_BODY_BYTES = MAX_BATCH * 8 * 1024
MAX_STRING = 200

# A date is exactly YYYY-MM-DD (contract.types.ISO_DATE): pydantic alone would also take
# "2024-05-01T00:00:00" or a Unix time.
# The link and velocity counts and the list check are the platform's own (riskmodels.links): optional.
_LINKED_NOTE = ("optional (left out or null): the service computes it from its own link store and lists; a shared count sent is used "
                "only where the store has no such identifier, a velocity sent (all lenders) counts when larger than "
                "the store's, and a true blacklist_hit sent is kept")
_NAMED_MODELS = {"applications": "ApplicationRequest", "behavior_snapshots": "BehaviorRequest",
                 "collection_cases": "CollectionRequest"}


def _number(value: Any) -> Any:
    # Pydantic's lax mode would take "45" or true for a number; a loan system sending those
    # has a bug we want to see, not to hide.
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("number_type", "must be a number, not {kind}",
                                  {"kind": type(value).__name__})
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_type", "must be a date written YYYY-MM-DD")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def range_rule(col: Column) -> str:
    """The range of a numeric column in words, e.g. ``must be between 18 and 90 (years)``."""
    lo = _fmt(col.minimum) if col.minimum is not None else None
    hi = _fmt(col.maximum) if col.maximum is not None else None
    rule = (f"must be between {lo} and {hi}" if lo is not None and hi is not None
            else f"must be at least {lo}" if lo is not None else f"must be at most {hi}")
    if col.unit:
        rule += f" ({col.unit})"
    if col.special_codes:
        rule += ", or " + ", ".join(f"{code} ({meaning})" for code, meaning in col.special_codes.items())
    return rule


def _range_check(col: Column) -> AfterValidator:
    rule, lo, hi, codes = range_rule(col), col.minimum, col.maximum, set(col.special_codes)

    def check(value: float) -> float:
        if value in codes or ((lo is None or value >= lo) and (hi is None or value <= hi)):
            return value
        raise PydanticCustomError("out_of_range", rule)

    return AfterValidator(check)


def _format_check(col: Column) -> AfterValidator:
    """The contract's format of a string column (its ``pattern``, refused with its ``rule``): the
    same check as the quality suite's and the batch rejects'."""

    def check(value: str) -> str:
        rule = col.format_problem(value)
        if rule is not None:
            raise PydanticCustomError("format", "{rule}", {"rule": rule})  # a rule is text, not a template
        return value

    return AfterValidator(check)


def format_schema(col: Column) -> str:
    """A contract pattern (matched whole) as a JSON Schema ``pattern``, which matches anywhere
    unless anchored."""
    return f"^(?:{col.pattern})$"


def _annotation(col: Column) -> Any:
    if col.dtype in ("int", "float"):
        base: Any = int if col.dtype == "int" else float
        return Annotated[base, BeforeValidator(_number), _range_check(col)]
    if col.dtype == "bool":
        return StrictBool
    if col.dtype == "category":
        assert col.categories, f"category column {col.name} must list its categories"
        return Literal[col.categories]  # type: ignore[valid-type]
    if col.dtype == "date":
        return Annotated[dt.date, BeforeValidator(_iso_date)]
    if col.pattern is not None:
        return Annotated[str, Field(max_length=MAX_STRING), _format_check(col)]
    return Annotated[str, Field(min_length=1, max_length=MAX_STRING)]


def _field(col: Column) -> tuple[Any, Any]:
    annotation = _annotation(col)
    # The platform's own counts may be left out, and so may be sent as null: a client's
    # serialiser writes an unset optional field either way, and both mean "not sent".
    if col.nullable or col.name in LINKED_COLUMNS:
        annotation = annotation | None
    extra: dict[str, Any] | Callable[[dict[str, Any]], None] | None = None
    if col.is_numeric():
        extra = _special_codes_schema(col) if col.special_codes else _bounds(col)
    if col.pattern is not None:
        extra = {"pattern": format_schema(col)}
    notes = [f"unit: {col.unit}"] if col.unit else []
    if col.is_numeric():
        notes.append(range_rule(col).removeprefix("must be "))
    if col.rule is not None:
        notes.append(col.rule.removeprefix("must be "))
    if col.nullable:
        notes.append("null when the source is not available")
    if col.pii:
        notes.append("personal data: masked in logs and the audit trail")
    if col.name in LINKED_COLUMNS:
        notes.append(_LINKED_NOTE)
    description = f"{col.description} [{'; '.join(notes)}]" if notes else col.description
    default = ... if col.required and col.name not in LINKED_COLUMNS else None
    return annotation, Field(default, description=description, json_schema_extra=extra)


def _bounds(col: Column) -> dict[str, Any]:
    return {k: v for k, v in (("minimum", col.minimum), ("maximum", col.maximum)) if v is not None}


def _special_codes_schema(col: Column) -> Callable[[dict[str, Any]], None]:
    """The exact schema of a range with special codes (e.g. 0-600 months, or -1 = never): in
    the range *or* one of the codes, so a client or a fuzzer checking the schema accepts and
    refuses exactly what the service does."""
    kind = "integer" if col.dtype == "int" else "number"
    options: list[dict[str, Any]] = [{"type": kind, **_bounds(col)},
                                     {"type": kind, "enum": sorted(col.special_codes)}]
    if col.nullable:
        options.append({"type": "null"})

    def rewrite(schema: dict[str, Any]) -> None:
        schema.pop("type", None)
        schema["anyOf"] = options
        schema["x-special-codes"] = {str(k): v for k, v in col.special_codes.items()}

    return rewrite


# The error type of a row whose fields each pass but break a rule together; its ctx holds
# (field, rule, value) of each rule broken, which ``serving.errors.describe`` lists one by one.
ROW_RULE_ERROR = "row_rule"


def _row_rules(table: Table) -> dict[str, Any]:
    """The model validator that refuses a row breaking a rule between its columns
    (``riskmodels.contract.row_rules``); it runs once every field has passed its own checks."""
    if table.name not in ROW_RULES:
        return {}

    def check(row: BaseModel) -> BaseModel:
        values = row.__dict__
        broken = row_breaks(table, values)
        if broken:
            raise PydanticCustomError(ROW_RULE_ERROR, "{count} rule(s) between fields broken",
                                      {"count": len(broken), "breaks": [(f, r, values[f]) for f, r in broken]})
        return row

    return {"row_rules": model_validator(mode="after")(check)}


def request_model(table: Table) -> type[BaseModel]:
    """A flat pydantic model with one field per input column of ``table`` (labels left out),
    refusing a row whose columns break a rule together."""
    fields = {c.name: _field(c) for c in table.columns if c.source not in ("label", "truth")}
    config = ConfigDict(extra="forbid", allow_inf_nan=False, str_max_length=MAX_STRING,
                        title=_NAMED_MODELS.get(table.name, table.name))
    model = create_model(_NAMED_MODELS.get(table.name, table.name), __config__=config,
                         __doc__=table.description, __validators__=_row_rules(table),
                         **fields)  # type: ignore[call-overload]
    return model


ApplicationRequest = request_model(APPLICATIONS)
BehaviorRequest = request_model(BEHAVIOR_SNAPSHOTS)
CollectionRequest = request_model(COLLECTION_CASES)


class ErrorItem(BaseModel):
    field: str = Field(description="The field at fault: a column name (within its row in a batch), a header "
                                   "(`X-Request-ID`, `Idempotency-Key`, `Content-Type`), `body` or `row`")
    rule: str = Field(description="The rule it broke, in words")
    got: Any = Field(None, description="The value received (personal data masked; absent when missing)")

    @model_serializer(mode="wrap")
    def _absent_when_not_received(self, handler: SerializerFunctionWrapHandler) -> Any:
        # "absent when missing" in every answer, a batch's row errors too: not "got": null,
        # which would say the client sent a null.
        data = handler(self)
        if isinstance(data, dict) and "got" not in self.model_fields_set:
            data.pop("got", None)
        return data


class Problem(BaseModel):
    """Every 4xx and 5xx of ``/v1``: RFC 9457 problem details, sent as
    ``application/problem+json``, with the request id and, for bad input, each field at fault."""

    type: str = Field(description="What kind of problem: `about:blank` when the status says it all, else "
                                  "`urn:riskmodels:problem:<kind>`")
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong with this request, in words")
    instance: str = Field(description="The path of the request")
    request_id: str = Field(description="The request id, as in the X-Request-ID header")
    errors: list[ErrorItem] | None = Field(None, description="Each field (or header) at fault and the rule it broke")


class RowErrors(BaseModel):
    index: int = Field(description="Position of the row in the request (0 = the first)")
    errors: list[ErrorItem] = Field(description="Each field of the row at fault and the rule it broke")


AnswerT = TypeVar("AnswerT", bound=BaseModel)


class Scored(BaseModel, Generic[AnswerT]):
    index: int = Field(description="Position of the row in the request (0 = the first)")
    answer: AnswerT


class BatchAnswer(BaseModel, Generic[AnswerT]):
    """A batch's answer: every valid row scored (and audited), every invalid one refused with
    its errors, nothing half-scored."""

    request_id: str = Field(description="The request id; each row's answer has `<request_id>:<index>`")
    scored: int = Field(description="Rows scored (the length of `results`)")
    refused: int = Field(description="Rows refused (the length of `errors`)")
    results: list[Scored[AnswerT]]
    errors: list[RowErrors]


class ModelInfo(BaseModel):
    kind: str = Field(description="application, fraud, challenger, behavior or collection")
    name: str = Field(description="Registered model name in MLflow")
    version: str
    alias: str = Field(description="The alias the service loaded (champion)")
    run_id: str | None = Field(description="The MLflow training run")
    metrics: dict[str, float] = Field(description="Metrics logged by the training run")


class ModelsResponse(BaseModel):
    ready: bool = Field(description="True when every required champion is loaded and scoring is on")
    problem: str | None = Field(None, description="Why the service is not ready, when it is not")
    loaded_at: dt.datetime | None = Field(None, description="When the models were loaded (UTC)")
    models: list[ModelInfo]
    not_deployed: dict[str, str] = Field(
        default_factory=dict, description="Optional models (behavior, collection) not served, and why")


class ReloadResponse(ModelsResponse):
    reloaded: bool = Field(description="True: the new champions passed their checks and are in use")


class ReloadProblem(Problem):
    """A refused reload: every model in use stays in use."""

    reloaded: bool = Field(False, description="Always false: the previous models stay in use")
    models: list[ModelInfo] = Field(default_factory=list, description="The models still in use")
    failures: dict[str, str] = Field(default_factory=dict, description="Each card (or check) that failed, and "
                                     "why (none when the request was refused before, e.g. no admin keys)")


def reference_examples() -> dict[str, dict[str, Any]]:
    """The three reference customers as OpenAPI examples."""
    return {name: {"summary": str(body.get("business_name", name)), "value": body}
            for name, body in reference_bodies().items()}
