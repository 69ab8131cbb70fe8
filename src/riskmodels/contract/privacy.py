"""Personal data: masking of the identifiers an application carries (the owner's resident ID
number and mobile phone, the device fingerprint, the business address: the contract's ``pii``
columns), and keyed pseudonyms of any identifier.

The models never read them (they are keys for the loan system and the link store, not
features), so every copy
the platform keeps for itself (logs, the audit database) holds them masked the way Chinese
banks print them: ID ``110101********1234`` (region and last four kept, birth date hidden),
phone ``138****5678`` (carrier prefix and last four kept); a device fingerprint or an address
has no part that is safe to show, and only its length is kept. However a number is written, in
groups (``138 1234 5678``, ``138-1234-5678``, ``110101 1990 0307 1234``) or after China's
calling code (``+86 138 1234 5678``), the same digits are hidden and its separators kept:
``138 **** 5678``, ``+86 138 **** 5678``.

A mask alone can be undone: 8 hidden ID digits and 4 hidden phone digits are few enough to
enumerate. So nothing kept beside a masked copy may be a plain hash of the unmasked value; it
is an HMAC-SHA256 under a key held apart from the data (``pseudonym``; the key comes from the
settings, see ``riskmodels.config``). Without the key, a guess cannot be checked.

Logs get free text, where a value may be malformed (17 digits, full-width digits) and so not
look like an ID at all. ``mask_text`` therefore hides the whole value of any personal field
named in the text (JSON, Python repr, ``name=value``, pydantic's validation errors), whatever
it is, and any standalone run of 10 to 19 digits (any script's digits) that is not a
``YYYYMMDDhhmmss`` timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from riskmodels.contract.tables import APPLICATIONS, NOT_BLANK_PATTERN

MASK = "*"


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256 of ``value`` under ``key``, in hex: the same identifier always gives the same
    pseudonym, and without the key no guess of the identifier can be checked against it."""
    return hmac.digest(key, value.encode("utf-8"), hashlib.sha256).hex()


@lru_cache(maxsize=8)  # asked once per audit record; a process holds one key, two while rotating
def key_id(key: bytes) -> str:
    """A short fingerprint of ``key``, stored beside what it hashed so a rotated key's records
    stay verifiable with the old key. It reveals nothing of the key (it is one of its HMACs)."""
    return pseudonym("riskmodels-key-id", key)[:8]


# Well formed (ASCII digits only), or already masked: these keep the bank's partial mask.
_ID = re.compile(r"[0-9]{6}(?:[0-9]{8}|\*{8})[0-9]{3}[0-9Xx]")
_PHONE = re.compile(r"1[0-9]{2}(?:[0-9]{4}|\*{4})[0-9]{4}")
# People write numbers in groups: ``138 1234 5678``, ``138-1234-5678``, ``110101 19900307 1234``.
# A separator stands between two digits (or masks), never at either end: a space or a hyphen,
# two of them, or `` - ``.
_SEPARATORS = " -"
_SEP = r"(?: - |[ -]{1,2})"
_GROUPED = re.compile(rf"[0-9*](?:{_SEP}?[0-9*Xx])*")
# China's calling code before a mobile number: ``+86``, ``0086``, or ``86`` set apart by a separator.
_COUNTRY_CODE = rf"(?:(?:\+86|0086){_SEP}?|86{_SEP})"
_COUNTRY = re.compile(_COUNTRY_CODE)


def _digit_mask(value: str, pattern: re.Pattern[str], head: int, tail: int) -> str | None:
    """``value`` with the digits between its first ``head`` and last ``tail`` masked, its
    separators kept, when, its separators aside, it is ``pattern``; else None."""
    if _GROUPED.fullmatch(value) is None:
        return None
    compact = value.translate({ord(s): None for s in _SEPARATORS})
    if pattern.fullmatch(compact) is None:
        return None
    stop, index, out = len(compact) - tail, 0, []
    for char in value:
        if char in _SEPARATORS:
            out.append(char)
            continue
        out.append(char if index < head or index >= stop else MASK)
        index += 1
    return "".join(out)


def _spelled_id(value: str) -> str | None:
    return _digit_mask(value, _ID, 6, 4)


