"""Every reason of every answer in a generated book is true of the applicant (issue 13, section 3).

Each reason text is read back, in English and in Chinese, and checked against the applicant's
own feature values and the scorecard that scored them, by code written apart from the engine:

- the stated value is the applicant's own (to the shown precision), a special code its meaning;
- the value lies in the stated band, and a value in that band scores the points it scored;
- a value in the stated best band scores the card's best points, more than the applicant's;
- a missing source's reason is given only when that source is missing;
- a fraud reason never calls a value the catalogue calls the safest (never overdue, none shared);
- the Chinese text states the same numbers and relations as the English.

Also runnable on its own, against the registered champions of ``RISKMODELS_HOME`` and a
portfolio directory, to print the figures for the closing note::

    RISKMODELS_HOME=... .venv/bin/python tests/decision/test_reasons_true.py DATA_DIR [N]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from riskmodels.contract import DPD_BUCKETS
from riskmodels.decision.reasons import CATALOGUES, ReasonCode, catalogue_of, is_missing
from riskmodels.features.catalogue import CATEGORY_LABELS, SOURCE_MISSING
from riskmodels.scorecard.compiled import CompiledScorecard

APPLICATIONS = 3_000  # through decide(), one by one: the live path
ACCOUNTS = 2_000  # B and C rows each, through the batch path and a sample one by one

_NUMBER = re.compile(r"[+-]?\d[\d,]*(?:\.\d+)?")
_SEP = "; best band: "


@dataclass
class Tally:
    checked: int = 0
    false: list[str] = field(default_factory=list)

    def add(self, problems: Sequence[str], where: str) -> None:
        self.checked += 1
        self.false.extend(f"{where}: {p}" for p in problems)


# -- reading a text back -----------------------------------------------------------------------
def _number(text: str) -> tuple[float, int]:
    """A shown number (unit words and thousands separators dropped) and its decimals."""
    (token,) = _NUMBER.findall(text)
    digits = token.replace(",", "")
    return float(digits), len(digits.split(".")[1]) if "." in digits else 0


def _scale(unit: str | None) -> float:
    return 100.0 if unit == "ratio" else 1.0


_NO_DATA = "no data"
_NOT_COMPUTABLE = "not computable from the figures given"


def _special_or_word(text: str, info: Any) -> float | str | None:
    """A value shown as a word: no data, a special code's meaning, a flag, a bucket, a category."""
    if text in (_NO_DATA, _NOT_COMPUTABLE):
        # A null ratio may be a zero base, so only a ratio says "not computable", and only it.
        assert (text == _NOT_COMPUTABLE) == (info.unit == "ratio"), (text, info.name)
        return None
    for code, meaning in info.special_codes.items():
        if text == meaning:
            return float(code)
    if info.unit == "flag" and text in ("yes", "no"):
        return 1.0 if text == "yes" else 0.0
    if info.unit == "bucket":
        return float(DPD_BUCKETS.index(text.removesuffix(" days")) + 1)
    if info.kind == "categorical":
        return next((c for c, (_, en) in CATEGORY_LABELS.items() if en == text), text)
    raise AssertionError(f"not a value word: {text!r}")


def _shown(text: str, info: Any) -> tuple[float | str | None, float]:
    """The value a text shows (raw units) and the tolerance its rounding allows."""
    try:
        return _special_or_word(text, info), 0.0
    except (AssertionError, ValueError):
        number, decimals = _number(text)
        return number / _scale(info.unit), 0.5 * 10 ** -decimals / _scale(info.unit) + 1e-12


