"""The platform's own identity links and lists: hashed identifiers over time, shared counts and
velocity point-in-time, and blacklists with provenance and expiry."""

from riskmodels.links.counts import (
    COUNT_COLUMNS,
    LINKED_COLUMNS,
    LinkCounts,
    frame_counts,
    in_place_frame,
    point_in_time_counts,
)
from riskmodels.links.identifiers import COLUMN_OF, IdentifierKind, hashed, masked
from riskmodels.links.lists import ExitRule, ListChange, ListEntry, ListError, ListKind, Lists
from riskmodels.links.store import LinkStore, LinkStoreError, Observed

__all__ = [
    "COLUMN_OF", "COUNT_COLUMNS", "LINKED_COLUMNS", "ExitRule", "IdentifierKind", "LinkCounts", "LinkStore",
    "LinkStoreError", "ListChange", "ListEntry", "ListError", "ListKind", "Lists", "Observed", "frame_counts",
    "hashed", "in_place_frame", "masked", "point_in_time_counts",
]