def _spelled_phone(value: str) -> str | None:
    masked = _digit_mask(value, _PHONE, 3, 4)
    country = _COUNTRY.match(value)
    if masked is None and country is not None:  # the calling code is no one's: kept as written
        rest = _digit_mask(value[country.end():], _PHONE, 3, 4)
        masked = None if rest is None else country.group(0) + rest
    return masked


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110101********1234``: the birth date is hidden. Written in
    groups, the same digits are hidden and the separators kept: ``110101 19900307 1234`` →
    ``110101 ******** 1234``. Any other value is hidden whole (``mask_other``): a malformed
    number has no part that is safe to show (a short one's first digits may be a birth date)."""
    return _spelled_id(value) or mask_other(value)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``. Written in groups or after China's calling code, the
    same digits are hidden: ``+86 138-1234-5678`` → ``+86 138-****-5678``. Any other value
    is hidden whole (``mask_other``), as in free text."""
    return _spelled_phone(value) or mask_other(value)


def mask_other(value: str) -> str:
    """Any other personal string: only its length is kept."""
    return MASK * len(value)


# The bank's partial masks, by column; any other personal column (device, address) is hidden whole.
_PARTIAL_MASKS: dict[str, Callable[[str], str]] = {"owner_id_number": mask_id_number, "owner_phone": mask_phone}


def _masker_for(name: str) -> Callable[[str], str]:
    return _PARTIAL_MASKS.get(name, mask_other)


PII_COLUMNS: dict[str, Callable[[str], str]] = {
    c.name: _masker_for(c.name) for c in APPLICATIONS.columns if c.pii
}
# Strings the applicant writes as they like (no categories, no format beyond not being blank;
# not a key the loan system issues): the business name.
FREE_TEXT_COLUMNS = frozenset(c.name for c in APPLICATIONS.columns if c.dtype == "string" and not c.pii
                              and c.categories is None and c.pattern in (None, NOT_BLANK_PATTERN)
                              and c.source != "key")


def mask_value(name: str, value: Any) -> Any:
    """``value`` masked when ``name`` is a personal column of the contract, else unchanged."""
    masker = PII_COLUMNS.get(name)
    if masker is None or value is None:
        return value
    return masker(str(value))


def mask_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an application with every personal (``pii``) column of the contract masked,
    and in its free text (``FREE_TEXT_COLUMNS``) whatever could be a resident ID or a mobile
    number (``mask_text``): a business name may carry the owner's phone."""
    # A copy, then the few personal and free-text columns: every decision's audit record passes
    # here, and an application has about 130 columns.
    masked = dict(record)
    for name in PII_COLUMNS.keys() & masked.keys():
        masked[name] = mask_value(name, masked[name])
    for name in FREE_TEXT_COLUMNS & masked.keys():
        if isinstance(masked[name], str):
            masked[name] = mask_text(masked[name])
    return masked


# -- free text ------------------------------------------------------------------------------
# A well-formed value (ASCII digits, grouped or not, or already masked) keeps the bank's
# partial mask. Any other value is hidden whole, its length kept: it has no safe part to show.
_WELL_FORMED: dict[Callable[[str], str], Callable[[str], str | None]] = {
    mask_id_number: _spelled_id, mask_phone: _spelled_phone}
_TIMESTAMP = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]")
_KEPT_LITERALS = frozenset({"null", "None", "true", "false", "True", "False"})

_NAMES = "|".join(re.escape(n) for n in sorted(PII_COLUMNS, key=len, reverse=True))
# China's mobile numbers and resident IDs as people write them: in groups or not, a mobile
# maybe after the calling code. ASCII digits only: any other digit makes a value malformed.
_MOBILE_SPELLED = rf"{_COUNTRY_CODE}?1{_SEP}?[3-9](?:{_SEP}?[0-9*]){{9}}"
_ID_SPELLED = rf"[0-9](?:{_SEP}?[0-9*]){{16}}{_SEP}?[0-9Xx]"
_MOBILE_RUN = re.compile(_MOBILE_SPELLED)
# A value as JSON, a Python repr or a ``key=value`` writes it: a quoted string (escapes
# allowed; an unterminated one runs to the end of the line), a flat list or dict, a bare
# token. A bare number may be written in groups (``owner_phone: 138 1234 5678``): a well-formed
# one is taken whole (when no more groups follow), else every group: none is left unmasked.
_VALUE = (r"""(?P<value>b?"(?:[^"\\\n]|\\.)*"|b?'(?:[^'\\\n]|\\.)*'|b?["'][^\n]*"""
          r"""|\[[^\]\n]*\]|\{[^}\n]*\}"""
          rf"""|(?:{_ID_SPELLED}|{_MOBILE_SPELLED})(?!{_SEP}?[0-9*Xx])"""
          rf"""|\+?[\d*][\d*Xx]*(?:{_SEP}[\d*][\d*Xx]*)*(?![^\s,;)}}\]])"""
          r"""|[^\s,;)}\]]+)""")
_EDGE = r"(?<![A-Za-z0-9_])"
# ``"owner_phone": ...``, ``'owner_phone': ...``, ``owner_phone=...``, ``owner_phone: ...``
_NAMED = re.compile(rf"""{_EDGE}(?P<q>["']?)(?P<name>{_NAMES})(?P=q)\s*[:=]\s*{_VALUE}""")
# pydantic: the field's path, then its input on the same or the next line
# (``owner_phone\n  String should ... [type=..., input_value='...', ...]``, or the repr of
# ``errors()``: ``'loc': ('body', 'owner_phone'), 'msg': '...', 'input': '...'``).
_INPUT_OF_NAMED = re.compile(
    rf"""{_EDGE}(?P<name>{_NAMES})(?![A-Za-z0-9_])[^\n]*?(?:\n[^\n]*?)?"""
    rf"""(?:\binput_value|(?P<q>["'])input(?P=q))\s*[:=]\s*{_VALUE}""")