def _band(text: str, info: Any) -> list[Any]:
    """Values the stated band holds: ["interval", lo, hi, closed, margin] (margin: a shown edge's
    rounding, half its last digit), or ["in", values]."""
    if info.kind == "categorical":
        return ["in", [_special_or_word(part, info) for part in text.split(", ")]]
    if text in (_NO_DATA, _NOT_COMPUTABLE) or text in info.special_codes.values() or (info.unit in ("flag", "bucket")
                                                                      and _NUMBER.search(text) is None):
        return ["in", [_special_or_word(text, info)]]
    if text.startswith("below "):
        edges, closed = [None, text[6:]], False
    elif text.endswith(" or more"):
        edges, closed = [text[:-8], None], False
    elif " to under " in text:
        edges, closed = text.split(" to under "), False
    elif " to " in text:
        edges, closed = text.split(" to "), True
    else:
        edges, closed = [text, text], True
    shown = [None if e is None else _shown(e, info) for e in edges]
    margin = max((t for _, t in (x for x in shown if x is not None)), default=0.0)
    return ["interval", *(None if x is None else x[0] for x in shown), closed, margin]


def _holds(band: list[Any], value: Any, tolerance: float = 0.0) -> bool:
    if band[0] == "in":
        return any((is_missing(v) and is_missing(value)) or v == value for v in band[1])
    if is_missing(value) or isinstance(value, str):
        return False
    _, lo, hi, closed, _ = band
    return (lo is None or value >= lo - tolerance) and (
        hi is None or (value <= hi + tolerance if closed else value < hi + tolerance))


def _inside(band: list[Any], info: Any) -> Any:
    """One value inside a stated band, clear of its shown edges' rounding."""
    if band[0] == "in":
        return band[1][0]
    _, lo, hi, closed, margin = band
    clear = 2 * margin + 1e-9
    if lo is None:
        return hi - clear
    if hi is None:
        return lo + clear
    return lo if closed else (lo + hi) / 2


def _points(card: CompiledScorecard, feature: str, value: Any) -> float:
    return card.characteristic_points_one({**{n: None for n in card.features}, feature: value})[feature]


def _zh_matches(zh: str, en: str, info: Any) -> list[str]:
    """The Chinese text states the same numbers, in the same order, and the same relations."""
    zh_body, en_body = zh.removeprefix(_CODE_LABEL_ZH(info)), en.removeprefix(_CODE_LABEL_EN(info))
    problems = []
    if not zh.startswith(_CODE_LABEL_ZH(info)):
        problems.append(f"zh text must start with its characteristic; got {zh!r}")
    if _NUMBER.findall(zh_body) != _NUMBER.findall(en_body):
        problems.append(f"zh and en must state the same numbers; got {zh!r} and {en!r}")
    for en_word, zh_word in (("below ", "低于"), (" or more", "及以上"), (" to under ", "（不含）"),
                             ("no data", "无数据"), ("not computable", "无法根据所报数据计算"), ("best band", "最优档位")):
        if en_body.count(en_word) != zh_body.count(zh_word):
            problems.append(f"zh must say {zh_word!r} where en says {en_word!r}; got {zh!r} and {en!r}")
    return problems


def _CODE_LABEL_EN(info: Any) -> str:
    return re.sub(r"\s*\([^)]*[=:][^)]*\)", "", info.description_en) + ": "


def _CODE_LABEL_ZH(info: Any) -> str:
    return re.sub(r"（[^）]*为[^）]*）", "", info.description_zh) + "："


# -- one reason ---------------------------------------------------------------------------------
def _raw_sources() -> dict[str, tuple[str, ...]]:
    """Each source's raw columns, read from the feature builders' inputs (not the catalogue the
    engine judges by): a source is missing when every one of them is null."""
    from riskmodels.features import flow, pos, tax
    from riskmodels.features.bureau import COLUMNS as BUREAU

    raw = {"flow": flow.COLUMNS, "tax": tax.COLUMNS, "pos": pos.COLUMNS,
           "bureau_enterprise": tuple(c for c in BUREAU if c.startswith("eb_"))}
    return {**raw, "observed_revenue": (*raw["flow"], *raw["tax"])}


RAW_SOURCES = _raw_sources()


