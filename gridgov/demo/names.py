"""Names for the generated towns: places from the seeds, plausible ones where the seeds are
silent, and Chinese personal names drawn from common surnames and given-name characters.

Maqiao (seed 000): 10 administrative villages, 18 residents' committees, 28 estates.
Sanjiang (seed 003): 15 communities; the six the article names come first.
"""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin

MAQIAO_VILLAGES: tuple[str, ...] = (
    "彭渡村",
    "俞塘村",
    "同心村",
    "旗忠村",
    "吴会村",
    "金星村",
    "联建村",
    "民主村",
    "马桥村",
    "工农村",
)

# Each residents' committee with its estates (小区): 18 committees, 28 estates in all.
MAQIAO_COMMITTEES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("马桥居委", ("马桥新苑", "马桥人家")),
    ("飞碟苑居委", ("飞碟苑",)),
    ("银桥居委", ("银桥花苑", "银桥二村")),
    ("昆阳居委", ("昆阳新苑",)),
    ("景城居委", ("景城家园", "景城雅苑")),
    ("吴会居委", ("吴会小区",)),
    ("俞塘居委", ("俞塘新村", "俞塘佳苑")),
    ("彭渡居委", ("彭渡新苑",)),
    ("旗忠居委", ("旗忠花园", "旗忠森林苑")),
    ("金鹤居委", ("金鹤新城", "金鹤苑")),
    ("同心居委", ("同心家园",)),
    ("紫藤居委", ("紫藤苑", "紫藤雅居")),
    ("和畅居委", ("和畅苑",)),
    ("万科城居委", ("万科城市花园", "万科城南区", "万科城北区")),
    ("金色华亭居委", ("金色华亭",)),
    ("荷塘居委", ("荷塘月色苑",)),
    ("兰香居委", ("兰香湖苑", "兰香湖二期")),
    ("翠竹居委", ("翠竹园",)),
)

SANJIANG_COMMUNITIES: tuple[str, ...] = (
    "江滨社区",
    "雅苑社区",
    "寺前皇社区",
    "项宅社区",
    "三路口社区",
    "天龙南国社区",
    "燕尾洲社区",
    "金三角社区",
    "丹溪社区",
    "宾虹社区",
    "湖海塘社区",
    "五一社区",
    "东关社区",
    "红湖社区",
    "新城社区",
)

# Functional departments of a town (职能部门): (code, name).
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("dept-urban-management", "城管执法中队"),
    ("dept-housing", "房管办"),
    ("dept-market-regulation", "市场监管所"),
    ("dept-police", "公安派出所"),
    ("dept-fire", "消防救援站"),
    ("dept-water", "水务所"),
    ("dept-sanitation", "环卫所"),
    ("dept-safety", "安全生产办"),
    ("dept-greenery", "绿化市容所"),
    ("dept-construction", "建设管理中心"),
    ("dept-civil-affairs", "社区事务受理服务中心"),
)

PROPERTY_COMPANIES: tuple[str, ...] = (
    "万科物业",
    "绿城物业",
    "上房物业",
    "古北物业",
    "东湖物业",
    "明华物业",
    "百联物业",
    "申城物业",
    "锦江物业",
    "闵房物业",
)

CHINESE_NUMERALS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
    "钱严武戴孔汤倪俞费"
)
_GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚文华红玉兰英芬燕萍鑫浩宇晨昊俊斌波辉健雪琳丹婷倩佳颖慧海林峰飞亮"
_GIVEN_FIRST = "建国志秀桂晓子欣梓雨思嘉俊文明海春玉丽佳雅宇浩永金德振"
_GIVEN_SECOND = "华英平强军芳兰红萍明涛杰轩涵怡萱豪婷琳辰宇峰伟东林良生贤勤"


def chinese_number(value: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 23 → 二十三 (up to 99)."""
    if value <= 10:
        return CHINESE_NUMERALS[value]
    tens, units = divmod(value, 10)
    head = "" if tens == 1 else CHINESE_NUMERALS[tens]
    return f"{head}十{CHINESE_NUMERALS[units] if units else ''}"


def person_name(rng: random.Random) -> str:
    surname = rng.choice(_SURNAMES)
    if rng.random() < 0.45:
        return surname + rng.choice(_GIVEN_SINGLE)
    return surname + rng.choice(_GIVEN_FIRST) + rng.choice(_GIVEN_SECOND)


def username_for(name: str, number: int) -> str:
    """A readable, unique login name: the name's pinyin and a running number."""
    return "".join(lazy_pinyin(name)).replace("ü", "v") + f"{number:04d}"