# Standalone digit runs that could be an ID or a phone, well formed or not, in any script
# (``\d`` is Unicode: full-width ０-９ too), with an ID's check letter; IDs and mobiles written
# in groups (separators as above), a mobile maybe after China's calling code;
# JSON's escaped full-width digits.
_RUN = re.compile(
    rf"(?<![A-Za-z\d])(?:\d(?:{_SEP}?\d){{16}}{_SEP}?[\dXx]|{_COUNTRY_CODE}?[1１](?:{_SEP}?\d){{10}}"
    r"|\d{10,19}[Xx]?)(?![A-Za-z\d])"
    r"|(?:\\u[fF][fF]1[0-9]){10,19}")


def mask_any(name: str, value: str) -> str:
    """A personal field's value, whatever it is, for a log or a report: the bank's partial mask
    when it is well formed, else hidden whole (its length kept). ``mask_value`` keeps the ends
    of any value, which of a malformed one may be most of it."""
    return _mask_whole(value, PII_COLUMNS.get(name, mask_other))


def _mask_whole(value: str, masker: Callable[[str], str]) -> str:
    spelled = _WELL_FORMED.get(masker)
    masked = spelled(value) if spelled is not None else None
    return MASK * len(value) if masked is None else masked


def _mask_token(token: str, masker: Callable[[str], str]) -> str:
    if token in _KEPT_LITERALS:
        return token  # no personal data in a null
    prefix = "b" if token[:1] == "b" and token[1:2] in ("'", '"') else ""
    body = token[len(prefix):]
    if body[:1] in ("'", '"'):
        closed = len(body) >= 2 and body[-1] == body[0]
        inner = body[1:-1] if closed else body[1:]
        return prefix + body[0] + _mask_whole(inner, masker) + (body[0] if closed else "")
    if body[:1] in ("[", "{"):
        return body[0] + MASK * (len(body) - 2) + body[-1]
    return _mask_whole(body, masker)


def _mask_named(match: re.Match[str]) -> str:
    start, end = match.span("value")
    masked = _mask_token(match.group("value"), PII_COLUMNS[match.group("name")])
    return match.string[match.start():start] + masked + match.string[end:match.end()]


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    if _TIMESTAMP.fullmatch(run):
        return run  # YYYYMMDDhhmmss: a time, kept readable
    if run.startswith("\\u"):
        return MASK * (len(run) // 6)
    # Only a mobile's shape (1, then 3-9) keeps the phone mask here: another 11-digit number
    # in free text is no phone, and is hidden whole.
    masked = _spelled_id(run) or (_spelled_phone(run) if _MOBILE_RUN.fullmatch(run) else None)
    return masked or re.sub(r"[^ +-]", MASK, run)  # a grouped number keeps its spaces and dashes


def mask_numbers(text: str) -> str:
    """Mask, in text, anything that could be a resident ID or a mobile number, and nothing
    else: for a message that names personal fields by their rules ("owner_phone: must be 11
    digits"), where the name is followed by words, not by a value."""
    return _LOOSE.sub(_mask_loose, _RUN.sub(_mask_run, text))


# A mobile's or an ID's digits run into words or written with other separators, as people type
# them into a name or a note: "Tel13822223333", "ID110105199202023319", "138.1112.2233",
# "(138)3333-4444", "138_4444_5555". Masked wherever they stand, except inside a long
# hexadecimal token (a request id, a hash), which is no one's number.
_LOOSE = re.compile(r"(?<!\d)(?:\(?1[3-9]\d\)?[ ._-]?\d{4}[ ._-]?\d{4}|\d{17}[\dXx])(?!\d)")
_HEX = frozenset("0123456789abcdefABCDEF")
_HEX_LETTERS = frozenset("abcdefABCDEF")


def _mask_loose(match: re.Match[str]) -> str:
    text, (start, end) = match.string, match.span()
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    token = text[start:end]
    run = match.group(0)
    if len(token) >= 16 and set(token) <= _HEX and set(token) & _HEX_LETTERS:
        return run
    # An ID's check letter is its last character: the bank's mask keeps region and last four, a
    # mobile's its first three and last four.
    places = [i for i, c in enumerate(run) if c.isdigit() or (c in "Xx" and i == len(run) - 1)]
    head, tail = (6, 4) if len(places) == 18 else (3, 4)
    hidden = set(places[head:len(places) - tail])
    return "".join(MASK if i in hidden else c for i, c in enumerate(run))


def mask_text(text: str) -> str:
    """Mask, in free text, the value of every personal field named in it (whatever the value
    is) and anything else that could be a resident ID or a mobile number."""
    text = _NAMED.sub(_mask_named, text)
    text = _INPUT_OF_NAMED.sub(_mask_named, text)
    return mask_numbers(text)


class PiiLogFilter(logging.Filter):
    """Masks personal data in a log record (``mask_text``) before any handler writes it.

    Attach it to handlers (a filter on a logger does not see records propagated from its
    children). The message is rendered, masked and frozen, and so is an exception's text,
    since a validation error may quote the input it rejected.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
