"""What the link store computes, and the same computed over a whole frame for training.

The fraud model's link and velocity inputs (contract columns of the anti-fraud source), each
as the platform saw them **strictly before** the application's time ``t``:

- ``phone_shared_count``, ``device_shared_count``, ``address_shared_count``: the other owners
  (distinct resident ID numbers, the owner's own earlier applications left out) seen with the
  same phone, device or business address at any time before ``t``;
- ``applications_7d``, ``applications_30d``: the owner's own applications in ``[t - 7 days, t)``
  and ``[t - 30 days, t)`` (the application itself not counted).

Equal times never see each other: two applications stamped with the same microsecond are
both "before" neither, so the answer does not depend on the order rows are given in. The
service stamps each application with the time it received it, so ties there are rare; a
training frame known only by its dates puts every application at midnight UTC, and
applications of the same day are then not linked to each other (the conservative side: no
look-ahead, at the cost of missing a ring that applies within one day).

The simulator's count columns are the anti-fraud vendor's: over all lenders and all time, so
for ring members they include applications at other lenders that this platform never sees
(``synth.fraud_rings``), and they look ahead. The store can count only its own, as of each
application's time: ``in_place_frame`` puts those in place from the book's ``device_id`` and
``business_address`` (generator 1.4 on), as scoring does, wherever a row carries them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskmodels.links.identifiers import COLUMN_OF, IdentifierKind, normalised

DAY_US = 86_400 * 1_000_000
VELOCITY_WINDOWS_US = {"applications_7d": 7 * DAY_US, "applications_30d": 30 * DAY_US}
SHARED_COLUMNS = {
    IdentifierKind.PHONE: "phone_shared_count",
    IdentifierKind.DEVICE: "device_shared_count",
    IdentifierKind.ADDRESS: "address_shared_count",
}
# Every request column the platform now computes itself: the counts, and the list check.
COUNT_COLUMNS = (*SHARED_COLUMNS.values(), *VELOCITY_WINDOWS_US)
LINKED_COLUMNS = (*COUNT_COLUMNS, "blacklist_hit")


@dataclass(frozen=True)
class LinkCounts:
    """One application's link and velocity counts; None where it carried no such identifier."""

    phone_shared_count: int | None
    device_shared_count: int | None
    address_shared_count: int | None
    applications_7d: int | None
    applications_30d: int | None

    def as_row(self) -> dict[str, int | None]:
        return asdict(self)


def in_place(row: Mapping[str, Any], counts: LinkCounts, list_hit: bool) -> dict[str, Any]:
    """``row`` with the platform's values in place of the caller's: each shared count the store
    could compute wins; one it could not (no device id sent, say) keeps the caller's, or 0 when
    the caller sent none (the platform has seen no link). Velocity is the larger of the two: the
    contract's count is of applications at all lenders, which only the caller's bureau data sees,
    while the store adds this platform's own, which the bureau may not have seen yet. A list hit
    sets ``blacklist_hit``; the caller's own true (from a list the platform does not keep) is kept."""
    out = dict(row)
    for name, value in counts.as_row().items():
        sent = row.get(name)
        if name in VELOCITY_WINDOWS_US and value is not None and sent is not None:
            out[name] = max(value, sent)
            continue
        out[name] = value if value is not None else (sent if sent is not None else 0)
    out["blacklist_hit"] = bool(row.get("blacklist_hit")) or list_hit
    return out


# -- the same over a frame (training), vectorised -------------------------------------------------
def _codes(values: Any) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64)


def _count_before(ref_group: np.ndarray, ref_t: np.ndarray, group: np.ndarray, t: np.ndarray,
                  window: int | None) -> np.ndarray:
    """For each query (group, t): how many references share its group with a time in
    ``[t - window, t)`` (``[-inf, t)`` without a window). Groups below 0 are nobody's."""
    keep = ref_group >= 0
    times = np.unique(ref_t[keep])
    base = len(times) + 1
    # A time as its rank among the references' times: a reference is before t exactly when its
    # rank is below the count of reference times before t; (group, rank) packs in one int64.
    keys = np.sort(ref_group[keep] * base + np.searchsorted(times, ref_t[keep]))
    hi = np.searchsorted(keys, group * base + np.searchsorted(times, t, side="left"), side="left")
    lo_rank = np.zeros_like(t) if window is None else np.searchsorted(times, t - window, side="left")
    lo = np.searchsorted(keys, group * base + lo_rank, side="left")
    return np.where(group >= 0, hi - lo, -1)


