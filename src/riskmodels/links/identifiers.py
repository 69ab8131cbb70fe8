"""The identifiers the platform links applications by, written one way and kept as keyed hashes.

An identifier is normalised first (the same phone written ``138 1234 5678`` or ``+86
13812345678`` is one phone), then hashed with the pseudonym key (``contract.privacy.pseudonym``,
the HMAC-SHA256 the audit log uses): the stores hold the hash, never the identifier. Without the
key, a guess of an ID number or a phone cannot be checked against a hash.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from riskmodels.contract.privacy import mask_id_number, mask_other, mask_phone, pseudonym


class IdentifierKind(StrEnum):
    """What an identifier names: the owner (resident ID number), the phone, the device, the
    business address."""

    ID_NUMBER = "id_number"
    PHONE = "phone"
    DEVICE = "device"
    ADDRESS = "address"


# The application's column of each kind (contract.tables: device and address are optional, and
# an application without them is linked by ID number and phone only).
COLUMN_OF: dict[IdentifierKind, str] = {
    IdentifierKind.ID_NUMBER: "owner_id_number",
    IdentifierKind.PHONE: "owner_phone",
    IdentifierKind.DEVICE: "device_id",
    IdentifierKind.ADDRESS: "business_address",
}

_SEPARATORS = re.compile(r"[\s\-()]+")
_COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=1[0-9]{10}$)")


def _id_number(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


def _phone(value: str) -> str:
    return _COUNTRY_CODE.sub("", _SEPARATORS.sub("", value))


def _device(value: str) -> str:
    return value.strip().lower()


def _address(value: str) -> str:
    # Full-width and half-width forms are one character (NFKC); spacing and case are not meaningful.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


_NORMALISERS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.ID_NUMBER: _id_number, IdentifierKind.PHONE: _phone,
    IdentifierKind.DEVICE: _device, IdentifierKind.ADDRESS: _address,
}
_MASKS: dict[IdentifierKind, Callable[[str], str]] = {
    IdentifierKind.ID_NUMBER: mask_id_number, IdentifierKind.PHONE: mask_phone,
    IdentifierKind.DEVICE: mask_other, IdentifierKind.ADDRESS: mask_other,
}


def normalised(kind: IdentifierKind, value: str) -> str:
    """``value`` written the one way the platform compares it; an empty result is refused."""
    text = _NORMALISERS[kind](value)
    if not text:
        raise ValueError(f"{COLUMN_OF[kind]} must be a non-empty identifier; got {value!r}")
    return text


def hashed(kind: IdentifierKind, value: str, key: bytes) -> str:
    """The keyed hash (hex) the stores keep of an identifier."""
    return pseudonym(normalised(kind, value), key)


def masked(kind: IdentifierKind, value: str) -> str:
    """The copy of an identifier a person may see (``138****5678``): the contract's masks."""
    return _MASKS[kind](normalised(kind, value))


def identifiers_of(row: Mapping[str, Any]) -> dict[IdentifierKind, str]:
    """The identifiers an application row carries (a missing or null one is left out)."""
    found: dict[IdentifierKind, str] = {}
    for kind, column in COLUMN_OF.items():
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            found[kind] = value
    return found


def hashes_of(row: Mapping[str, Any], key: bytes) -> dict[IdentifierKind, str]:
    """The keyed hashes of the identifiers ``row`` carries."""
    return {kind: hashed(kind, value, key) for kind, value in identifiers_of(row).items()}
