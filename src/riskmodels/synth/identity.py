"""Fake but well-formed identities: resident ID numbers, mobile numbers, business names.

Built as whole arrays (digits in a uint8 matrix viewed as fixed-width strings) because a
Python loop over a million rows would dominate the simulator's run time.
"""

from __future__ import annotations

import numpy as np

from riskmodels.contract import INDUSTRIES

# Six-digit administrative division codes of a few prefecture-level cities (the ID's first digits).
REGION_CODES = np.array([
    110105, 310104, 440106, 440305, 330106, 320102, 510107, 420106, 610113, 370102,
    350203, 430104, 410105, 500103, 120101, 210102, 340104, 360102, 450103, 530102,
])
# ISO 7064 MOD 11-2 weights and check characters of the 18-character resident ID (GB 11643).
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
# Mobile network prefixes in use, and the virtual-operator ones (170/171/165/167) that fraud
# rings favour because such numbers are cheap and anonymous.
PHONE_PREFIXES = np.array([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 152, 155, 158, 159,
                           166, 176, 177, 180, 181, 186, 187, 188, 189, 191, 198, 199])
VIRTUAL_PREFIXES = np.array([165, 167, 170, 171])
_SUBSCRIBERS = 10**8


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Decimal digits of non-negative integers, as an (n, width) matrix, most significant first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers) % 10


def ascii_strings(codes: np.ndarray) -> np.ndarray:
    """An (n, width) matrix of ASCII codes -> array of fixed-width unicode strings."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    return codes.view(f"S{codes.shape[1]}").ravel().astype(f"U{codes.shape[1]}")


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` followed by zero-padded ``numbers``, e.g. APP00000042."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    body = digits(numbers, width).astype(np.uint8) + ord("0")
    return ascii_strings(np.hstack([np.broadcast_to(head, (len(body), len(head))), body]))


def resident_ids(rng: np.random.Generator, birth_dates: np.ndarray, female: np.ndarray) -> np.ndarray:
    """18-character resident ID numbers with a valid birth date, sex digit and check digit."""
    n = len(birth_dates)
    region = REGION_CODES[rng.integers(0, len(REGION_CODES), n)]
    # Sequence number: its last digit is odd for men, even for women.
    sequence = rng.integers(0, 50, n) * 20 + rng.integers(0, 5, n) * 2 + np.where(female, 0, 1)
    return resident_ids_from(region, birth_dates, sequence % 1000)


def resident_ids_from(region: np.ndarray, birth_dates: np.ndarray, sequence: np.ndarray) -> np.ndarray:
    """IDs from their parts: 6-digit region, birth date, 3-digit sequence; adds the check digit."""
    ymd = np.asarray(birth_dates).astype("datetime64[D]").astype(str)  # 'YYYY-MM-DD'
    birth = np.char.replace(ymd, "-", "").astype(np.int64)
    body = np.hstack([digits(region, 6), digits(birth, 8), digits(sequence, 3)])
    check = _ID_CHECK[(body * _ID_WEIGHTS).sum(axis=1) % 11]
    return ascii_strings(np.hstack([body.astype(np.uint8) + ord("0"), check[:, None]]))


def phone_numbers(rng: np.random.Generator, serials: np.ndarray, prefixes: np.ndarray = PHONE_PREFIXES) -> np.ndarray:
    """11-digit mobile numbers, one per distinct serial (0 <= serial < 10^8), never colliding.

    The last eight digits are a bijection of the serial (an affine map modulo 10^8 with a
    multiplier prime to 10), so two applicants share a number only when the simulator means it.
    """
    serials = np.asarray(serials, dtype=np.int64)
    if len(serials) and (serials.min() < 0 or serials.max() >= _SUBSCRIBERS):
        raise ValueError(f"serials must lie in [0, {_SUBSCRIBERS}); got {serials.min()} .. {serials.max()}")
    # One prefix per distinct serial: members of a ring who share a serial share the whole number.
    distinct, which = np.unique(serials, return_inverse=True)
    prefix = prefixes[rng.integers(0, len(prefixes), len(distinct))][which]
    subscriber = (serials * 48_271 + 9_176_543) % _SUBSCRIBERS
    number = prefix.astype(np.int64) * _SUBSCRIBERS + subscriber
    return ascii_strings(digits(number, 11).astype(np.uint8) + ord("0"))


# Business names: a trade name, a word for the trade, a legal-form suffix.
_TRADE_NAMES = np.array([
    "老王", "鑫隆", "恒达", "华美", "金源", "永盛", "宏图", "顺发", "佳禾",
    "瑞丰", "兴旺", "诚信", "新城", "东方", "万家", "福满", "盛世", "天成",
    "联创", "汇通", "嘉禾", "润泽", "博远", "晨光", "锦绣", "百川", "明德",
    "安泰", "和记", "吉祥", "大众", "宏远", "聚鑫", "乐购", "小李", "阿强",
])
_TRADE_WORDS = {
    "catering": ["家常菜", "餐饮", "面馆", "火锅", "小吃"],
    "retail": ["超市", "便利店", "服饰", "百货", "五金店"],
    "wholesale": ["商贸", "贸易", "批发部", "供应链"],
    "manufacturing": ["零部件", "机械", "塑胶制品", "五金制品", "服装加工"],
    "technology": ["科技", "信息技术", "软件", "网络科技", "视觉科技"],
    "services": ["美容", "家政服务", "维修", "广告", "教育咨询"],
    "agriculture": ["农业", "养殖", "种植", "果蔬", "农产品"],
    "transport": ["物流", "运输", "货运", "快递服务"],
    "construction": ["建筑工程", "装饰工程", "建材", "劳务"],
    "entertainment": ["文化传媒", "KTV", "影城", "健身"],
    "mining": ["矿业", "石材", "砂石"],
}
_SUFFIX_INDIVIDUAL = np.array(["店", "经营部", "馆", "坊"])
_SUFFIX_COMPANY = np.array(["有限公司", "有限责任公司", "加工厂"])


def business_names(rng: np.random.Generator, industry: np.ndarray, individual: np.ndarray) -> np.ndarray:
    n = len(industry)
    trade = _TRADE_NAMES[rng.integers(0, len(_TRADE_NAMES), n)]
    word = np.empty(n, dtype=object)
    for code, name in enumerate(INDUSTRIES):  # eleven vectorised picks, not a loop over rows
        rows = np.flatnonzero(industry == code)
        choices = np.array(_TRADE_WORDS[name])
        word[rows] = choices[rng.integers(0, len(choices), len(rows))]
    suffix = np.where(individual, _SUFFIX_INDIVIDUAL[rng.integers(0, len(_SUFFIX_INDIVIDUAL), n)],
                      _SUFFIX_COMPANY[rng.integers(0, 3, n)])
    # Factories (加工厂) only in manufacturing.
    suffix = np.where((suffix == "加工厂") & (industry != INDUSTRIES.index("manufacturing")), "有限公司", suffix)
    return np.strings.add(np.strings.add(trade, word.astype(str)), suffix)
