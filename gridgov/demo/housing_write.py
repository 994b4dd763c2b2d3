"""Writing the planned people and housing: plain multi-row inserts in batches of 5,000.

No per-row services (they would audit every row): identifiers are protected here with the same
functions the services use (``registry.services.protection``), rule tags are derived from the
plan with the same rules as ``registry.services.tags``, and the whole generation keeps its one
audit row.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from gridgov.demo.bulkload import bulk_load, insert_rows
from gridgov.demo.housing_plan import HousingPlan
from gridgov.demo.protect import protect_id_numbers, protect_phones
from gridgov.registry.models import (
    Building,
    Dwelling,
    Estate,
    Household,
    HouseholdMember,
    IdType,
    Lease,
    LeaseTenant,
    Ownership,
    Person,
    PersonTag,
    Residency,
    Tag,
    Unit,
)
from gridgov.registry.selectors.people import MINOR_AGE, years_before
from gridgov.registry.services.protection import Protected, name_pinyin
from gridgov.registry.services.tags import (
    ADVANCED_AGE,
    ELDERLY_AGE,
    TAG_ADVANCED_AGE,
    TAG_ELDERLY_ALONE,
    TAG_MINOR,
)

Progress = Callable[[str, int, int], None]
_insert = insert_rows
LOADED = (Estate, Building, Unit, Dwelling, Person, Household, HouseholdMember, Lease,
          LeaseTenant, Residency, Ownership, PersonTag)  # fmt: skip


def _offset(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(top=Max("id"))["top"] or 0)


class _Writer:
    def __init__(self, plan: HousingPlan, cell_ids: dict[str, int], progress: Progress) -> None:
        self.plan = plan
        self.cell_ids = cell_ids
        self.progress = progress
        self.now = timezone.now()
        self.stamp = connection.ops.adapt_datetimefield_value(self.now)
        self.today = timezone.localdate(self.now)
        self._ago: dict[int, Any] = {}
        self.base = {
            model: _offset(model)
            for model in (Estate, Building, Unit, Dwelling, Person, Household, Lease)
        }

    def ago(self, days: int | None) -> Any:
        """``now`` minus ``days``, in the database's own form (few distinct values: cached)."""
        if days is None:
            return None
        adapted = self._ago.get(days)
        if adapted is None:
            moment = self.now - datetime.timedelta(days=days)
            adapted = self._ago[days] = connection.ops.adapt_datetimefield_value(moment)
        return adapted

    def places(self) -> None:
        e, b, u, d = (self.base[m] for m in (Estate, Building, Unit, Dwelling))
        cells = self.cell_ids
        _insert(Estate, ["id", "code", "name", "kind", "cell", "address", "lng", "lat",
                         "created_at", "updated_at"],
                [(e + row[0], *row[1:4], cells[row[4]], *row[5:], self.stamp, self.stamp)
                 for row in self.plan.estates], self.progress, "estates")  # fmt: skip
        _insert(Building, ["id", "estate", "label", "cell", "address", "lng", "lat", "floors",
                           "sort_order"],
                [(b + row[0], e + row[1], row[2], cells[row[3]], *row[4:])
                 for row in self.plan.buildings], self.progress, "buildings")  # fmt: skip
        _insert(Unit, ["id", "building", "label", "sort_order"],
                [(u + row[0], b + row[1], row[2], row[3]) for row in self.plan.units],
                self.progress, "units")  # fmt: skip
        _insert(Dwelling, ["id", "building", "unit", "room", "floor", "area_m2", "use", "cell",
                           "address", "created_at", "updated_at"],
                [(d + row[0], b + row[1], u + row[2] if row[2] else None, row[3], row[4],
                  row[5], row[6], cells[row[7]], row[8], self.stamp, self.stamp)
                 for row in self.plan.dwellings], self.progress, "dwellings")  # fmt: skip

    def person_rows(self) -> list[tuple]:
        everyone = self.plan.people
        pinyin_cache: dict[str, tuple[str, str]] = {}
        for person in everyone:
            if person["name"] not in pinyin_cache:
                pinyin_cache[person["name"]] = name_pinyin(person["name"])
        identities = protect_id_numbers([person["id_number"] for person in everyone])
        # Children share a parent's phone: every distinct number is protected once.
        numbers = sorted({p[key] for p in everyone for key in ("phone", "contact_phone")} - {""})
        phones = dict(zip(numbers, protect_phones(numbers), strict=True))
        blank = Protected("", "", "", "")
        rows: list[tuple[Any, ...]] = []
        base = self.base[Person]
        cells = self.cell_ids
        ago = self.ago
        stamp = self.stamp
        resident_id = IdType.RESIDENT_ID
        for person, identity in zip(everyone, identities, strict=True):
            name = person["name"]
            spelled = pinyin_cache[name]
            phone = phones[person["phone"]] if person["phone"] else blank
            contact = phones[person["contact_phone"]] if person["contact_phone"] else blank
            rows.append((
                base + person["id"], resident_id, identity.encrypted, identity.hash,
                identity.prefix, identity.last4, name, spelled[0], spelled[1], person["sex"],
                person["birth"].isoformat(), phone.encrypted, phone.hash, phone.prefix,
                phone.last4, person["ethnicity"], person["hukou"], person["migrant"],
                person["contact_name"], contact.encrypted, contact.prefix, contact.last4,
                cells[person["cell"]], False, ago(person["verified_days"]), 1, stamp, stamp,
            ))  # fmt: skip
        return rows

    def people(self) -> None:
        fields = [
            "id", "id_type", "id_number_encrypted", "id_number_hash", "id_number_prefix",
            "id_number_last4", "name", "name_pinyin", "name_initials", "sex", "birth_date",
            "phone_encrypted", "phone_hash", "phone_prefix", "phone_last4", "ethnicity",
            "hukou_address", "is_migrant", "contact_name", "contact_phone_encrypted",
            "contact_phone_prefix", "contact_phone_last4", "cell", "is_deceased", "verified_at",
            "version", "created_at", "updated_at",
        ]  # fmt: skip
        _insert(Person, fields, self.person_rows(), self.progress, "people")

    def relations(self) -> None:
        p, d, h, lease = (self.base[m] for m in (Person, Dwelling, Household, Lease))
        iso = datetime.date.isoformat
        _insert(Household, ["id", "number", "dwelling", "head", "created_at"],
                [(h + row[0], row[1], d + row[2], p + row[3], self.stamp)
                 for row in self.plan.households], self.progress, "households")  # fmt: skip
        _insert(HouseholdMember, ["household", "person", "relation", "joined_on"],
                [(h + row[0], p + row[1], row[2], iso(row[3])) for row in self.plan.members],
                self.progress, "household members")  # fmt: skip
        _insert(Lease, ["id", "dwelling", "landlord", "started_on", "ends_on", "status",
                        "registered_at", "is_group_rental_warning"],
                [(lease + row[0], d + row[1], p + row[2], iso(row[3]), iso(row[4]), row[5],
                  self.stamp, row[6]) for row in self.plan.leases],
                self.progress, "leases")  # fmt: skip
        _insert(LeaseTenant, ["lease", "person"],
                [(lease + row[0], p + row[1]) for row in self.plan.lease_tenants],
                self.progress, "tenants")  # fmt: skip
        _insert(Residency, ["person", "dwelling", "role", "started_on", "ended_on", "lease",
                            "verified_at", "created_at"],
                [(p + row[0], d + row[1], row[2], iso(row[3]),
                  iso(row[4]) if row[4] else None, lease + row[5] if row[5] else None,
                  self.ago(row[6]), self.stamp) for row in self.plan.residencies],
                self.progress, "residencies")  # fmt: skip
        _insert(Ownership, ["dwelling", "owner", "share_numerator", "share_denominator",
                            "started_on"],
                [(d + row[0], p + row[1], row[2], row[3], iso(row[4]))
                 for row in self.plan.ownerships], self.progress, "ownerships")  # fmt: skip

    def rule_tags(self) -> int:
        """高龄, 独居老人 and 未成年, by the rules of ``registry.services.tags``."""
        tags = dict(Tag.objects.filter(code__in=[TAG_ADVANCED_AGE, TAG_ELDERLY_ALONE, TAG_MINOR])
                    .values_list("code", "id"))  # fmt: skip
        current = {row[0]: row[1] for row in self.plan.residencies if row[4] is None}
        residents = Counter(current.values())
        advanced = years_before(self.today, ADVANCED_AGE)
        elderly = years_before(self.today, ELDERLY_AGE)
        minor = years_before(self.today, MINOR_AGE)
        rows: list[tuple[Any, ...]] = []
        for person in self.plan.people:
            born, pk = person["birth"], self.base[Person] + person["id"]
            wanted = []
            if born <= advanced:
                wanted.append(TAG_ADVANCED_AGE)
            if born > minor:
                wanted.append(TAG_MINOR)
            home = current.get(person["id"])
            if born <= elderly and home is not None and residents[home] == 1:
                wanted.append(TAG_ELDERLY_ALONE)
            rows.extend((pk, tags[code], "rule", self.stamp, "") for code in wanted if code in tags)
        _insert(PersonTag, ["person", "tag", "source", "set_at", "reason"], rows, self.progress,
                "tags")  # fmt: skip
        return len(rows)

    def reset_sequences(self) -> None:
        models_with_ids = [Estate, Building, Unit, Dwelling, Person, Household, Lease]
        statements = connection.ops.sequence_reset_sql(no_style(), models_with_ids)
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def housing_write(plan: HousingPlan, cell_ids: dict[str, int], progress: Progress) -> int:
    """Write ``plan``; returns the number of people written."""
    if not plan.people:
        return 0
    writer = _Writer(plan, cell_ids, progress)
    with bulk_load(LOADED):
        writer.places()
        writer.people()
        writer.relations()
        writer.rule_tags()
    writer.reset_sequences()
    return len(plan.people)
