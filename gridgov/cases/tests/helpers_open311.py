"""Small catalogue and case rows for the protocol tests (written directly, as fixtures)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from gridgov.cases.models import Case, Category, Channel, Status

POTHOLE_ATTRIBUTES = [
    {
        "code": "danger",
        "datatype": "singlevaluelist",
        "required": True,
        "description": "是否存在安全隐患",
        "order": 1,
        "values": [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}],
    },
    {"code": "size", "datatype": "number", "required": False, "description": "面积", "order": 2},
]


def make_catalogue() -> dict[str, Category]:
    group = Category.objects.create(code="construction", name="建设交通", sort_order=1)
    pothole = Category.objects.create(
        code="road-damage",
        name="道路破损",
        parent=group,
        keywords="坑洞 路面",
        description="路面坑洞、破损",
        attributes=POTHOLE_ATTRIBUTES,
        sort_order=1,
    )
    light = Category.objects.create(
        code="street-light", name="路灯损坏", parent=group, sort_order=2
    )
    noise = Category.objects.create(code="noise", name="噪声扰民", sort_order=3)
    retired = Category.objects.create(
        code="retired", name="停用类别", sort_order=4, is_active=False
    )
    return {"group": group, "pothole": pothole, "light": light, "noise": noise, "retired": retired}


_SEQUENCE = [0]


def make_case(
    cell: Any,
    category: Category,
    *,
    channel: str = Channel.OPEN311,
    status: str = Status.NEW,
    created_at: datetime.datetime | None = None,
    description: str = "路面有一个大坑",
    **extra: Any,
) -> Case:
    _SEQUENCE[0] += 1
    moment = created_at or timezone.now()
    return Case.objects.create(
        number=f"{moment:%Y%m%d}{_SEQUENCE[0]:06d}",
        channel=channel,
        status=status,
        category=category,
        title=description[:20],
        description=description,
        cell=cell,
        handling_cell=cell,
        created_at=moment,
        lat=31.1,
        lng=121.05,
        address="马桥镇飞碟苑12号楼",
        **extra,
    )
