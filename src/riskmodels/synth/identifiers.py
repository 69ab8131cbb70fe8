"""The identifiers the platform links applications by, beyond the owner's ID and phone: the
fingerprint of the device each application was submitted from, and the business address.

Who shares what follows the sharing the anti-fraud columns already describe
(``fraud_rings.add_antifraud_signals``), so that the identifiers and the counts tell one story:

- a fraud ring's members share a few devices and one or two addresses, the very slots their
  ``device_shared_count`` and ``address_shared_count`` were counted from;
- any other applicant whose count says it shares with ``k`` others shares, with ``k`` other
  applicants of the book who say the same (a family's tablet, shops of one market building);
  the few left over when the book holds no complete group share only at other lenders;
- everyone else has a device and an address of their own.

So, over the whole book and ignoring time, the number of other applicants seen with an
application's device or address never exceeds the simulator's count (equal for the honest in
a complete group; a ring's count also holds its applications at other lenders), and the counts
the link store gives, point in time, are at most that. Training and scoring use the store's
(``links.in_place_frame``, the service's link store); the book's count columns stay the
anti-fraud vendor's, as generator 1.3 made them.

Drawn from their own random stream (``identity_rng``): every other column of a book with the
same seed is what it was before these two were added.
"""

from __future__ import annotations

import numpy as np

from riskmodels.synth.identity import ascii_strings, digits
from riskmodels.synth.latent import Chunk

FINGERPRINT_LENGTH = 32  # hex characters: 128 random bits, so two devices never collide by chance
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_CITIES = np.array([
    "北京市朝阳区", "北京市海淀区", "北京市丰台区", "上海市浦东新区", "上海市徐汇区", "上海市静安区",
    "广州市天河区", "广州市越秀区", "广州市白云区", "深圳市南山区", "深圳市福田区", "深圳市宝安区",
    "杭州市西湖区", "杭州市拱墅区", "南京市玄武区", "南京市鼓楼区", "成都市武侯区", "成都市锦江区",
    "武汉市江汉区", "武汉市洪山区", "西安市雁塔区", "西安市碑林区", "济南市历下区", "天津市和平区",
])
_ROAD_STEMS = np.array([
    "人民", "解放", "中山", "建设", "和平", "新华", "胜利", "文化", "光明", "长江", "黄河", "东风", "青年",
    "工业", "商业", "学府", "科技", "金融", "滨江", "湖滨", "朝阳", "幸福", "民主", "复兴", "团结",
])
_ROAD_KINDS = np.array(["路", "街", "大道", "东路", "西路", "南路", "北路", "中路", "大街", "巷"])
# An address is a bijection of a serial number below 10^8 (the book's row numbers): room,
# floor, street number and road in mixed radix, after a shuffle modulo 10^8 (affine with a
# multiplier prime to 10, the eight digits reversed, affine again: neighbouring serials land far
# apart), so two applicants share an address only when the simulator means it.
_ROOMS, _FLOORS, _NUMBERS = 20, 25, 800
_ROADS = len(_ROAD_STEMS) * len(_ROAD_KINDS)
_SERIALS = 10**8
assert _ROOMS * _FLOORS * _NUMBERS * _ROADS == _SERIALS


def sharing_groups(rng: np.random.Generator, shared: np.ndarray, ring: np.ndarray, ring_slot: np.ndarray) -> np.ndarray:
    """For each row, the row whose identifier it uses (itself when it shares with nobody here).

    ``shared`` is each row's count of other applicants with the same identifier, ``ring`` its
    ring (-1: none) and ``ring_slot`` which of the ring's identifiers it uses."""
    n = len(shared)
    holder = np.arange(n)
    in_ring = ring >= 0
    members = np.flatnonzero(in_ring)
    if len(members):
        _, first, inverse = np.unique(ring[members] * 100 + ring_slot[members], return_index=True,
                                      return_inverse=True)
        holder[members] = members[first][inverse]
    others = ~in_ring
    for k in np.unique(shared[others]):
        if k <= 0:
            continue
        rows = rng.permutation(np.flatnonzero(others & (shared == k)))
        groups = rows[: len(rows) // (k + 1) * (k + 1)].reshape(-1, k + 1)
        holder[groups] = groups[:, :1]
    return holder


def fingerprints(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` device fingerprints: 32 lowercase hex characters each."""
    return ascii_strings(_HEX[rng.integers(0, len(_HEX), (n, FINGERPRINT_LENGTH))])


def addresses(rng: np.random.Generator, serials: np.ndarray) -> np.ndarray:
    """One normalised business address per serial (0 <= serial < 10^8), never colliding: city and
    district drawn, road, number, floor and room from the serial."""
    serials = np.asarray(serials, dtype=np.int64)
    if len(serials) and (serials.min() < 0 or serials.max() >= _SERIALS):
        raise ValueError(f"serials must lie in [0, {_SERIALS}); got {serials.min()} .. {serials.max()}")
    s = (serials * 7_654_321 + 1_234_567) % _SERIALS
    s = (digits(s, 8)[:, ::-1] @ (10 ** np.arange(7, -1, -1))) * 48_271 % _SERIALS
    room, s = s % _ROOMS + 1, s // _ROOMS
    floor, s = s % _FLOORS + 1, s // _FLOORS
    number, road = s % _NUMBERS + 1, s // _NUMBERS
    city = _CITIES[rng.integers(0, len(_CITIES), len(serials))]
    parts = (city, _ROAD_STEMS[road // len(_ROAD_KINDS)], _ROAD_KINDS[road % len(_ROAD_KINDS)],
             number.astype(str), "号", floor.astype(str), "层", np.char.zfill(room.astype(str), 2), "室")
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def add_identifiers(chunk: Chunk, rng: np.random.Generator) -> None:
    """``device_id`` and ``business_address`` of every application of the chunk."""
    h, c, n = chunk.hidden, chunk.cols, chunk.n
    device_holder = sharing_groups(rng, c["device_shared_count"], h["ring_number"], h["ring_device_slot"])
    address_holder = sharing_groups(rng, c["address_shared_count"], h["ring_number"], h["ring_address_slot"])
    c["device_id"] = fingerprints(rng, n)[device_holder]
    c["business_address"] = addresses(rng, chunk.first_row + np.arange(n))[address_holder]
