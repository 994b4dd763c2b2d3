"""Pure helpers for the demo residents: names by surname frequency, valid ID numbers, phones.

ID numbers follow GB 11643 (region, birth date, sequence whose last digit is odd for men, ISO
7064 MOD 11-2 check character) and pass python-stdnum's ``cn.ric`` validation, which also checks
that the region code existed in the birth year: Minhang's 310112 exists since 1981, so older
registered residents carry the Shanghai district code of their first registration.
"""

from __future__ import annotations

import datetime
import random
import zlib
from bisect import bisect
from collections.abc import Sequence
from functools import cache

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

MINHANG = "310112"
# Shanghai districts whose codes are valid for every birth year (older registered residents).
SHANGHAI_OLDER = ("310104", "310101", "310105", "310107", "310110")
# Where Maqiao's migrants (来沪人员) come from: (division code, weight). Codes valid only in some
# years are used for people born in those years; the rest fall back to an always-valid code.
MIGRANT_ORIGINS: tuple[tuple[str, int], ...] = (
    ("341221", 9),  # 安徽 临泉
    ("341226", 6),  # 安徽 颍上
    ("340321", 5),  # 安徽 怀远
    ("342201", 4),  # 安徽 宿州
    ("340421", 4),  # 安徽 凤台
    ("340621", 3),  # 安徽 濉溪
    ("413026", 5),  # 河南 固始
    ("412721", 4),  # 河南 扶沟
    ("410102", 2),  # 河南 郑州中原
    ("320321", 3),  # 江苏 丰县
    ("321322", 4),  # 江苏 沭阳
    ("320830", 2),  # 江苏 盱眙
    ("510722", 4),  # 四川 三台
    ("510121", 2),  # 四川 金堂
    ("513030", 2),  # 四川 渠县
    ("430524", 3),  # 湖南 隆回
    ("430121", 2),  # 湖南 长沙县
    ("360121", 2),  # 江西 南昌县
    ("429001", 2),  # 湖北 随州
    ("522422", 2),  # 贵州 大方
    ("500230", 2),  # 重庆 丰都
    ("371522", 1),  # 山东 莘县
    ("330122", 1),  # 浙江 桐庐
)
ALWAYS_VALID_ORIGINS = ("340121", "340421", "340621", "510121", "430121", "360121", "429001")
HUKOU_TOWNS = ("城关镇", "新集镇", "杨桥镇", "王家坝镇", "黄岭镇", "城南乡", "石桥镇", "李集镇")

# Surnames with rough national frequencies (per mille): 王李张刘陈 lead, a long tail follows.
_SURNAME_WEIGHTS = (
    ("王", 72), ("李", 71), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 32), ("黄", 23),
    ("赵", 22), ("吴", 21), ("周", 21), ("徐", 18), ("孙", 16), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 11), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("袁", 5), ("潘", 5),
    ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 5), ("程", 5), ("苏", 4), ("魏", 4),
    ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 4), ("崔", 3),
    ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3), ("廖", 3),
    ("贾", 3), ("夏", 3), ("韦", 3), ("方", 3), ("顾", 3), ("钱", 2), ("严", 2), ("俞", 2),
    ("倪", 2), ("费", 1), ("欧阳", 1), ("诸葛", 1),
)  # fmt: skip
_SURNAMES = tuple(name for name, _weight in _SURNAME_WEIGHTS)
_SURNAME_CUMULATIVE: tuple[int, ...] = tuple(
    sum(weight for _name, weight in _SURNAME_WEIGHTS[: index + 1])
    for index in range(len(_SURNAME_WEIGHTS))
)
_GIVEN = {
    "M": ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
          "建国", "建华", "志强", "志明", "国平", "海涛", "俊杰", "浩然", "宇航", "子轩", "梓豪",
          "家乐", "文博", "晨阳", "永康", "德明", "立新", "振华", "春生", "金宝", "一鸣"),
    "F": ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "颖", "慧",
          "秀英", "桂英", "秀兰", "玉兰", "丽华", "美玲", "晓燕", "雅琴", "欣怡", "梓涵", "雨萱",
          "思琪", "佳怡", "子涵", "可馨", "诗雨", "梦洁", "金凤", "春梅", "海燕", "文静"),
}  # fmt: skip
ETHNIC_MINORITIES = ("回族", "满族", "蒙古族", "土家族", "苗族", "壮族", "彝族", "布依族")
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "176", "177", "180", "181", "182", "185",
    "186", "187", "188", "189", "199",
)  # fmt: skip