def velocity_counts(owner: np.ndarray, t: np.ndarray, window_us: int) -> np.ndarray:
    """The owner's applications in ``[t - window, t)``; -1 where the owner is unknown."""
    return _count_before(owner, t, owner, t, window_us)


def shared_counts(link: np.ndarray, owner: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Distinct other owners seen with the same identifier before ``t``; -1 where the
    identifier is unknown. ``link`` and ``owner`` are integer codes (-1: missing)."""
    pairs = pd.DataFrame({"link": link, "owner": owner, "t": t})
    pairs = pairs[(pairs["link"] >= 0) & (pairs["owner"] >= 0)]
    first = pairs.groupby(["link", "owner"], sort=False)["t"].min()  # when each owner first used it
    link_of = first.index.get_level_values("link").to_numpy(np.int64)
    seen = _count_before(link_of, first.to_numpy(np.int64), link, t, None)
    # The owner's own earlier use of this identifier is not another owner.
    own = pd.Series(first.to_numpy(np.int64), index=first.index).reindex(
        pd.MultiIndex.from_arrays([link, owner])).to_numpy(dtype=float)
    own_before = np.nan_to_num(own, nan=np.inf) < t
    return np.where(link >= 0, seen - own_before, -1)


def point_in_time_counts(times_us: np.ndarray, identifiers: Mapping[IdentifierKind, Any]) -> pd.DataFrame:
    """Every application's counts as the store would have answered at its time (the module's
    definitions), for a frame of applications: ``times_us`` (int64 microseconds, UTC) and,
    per kind, comparable identifier values (normalised or hashed; None where missing). A kind
    not given, or an application without the owner's ID number, gets nulls (``Int64``)."""
    t = np.asarray(times_us, dtype=np.int64)
    n = len(t)
    owner = _codes(identifiers[IdentifierKind.ID_NUMBER]) if IdentifierKind.ID_NUMBER in identifiers \
        else np.full(n, -1, np.int64)
    out: dict[str, np.ndarray] = {}
    for kind, column in SHARED_COLUMNS.items():
        values = identifiers.get(kind)
        link = _codes(values) if values is not None else np.full(n, -1, np.int64)
        link = np.where(owner >= 0, link, -1)
        out[column] = shared_counts(link, owner, t)
    for column, window in VELOCITY_WINDOWS_US.items():
        out[column] = velocity_counts(owner, t, window)
    frame = pd.DataFrame(out)[list(COUNT_COLUMNS)]
    return frame.astype("Int64").mask(frame < 0)


def dates_to_us(dates: Any) -> np.ndarray:
    """Dates (or naive times, read as UTC) as int64 microseconds since the epoch."""
    return np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[us]").astype(np.int64))


def frame_counts(frame: pd.DataFrame, time_column: str = "application_date") -> pd.DataFrame:
    """``point_in_time_counts`` of an application frame with raw identifiers in the contract's
    columns (``COLUMN_OF``; those absent are left out), each normalised as the store does."""
    identifiers: dict[IdentifierKind, Any] = {}
    for kind, column in COLUMN_OF.items():
        if column in frame.columns:
            identifiers[kind] = [None if v is None or (isinstance(v, float) and np.isnan(v)) else normalised(kind, str(v))
                                 for v in frame[column].tolist()]
    counts = point_in_time_counts(dates_to_us(frame[time_column]), identifiers)
    counts.index = frame.index
    return counts


def in_place_frame(frame: pd.DataFrame, time_column: str = "application_date") -> pd.DataFrame:
    """``in_place`` over a book of applications, the store's counts computed point-in-time from
    the book itself (``frame_counts``): what a model is trained on, so that it learns the values
    scoring will give it. A shared count the book's identifiers give replaces the book's; velocity
    is the larger of the two. Lists are not applied: a book's ``blacklist_hit`` is as recorded."""
    counts = frame_counts(frame, time_column)
    out = frame.copy()
    for name in counts.columns:
        store = counts[name].astype(float)
        sent = out[name].astype(float) if name in out.columns else pd.Series(np.nan, index=out.index)
        if name in VELOCITY_WINDOWS_US:
            value = pd.Series(np.fmax(store.to_numpy(), sent.to_numpy()), index=out.index)  # NaN only where both are
        else:
            value = store.where(store.notna(), sent)
        out[name] = value.fillna(0).astype(np.int64)
    return out
