"""Masking of personal data: the owner's resident ID number and mobile phone.

The models never read either (they are keys for the loan system, not features), so every copy
the platform keeps for itself (logs, the audit database) holds them masked the way Chinese
banks print them: ID ``110101********1234`` (region and last four kept, birth date hidden),
phone ``138****5678`` (carrier prefix and last four kept).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from riskmodels.contract.tables import APPLICATIONS

MASK = "*"

# An 18-character resident ID (last character may be the check letter X) or a mainland mobile
# number, standing alone: not part of a longer run of digits such as an amount or a timestamp.
_ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_PHONE_PATTERN = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def _keep_ends(value: str, head: int, tail: int) -> str:
    if len(value) <= head + tail:
        # Too short to show any part safely: hide it all rather than reveal most of it.
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[-tail:]


def mask_id_number(value: str) -> str:
    """``110101199003071234`` → ``110101********1234``: the birth date is hidden."""
    return _keep_ends(value, 6, 4)


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return _keep_ends(value, 3, 4)


def mask_other(value: str) -> str:
    """Any other personal string: only its length is kept."""
    return MASK * len(value)


def _masker_for(name: str) -> Callable[[str], str]:
    if "id_number" in name:
        return mask_id_number
    if "phone" in name:
        return mask_phone
    return mask_other


PII_COLUMNS: dict[str, Callable[[str], str]] = {
    c.name: _masker_for(c.name) for c in APPLICATIONS.columns if c.pii
}


def mask_value(name: str, value: Any) -> Any:
    """``value`` masked when ``name`` is a personal column of the contract, else unchanged."""
    masker = PII_COLUMNS.get(name)
    if masker is None or value is None:
        return value
    return masker(str(value))


def mask_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an application with every personal (``pii``) column of the contract masked."""
    return {name: mask_value(name, value) for name, value in record.items()}


def mask_text(text: str) -> str:
    """Mask anything in free text that looks like a resident ID or a mobile number."""
    text = _ID_PATTERN.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_PATTERN.sub(lambda m: mask_phone(m.group(0)), text)


class PiiLogFilter(logging.Filter):
    """Masks resident IDs and mobile numbers in a log record before any handler writes it.

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