_SECOND = {
    "M": "伟强磊军勇杰涛明超刚平辉鹏华飞斌波浩宇轩豪博阳康林峰",
    "F": "芳娜敏静丽艳娟霞燕玲婷雪琳颖慧英兰梅琴怡涵萱琪洁凤",
}


def given_name(rng: random.Random, sex: str) -> str:
    """One character (about a third of names) or two: 伟, 建国, 欣怡 …"""
    pool = _GIVEN[sex]
    first = pool[int(rng.random() * len(pool))]
    if len(first) == 2 or rng.random() < 0.35:
        return first
    second = _SECOND[sex]
    return first + second[int(rng.random() * len(second))]


def weighted_pick(rng: random.Random, population: Sequence[str], cumulative: Sequence[int]) -> str:
    """``rng.choices(population, cum_weights=cumulative)[0]`` without building a list: the same
    draw from the same single ``random()`` call, so a seed still gives the same town."""
    return population[bisect(cumulative, rng.random() * (cumulative[-1] + 0.0), 0,
                             len(population) - 1)]  # fmt: skip


def resident_name(rng: random.Random, sex: str) -> str:
    surname = weighted_pick(rng, _SURNAMES, _SURNAME_CUMULATIVE)
    return surname + given_name(rng, sex)


def surname_of(name: str) -> str:
    return name[:2] if name[:2] in _SURNAMES else name[:1]


def mobile_number(rng: random.Random) -> str:
    prefix = _MOBILE_PREFIXES[int(rng.random() * len(_MOBILE_PREFIXES))]
    return f"{prefix}{int(rng.random() * 100_000_000):08d}"


def _passes(code: str, year: int) -> bool:
    body = f"{code}{year}0101001"
    try:
        ric.validate(body + ric.calc_check_digit(body + "0"))
    except stdnum_errors.ValidationError:
        return False
    return True


@cache
def _origins_for_year(year: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The origin codes valid in ``year`` and their cumulative weights."""
    valid = [(code, weight) for code, weight in MIGRANT_ORIGINS if _passes(code, year)]
    if not valid:
        valid = [(code, 1) for code in ALWAYS_VALID_ORIGINS]
    cumulative = tuple(
        sum(weight for _c, weight in valid[: index + 1]) for index in range(len(valid))
    )
    return tuple(code for code, _w in valid), cumulative


def division_for(rng: random.Random, birth: datetime.date, *, is_migrant: bool) -> str:
    """A division code that python-stdnum accepts for someone born on ``birth``."""
    if not is_migrant:
        return MINHANG if birth.year >= 1981 else rng.choice(SHANGHAI_OLDER)
    codes, cumulative = _origins_for_year(birth.year)
    return weighted_pick(rng, codes, cumulative)


@cache
def place_name(code: str) -> str:
    """省 + 县 of a division code, as stdnum's table names it today."""
    body = f"{code}20000101001"
    try:
        info = ric.get_birth_place(body + ric.calc_check_digit(body + "0"))
    except stdnum_errors.ValidationError:
        info = {}
    county = str(info.get("county", ""))
    if county.startswith("["):
        county = county.rsplit("]", 1)[-1]
    return f"{info.get('province', '')}{county.split(',')[-1]}"


class IdNumberSequence:
    """Unique resident ID numbers: the sequence per region and birth date never repeats."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, datetime.date], int] = {}

    def next(self, division: str, birth: datetime.date, sex: str) -> str:
        key = (division, birth)
        count = self._used.get(key, 0)
        self._used[key] = count + 1
        # Sequence numbers start at a place of their own per region and birth date, so that
        # they look like issued ones; odd for men, even for women (GB 11643 §4.3).
        # Wrapping within 010–499 keeps the numbers unique for up to 245 people of one region
        # and birth date, and leaves 500–999 to the million-person benchmark's fill.
        start = 2 * (zlib.crc32(f"{division}{birth:%Y%m%d}".encode()) % 245)
        serial = 10 + (start + 2 * count) % 490 + (1 if sex == "M" else 0)
        body = f"{division}{birth.year:04d}{birth.month:02d}{birth.day:02d}{serial:03d}"
        return body + ric.calc_check_digit(body + "0")