def check_reason(reason: ReasonCode, features: Mapping[str, Any], card: CompiledScorecard | None,
                 raw: Mapping[str, Any] | None = None) -> list[str]:
    """What is false in ``reason`` about the row with ``features`` ([] when it is all true);
    ``raw`` is the application as sent, which a missing source's reason is judged on."""
    _, catalogue = catalogue_of(reason.model)
    source = catalogue.missing_sources.get(reason.feature)
    if source is not None and source.code == reason.code:
        sent = raw or {}
        problems = [] if all(is_missing(sent.get(c)) for c in RAW_SOURCES[reason.feature]) else [
            f"{reason.code} must be given only when every column of the {reason.feature} source is null"]
        if (reason.text_zh, reason.text_en) != SOURCE_MISSING[reason.feature]:
            problems.append(f"{reason.code} must keep its source's text; got {reason.text_en!r}")
        return problems
    info = _infos()[reason.feature]
    raw = features.get(reason.feature)
    problems = []
    if not ((is_missing(raw) and reason.value is None) or reason.value == raw or reason.value == float(raw)):
        problems.append(f"value must be the applicant's {raw!r}; got {reason.value!r}")
    label = _CODE_LABEL_EN(info)
    if not reason.text_en.startswith(label):
        return [*problems, f"text must start with {label!r}; got {reason.text_en!r}"]
    body = reason.text_en[len(label):]
    stated, _, claims = body.partition(" (")
    value, tolerance = _shown(stated, info)
    if is_missing(raw) != is_missing(value) or (
            not is_missing(raw) and (abs(value - raw) > tolerance if isinstance(raw, float) and not isinstance(
                value, str) else value != raw)):
        problems.append(f"stated value {stated!r} must be the applicant's {raw!r}")
    problems += _zh_matches(reason.text_zh, reason.text_en, info)
    if card is None:  # a GBM: the value alone, never one the catalogue calls the safest
        if claims:
            problems.append(f"a GBM reason must state the value alone; got {body!r}")
        if not is_missing(raw) and not isinstance(raw, str) and (
                raw in info.special_codes or (info.risk_direction == 1 and raw <= 0)
                or (info.risk_direction == -1 and info.unit == "flag" and raw >= 1)):
            problems.append(f"{stated!r} is the safest value there is, so it is no adverse reason")
        return problems
    claims = claims.removesuffix(")")
    band_text, _, best_text = claims.partition(_SEP) if claims.startswith("band: ") else ("", "", claims)
    best_text = best_text.removeprefix("best band: ")
    points = _points(card, reason.feature, raw)
    best_points = card.max_points[reason.feature]
    if band_text.startswith("not seen") or band_text == "":
        if not (is_missing(raw) or raw in info.special_codes or band_text.startswith("not seen")):
            problems.append(f"a value with no band must be missing or special; got {raw!r}")
    else:
        band = _band(band_text.removeprefix("band: "), info)
        if not _holds(band, raw):
            problems.append(f"value {raw!r} must lie in the stated band {band_text!r}")
        if band[0] == "interval" and not _holds(band, value):
            problems.append(f"shown value {stated!r} must read inside the shown band {band_text!r}")
        if abs(_points(card, reason.feature, _inside(band, info)) - points) > 1e-9:
            problems.append(f"a value in the stated band {band_text!r} must score as {raw!r} does")
    best = _band(best_text, info)
    if abs(_points(card, reason.feature, _inside(best, info)) - best_points) > 1e-9:
        problems.append(f"a value in the stated best band {best_text!r} must score the best points")
    if reason.points_lost is None or abs(reason.points_lost - (best_points - points)) > 1e-9 or points >= best_points:
        problems.append(f"points lost must be the best band's {best_points} minus {points}; got {reason.points_lost}")
    return problems


@cache
def _infos() -> dict[str, Any]:
    from riskmodels.features import FEATURES
    from riskmodels.features.behavior import BEHAVIOR_FEATURES
    from riskmodels.features.collection import COLLECTION_FEATURES

    return {**FEATURES, **BEHAVIOR_FEATURES, **COLLECTION_FEATURES}


