"""Factories for every registry model.

``PersonFactory`` takes the clear identifiers as ``id_number`` / ``phone`` (not stored) and keeps
them the way ``registry.services.protection`` does: ciphertext, keyed hash and display digits.
``resident_id(...)`` builds a valid GB 11643 number for any birth date and sex.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from stdnum.cn import ric

from gridgov.registry.models import (
    Building,
    Dwelling,
    Estate,
    Household,
    HouseholdMember,
    IdType,
    ImportJob,
    Lease,
    LeaseTenant,
    Ownership,
    Person,
    PersonTag,
    Residency,
    Tag,
    Unit,
)
from gridgov.registry.services.protection import (
    id_facts,
    name_pinyin,
    protect_id_number,
    protect_phone,
)

# Valid county codes of Shanghai (GB/T 2260): Minhang first.
SHANGHAI_DIVISIONS = ("310112", "310104", "310115", "310101", "310105", "310110", "310113")
_FAMILY_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
_GIVEN_NAMES = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国红梅玉兰志强海燕"


def resident_id(
    birth_date: datetime.date,
    *,
    sequence: int = 1,
    sex: str = "M",
    division: str = "310112",
) -> str:
    """A valid 18-character resident ID: region, birth date, order code (odd = male), check."""
    order = (sequence % 500) * 2 + (1 if sex == "M" else 0)
    body = f"{division}{birth_date:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def chinese_name(n: int) -> str:
    family = _FAMILY_NAMES[n % len(_FAMILY_NAMES)]
    given = _GIVEN_NAMES[(n // len(_FAMILY_NAMES)) % len(_GIVEN_NAMES)]
    second = _GIVEN_NAMES[(n * 7 + 3) % len(_GIVEN_NAMES)] if n % 3 else ""
    return family + given + second


def _default_birth_date(n: int) -> datetime.date:
    # Adults between about 30 and 55: neither minors nor elderly, so no rule tag by default.
    return datetime.date(1972, 1, 1) + datetime.timedelta(days=(n * 37) % 8000)


class EstateFactory(DjangoModelFactory):
    class Meta:
        model = Estate
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"飞碟苑{n}期")
    kind = Estate.Kind.ESTATE
    cell = factory.SubFactory("gridgov.grids.tests.factories.CellFactory")
    address = factory.LazyAttribute(lambda estate: f"马桥镇{estate.name}")


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = Building

    estate = factory.SubFactory(EstateFactory)
    label = factory.Sequence(lambda n: f"{n + 1}号楼")
    cell = factory.LazyAttribute(lambda building: building.estate.cell)
    address = factory.LazyAttribute(lambda b: f"{b.estate.address}{b.label}")
    floors = 6


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = Unit

    building = factory.SubFactory(BuildingFactory)
    label = factory.Sequence(lambda n: f"{n + 1}单元")


class DwellingFactory(DjangoModelFactory):
    class Meta:
        model = Dwelling

    building = factory.SubFactory(BuildingFactory)
    unit = None
    room = factory.Sequence(lambda n: f"{(n % 6) + 1}{(n // 6) % 90 + 1:02d}")
    floor = factory.LazyAttribute(lambda d: int(d.room[0]) if d.room[:1].isdigit() else None)
    area_m2 = Decimal("80.00")
    use = Dwelling.Use.RESIDENTIAL
    cell = factory.LazyAttribute(lambda d: d.building.cell)
    address = factory.LazyAttribute(
        lambda d: (
            f"马桥镇{d.building.estate.name}{d.building.label}"
            f"{d.unit.label if d.unit else ''}{d.room}室"
        )
    )


class PersonFactory(DjangoModelFactory):
    """A person; pass ``id_number=...`` / ``phone=...`` in clear, ``cell=...`` for the scope."""

    class Meta:
        model = Person
        exclude = (
            "id_number",
            "phone",
            "contact_phone",
            "prot_id",
            "prot_phone",
            "prot_contact",
            "facts",
        )

    class Params:
        born = factory.Sequence(_default_birth_date)
        is_female = False

    id_type = IdType.RESIDENT_ID
    id_number = factory.LazyAttributeSequence(
        lambda p, n: resident_id(
            p.born,
            sequence=n,
            sex="F" if p.is_female else "M",
            division=SHANGHAI_DIVISIONS[(n // 500) % len(SHANGHAI_DIVISIONS)],
        )
    )
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    contact_phone = ""
    prot_id = factory.LazyAttribute(lambda p: protect_id_number(p.id_number))
    prot_phone = factory.LazyAttribute(lambda p: protect_phone(p.phone) if p.phone else None)
    prot_contact = factory.LazyAttribute(
        lambda p: protect_phone(p.contact_phone) if p.contact_phone else None
    )
    facts = factory.LazyAttribute(lambda p: id_facts(p.id_type, p.id_number))

    id_number_encrypted = factory.LazyAttribute(lambda p: p.prot_id.encrypted)
    id_number_hash = factory.LazyAttribute(lambda p: p.prot_id.hash)
    id_number_prefix = factory.LazyAttribute(lambda p: p.prot_id.prefix)
    id_number_last4 = factory.LazyAttribute(lambda p: p.prot_id.last4)
    name = factory.Sequence(chinese_name)
    name_pinyin = factory.LazyAttribute(lambda p: name_pinyin(p.name)[0])
    name_initials = factory.LazyAttribute(lambda p: name_pinyin(p.name)[1])
    sex = factory.LazyAttribute(lambda p: p.facts.sex or "U")
    birth_date = factory.LazyAttribute(lambda p: p.facts.birth_date)
    phone_encrypted = factory.LazyAttribute(
        lambda p: p.prot_phone.encrypted if p.prot_phone else ""
    )
    phone_hash = factory.LazyAttribute(lambda p: p.prot_phone.hash if p.prot_phone else "")
    phone_prefix = factory.LazyAttribute(lambda p: p.prot_phone.prefix if p.prot_phone else "")
    phone_last4 = factory.LazyAttribute(lambda p: p.prot_phone.last4 if p.prot_phone else "")
    contact_phone_encrypted = factory.LazyAttribute(
        lambda p: p.prot_contact.encrypted if p.prot_contact else ""
    )
    contact_phone_prefix = factory.LazyAttribute(
        lambda p: p.prot_contact.prefix if p.prot_contact else ""
    )
    contact_phone_last4 = factory.LazyAttribute(
        lambda p: p.prot_contact.last4 if p.prot_contact else ""
    )
    cell = factory.SubFactory("gridgov.grids.tests.factories.CellFactory")


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"H{n:08d}")
    dwelling = None
    head = None


class HouseholdMemberFactory(DjangoModelFactory):
    class Meta:
        model = HouseholdMember

    household = factory.SubFactory(HouseholdFactory)
    person = factory.SubFactory(PersonFactory)
    relation = HouseholdMember.Relation.HEAD
    joined_on = datetime.date(2020, 1, 1)


class ResidencyFactory(DjangoModelFactory):
    class Meta:
        model = Residency

    person = factory.SubFactory(PersonFactory)
    dwelling = factory.SubFactory(DwellingFactory)
    role = Residency.Role.OWNER
    started_on = datetime.date(2020, 1, 1)
    ended_on = None


class OwnershipFactory(DjangoModelFactory):
    class Meta:
        model = Ownership

    dwelling = factory.SubFactory(DwellingFactory)
    owner = factory.SubFactory(PersonFactory)
    share_numerator = 1
    share_denominator = 1
    started_on = datetime.date(2020, 1, 1)


class LeaseFactory(DjangoModelFactory):
    class Meta:
        model = Lease

    dwelling = factory.SubFactory(DwellingFactory)
    landlord = factory.SubFactory(PersonFactory)
    started_on = datetime.date(2026, 1, 1)
    ends_on = datetime.date(2027, 1, 1)
    status = Lease.Status.ACTIVE
    registered_at = factory.LazyFunction(timezone.now)
    registered_by = None


class LeaseTenantFactory(DjangoModelFactory):
    class Meta:
        model = LeaseTenant

    lease = factory.SubFactory(LeaseFactory)
    person = factory.SubFactory(PersonFactory)


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"tag-{n}")
    name = factory.Sequence(lambda n: f"标签{n}")
    kind = Tag.Kind.STAFF
    sensitivity = Tag.Sensitivity.NONE


class PersonTagFactory(DjangoModelFactory):
    class Meta:
        model = PersonTag

    person = factory.SubFactory(PersonFactory)
    tag = factory.SubFactory(TagFactory)
    source = PersonTag.Source.STAFF
    set_at = factory.LazyFunction(timezone.now)
    reason = ""


class ImportJobFactory(DjangoModelFactory):
    class Meta:
        model = ImportJob

    kind = ImportJob.Kind.PEOPLE
    upload = factory.django.FileField(filename="people.xlsx", data=b"")
    original_name = "people.xlsx"
    created_by = factory.SubFactory("gridgov.accounts.tests.factories.UserFactory")
