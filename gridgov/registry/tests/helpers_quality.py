"""Rows for the data-quality and API tests, written straight through the models.

Identifiers are stored the way the protection module stores them (ciphertext, keyed hash,
prefix and last four), so that masking and leak checks see realistic rows.
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

from django.utils import timezone
from stdnum.cn import ric

from gridgov.grids.models import Cell
from gridgov.registry.models import Building, Dwelling, Estate, IdType, Lease, Person, Residency
from gridgov.registry.services.protection import name_pinyin, protect_id_number, protect_phone

_sequence = itertools.count(1)


def valid_id_number(birth: datetime.date, *, division: str = "310112", serial: int = 0) -> str:
    """A GB 11643 resident ID number with a correct check digit."""
    serial = serial or next(_sequence)
    body = f"{division}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_dwelling(cell: Cell, room: str = "101", area: str = "60") -> Dwelling:
    number = next(_sequence)
    estate = Estate.objects.create(code=f"Q{number}", name=f"测试小区{number}", cell=cell)
    building = Building.objects.create(estate=estate, label="1号楼", cell=cell)
    return Dwelling.objects.create(
        building=building,
        room=room,
        area_m2=Decimal(area),
        cell=cell,
        address=f"马桥镇测试小区{number}1号楼{room}室",
    )


def make_person(
    cell: Cell,
    *,
    name: str = "张三",
    birth: datetime.date = datetime.date(1980, 5, 17),
    id_number: str | None = None,
    phone: str | None = "13812345678",
    verified_at: datetime.datetime | None = None,
) -> Person:
    number = id_number or valid_id_number(birth)
    fields: dict[str, object] = {}
    if phone:
        protected_phone = protect_phone(phone)
        fields = {
            "phone_encrypted": protected_phone.encrypted,
            "phone_hash": protected_phone.hash,
            "phone_prefix": protected_phone.prefix,
            "phone_last4": protected_phone.last4,
        }
    protected = protect_id_number(number)
    pinyin, initials = name_pinyin(name)
    return Person.objects.create(
        id_type=IdType.RESIDENT_ID,
        id_number_encrypted=protected.encrypted,
        id_number_hash=protected.hash,
        id_number_prefix=protected.prefix,
        id_number_last4=protected.last4,
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex="M",
        birth_date=birth,
        cell=cell,
        verified_at=verified_at,
        **fields,
    )


def live_in(
    person: Person,
    dwelling: Dwelling,
    *,
    role: str = Residency.Role.OWNER,
    verified_at: datetime.datetime | None = None,
) -> Residency:
    return Residency.objects.create(
        person=person,
        dwelling=dwelling,
        role=role,
        started_on=datetime.date(2020, 1, 1),
        verified_at=verified_at,
    )


def make_lease(
    dwelling: Dwelling, landlord: Person, *, ends_on: datetime.date, status: str = "active"
) -> Lease:
    return Lease.objects.create(
        dwelling=dwelling,
        landlord=landlord,
        started_on=ends_on - datetime.timedelta(days=365),
        ends_on=ends_on,
        status=status,
        registered_at=timezone.now(),
    )