# -- a book -------------------------------------------------------------------------------------
def check_applications(applications: pd.DataFrame, bundle: Any, tally: Tally) -> None:
    from riskmodels.decision import decide
    from riskmodels.features import build_features_one

    for application in applications.to_dict(orient="records"):
        features = build_features_one(application)
        # The raw columns the issue names: the feature is the applicant's own figure.
        y1, y2 = application.get("tax_paid_y1"), application.get("tax_paid_y2")
        if not is_missing(y1) and not is_missing(y2) and y2:
            assert features["tax_growth"] == pytest.approx((y1 - y2) / y2)
        assert features["pb_months_since_overdue"] == application["pb_months_since_overdue"]
        answer = decide(application, bundle)
        where = str(application.get("application_id"))
        for reason in answer.reasons:
            tally.add(check_reason(reason, features, bundle.scorecard, application), f"{where} {reason.code}")
        for reason in answer.fraud.reasons:
            tally.add(check_reason(reason, features, None, application), f"{where} fraud {reason.code}")


def check_accounts(models: Any, kind: Any, rows: pd.DataFrame, tally: Tally) -> None:
    from riskmodels.decision.accounts import _ONE_ROW_FEATURES, score_behavior, score_collection

    score = score_behavior if str(kind) == "behavior" else score_collection
    model, _ = models.get(kind)
    card = model.scorer.scorecard
    records = rows.to_dict(orient="records")
    batch = score(models, records)  # the batch path, and a sample one by one (the live path)
    one_by_one = [score(models, [r])[0] for r in records[:200]]
    for record, result in [*zip(records, batch, strict=True), *zip(records, one_by_one)]:
        features = _ONE_ROW_FEATURES[kind](record)
        for reason in result.reasons:
            tally.add(check_reason(reason, features, card), f"{kind} {record.get('account_id')} {reason.code}")


def check_book(data_dir: Path, bundle: Any, accounts: Any | None, n: int = APPLICATIONS,
               n_accounts: int = ACCOUNTS) -> Tally:
    from riskmodels.config import ModelKind

    tally = Tally()
    check_applications(pd.read_parquet(data_dir / "applications.parquet").head(n), bundle, tally)
    if accounts is not None:
        for kind, table in ((ModelKind.BEHAVIOR, "behavior_snapshots"), (ModelKind.COLLECTION, "collection_cases")):
            check_accounts(accounts, kind, pd.read_parquet(data_dir / f"{table}.parquet").head(n_accounts), tally)
    return tally


def test_every_reason_in_a_generated_book_is_true(post_loan_store: Any, portfolio_dir: Path) -> None:
    from riskmodels.registry.champions import load_account_models, load_champions

    tally = check_book(portfolio_dir, load_champions(post_loan_store), load_account_models(post_loan_store))
    print(f"\n{tally.checked} reasons checked, {len(tally.false)} false")
    assert tally.checked > 3 * APPLICATIONS  # A and fraud reasons of every application, then B and C
    assert tally.false == [], "\n".join(tally.false[:20])


def test_the_checker_catches_a_false_text(trained_store: Any) -> None:
    # A check that finds nothing must be able to find something: the old fixed text, a wrong value.
    from riskmodels.registry.champions import load_champions

    bundle = load_champions(trained_store)
    card = bundle.scorecard
    feature = card.features[0]
    reason = ReasonCode(code="R_X", model="application", feature=feature, value=1.0, contribution=-1.0,
                        unit="points", points_lost=1.0, text_zh=CATALOGUES["application"].features[feature].text_zh,
                        text_en=CATALOGUES["application"].features[feature].text_en)
    assert check_reason(reason, {feature: 1.0}, card)
    assert check_reason(reason.model_copy(update={"model": "fraud"}), {feature: 1.0}, None)


if __name__ == "__main__":  # the figures for the closing note, from the registered champions
    from riskmodels.config import apply_offline_environment
    from riskmodels.registry.champions import load_account_models, load_champions

    apply_offline_environment()
    data = Path(sys.argv[1])
    size = int(sys.argv[2]) if len(sys.argv) > 2 else APPLICATIONS
    accounts = load_account_models()
    result = check_book(data, load_champions(), accounts if accounts.models else None, size, size)
    for line in result.false[:20]:
        print(line)
    print(f"{result.checked} reasons checked, {len(result.false)} false")
    sys.exit(1 if result.false or not result.checked else 0)
