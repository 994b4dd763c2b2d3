"""The people import, in batches: the rules of ``person_register`` / ``person_update`` applied
to thousands of rows at a time, with one query per batch for the identities already registered
and bulk writes (a call of ``person_register`` per row would take minutes for a community's
120,000 residents). Each row is validated once per run, with the resident-ID pieces cached
(``IdentityChecker``); people, residencies and rule tags are written as plain rows with one
``executemany`` per batch, and new people's keys read back by the keyed hash.

Upsert by identity: a document number already in the registry updates that person (if they are
in the importer's area; otherwise the row is refused), else a person is created. Empty cells
never erase what is registered. An edit made by someone else between the check and the import
is never overwritten: the person's version is compared again just before writing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.core.crypto import lookup_hash
from gridgov.grids.models import Cell
from gridgov.registry.excel import values
from gridgov.registry.excel.columns import ID_TYPE_LABELS, ROLE_LABELS, SEX_LABELS
from gridgov.registry.excel.values import CellValueError
from gridgov.registry.models import Dwelling, IdType, ImportJob, Person, Residency, Sex
from gridgov.registry.services.import_rules import (
    CellDirectory,
    Counts,
    IdentityChecker,
    ImportScope,
    Problems,
    column_of,
    insert_rows,
    optional_text,
    out_of_scope_reason,
    place_key,
    rule_tags_after_import,
)
from gridgov.registry.services.protection import (
    name_pinyin,
    normalize_phone,
    protect_id_number,
    protect_phone,
)

WRITE_BATCH = 1000
READ_BATCH = 900  # keys per IN (...) list: under SQLite's limit of variables per statement
# Updated from a sheet when the cell is not empty (identity fields never change by import).
UPDATABLE = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "hukou_address",
    "is_migrant",
    "contact_name",
)


@dataclass(slots=True)
class PersonRow:
    row: int
    id_type: str
    id_number: str
    id_hash: str
    name: str
    sex: str
    birth_date: datetime.date | None
    phone: str
    ethnicity: str
    hukou_address: str
    is_migrant: bool | None
    contact_name: str
    contact_phone: str
    cell_code: str
    is_cell_given: bool
    dwelling_id: int | None = None
    role: str = ""
    started_on: datetime.date | None = None
    existing_id: int | None = None
    existing_version: int = 0
    needs_residency: bool = False


class PeopleImporter:
    kind = ImportJob.Kind.PEOPLE

    def __init__(self, *, actor: Any, job_cell: Cell | None) -> None:
        self.actor = actor
        self.scope = ImportScope(actor, Perm.PERSON_MANAGE, job_cell)
        self.job_cell_code = job_cell.code if job_cell is not None else ""
        self.cells = CellDirectory()
        self.problems = Problems(self.kind)
        self.planned = Counts()
        self.people: list[PersonRow] = []
        self._first_row_of_hash: dict[str, int] = {}
        self._pinyin: dict[str, tuple[str, str]] = {}
        self._dwellings: dict[tuple[str, str, str, str], tuple[int, str]] | None = None
        self.today = timezone.localdate()
        self.identities = IdentityChecker(self.today)
        # person id → version, as seen by the check; at import, the versions the dry run saw.
        self.seen_versions: dict[int, int] = {}
        self.expected_versions: dict[int, int] = {}

    # --- checking ------------------------------------------------------------------------

    def check_batch(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        parsed = [person for number, record in rows if (person := self._parse(number, record))]
        self._match_registered(parsed)
        for person in parsed:
            if person.row not in self.problems.rows:
                self.people.append(person)
                if person.existing_id:
                    self.planned.updated += 1
                else:
                    self.planned.created += 1

    def check_end(self, *, is_commit: bool) -> None:
        """Nothing is left to check once every batch has been seen."""

    def _parse(self, row: int, record: dict[str, Any]) -> PersonRow | None:
        problems = self.problems
        before = len(problems.items)
        name = " ".join(values.text(record.get("name")).split())
        if not name:
            problems.add(row, "name", _("The name is required."))
        elif len(name) > 64:
            problems.add(row, "name", _("The name may have at most 64 characters."))
        id_type, number, facts = self._identity(row, record)
        sex, birth_date = self._sex_and_birth(row, record, facts)
        phone = self._phone(row, record, "phone")
        contact_phone = self._phone(row, record, "contact_phone")
        is_migrant = self._read(row, "is_migrant", values.yes_no, record.get("is_migrant"))
        texts = {
            key: optional_text(record, key, row=row, problems=problems, max_length=length)
            for key, length in (("ethnicity", 20), ("hukou_address", 200), ("contact_name", 64))
        }
        person = PersonRow(
            row=row,
            id_type=id_type,
            id_number=number,
            id_hash=lookup_hash(number) if number else "",
            name=name,
            sex=sex,
            birth_date=birth_date,
            phone=phone,
            ethnicity=texts["ethnicity"],
            hukou_address=texts["hukou_address"],
            is_migrant=is_migrant,
            contact_name=" ".join(texts["contact_name"].split()),
            contact_phone=contact_phone,
            cell_code="",
            is_cell_given=False,
        )
        self._place(person, record)
        if number:
            first = self._first_row_of_hash.setdefault(person.id_hash, row)
            if first != row:
                problems.add(
                    row,
                    "id_number",
                    _("The same document number is on row %(row)d.") % {"row": first},
                )
        return person if len(problems.items) == before else None

    def _read(self, row: int, key: str, parse: Any, raw: Any, *args: Any) -> Any:
        try:
            return parse(raw, *args)
        except CellValueError as error:
            self.problems.add_error(row, key, error)
            return None

    def _identity(self, row: int, record: dict[str, Any]) -> tuple[str, str, Any]:
        id_type = self._read(row, "id_type", values.choice, record.get("id_type"), ID_TYPE_LABELS)
        id_type = id_type or IdType.RESIDENT_ID
        raw = self._read(row, "id_number", values.identifier_text, record.get("id_number"))
        if raw is None:
            return id_type, "", None
        try:
            number, facts = self.identities.check(id_type, raw)
        except ValidationError as error:
            self.problems.add_error(row, "id_number", error)
            return id_type, "", None
        return id_type, number, facts

    def _sex_and_birth(
        self, row: int, record: dict[str, Any], facts: Any
    ) -> tuple[str, datetime.date | None]:
        sex = self._read(row, "sex", values.choice, record.get("sex"), SEX_LABELS)
        birth_date = self._read(row, "birth_date", values.date_value, record.get("birth_date"))
        if facts is not None and facts.sex and sex and sex != facts.sex:
            self.problems.add(row, "sex", _("The sex differs from the one the ID number states."))
        if facts is not None and facts.birth_date and birth_date and birth_date != facts.birth_date:
            self.problems.add(
                row, "birth_date", _("The birth date differs from the one in the ID number.")
            )
        if birth_date and birth_date > self.today:
            self.problems.add(row, "birth_date", _("The birth date is in the future."))
        if facts is not None:
            sex = facts.sex or sex
            birth_date = facts.birth_date or birth_date
        return sex or "", birth_date

    def _phone(self, row: int, record: dict[str, Any], key: str) -> str:
        raw = values.text(record.get(key))
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValidationError as error:
            self.problems.add_error(row, key, error)
            return ""

    def _dwelling_directory(self) -> dict[tuple[str, str, str, str], tuple[int, str]]:
        if self._dwellings is None:
            queryset = Dwelling.objects.filter(cell__code__startswith=self.job_cell_code)
            self._dwellings = {
                place_key(estate, building, unit or "", room): (pk, cell_code)
                for pk, estate, building, unit, room, cell_code in queryset.values_list(
                    "pk",
                    "building__estate__name",
                    "building__label",
                    "unit__label",
                    "room",
                    "cell__code",
                )
            }
        return self._dwellings

    def _place(self, person: PersonRow, record: dict[str, Any]) -> None:
        row, problems = person.row, self.problems
        raw_cell = values.text(record.get("cell"))
        if raw_cell:
            code = self.cells.resolve(raw_cell)
            if code is None:
                problems.add(row, "cell", _("No area has this code or name."))
                return
            person.cell_code, person.is_cell_given = code, True
        address = [values.text(record.get(key)) for key in ("estate", "building", "unit", "room")]
        if any(address):
            self._residence(person, record, address)
        if not person.cell_code:
            # A registered person keeps their area; a new one needs one (checked later).
            person.cell_code = self.job_cell_code
        if person.cell_code and not self.scope.covers(person.cell_code):
            problems.add(row, "cell", out_of_scope_reason())

    def _residence(self, person: PersonRow, record: dict[str, Any], address: list[str]) -> None:
        row, problems = person.row, self.problems
        estate, building, unit, room = address
        for key, value in (("estate", estate), ("building", building), ("room", room)):
            if not value:
                problems.add(row, key, _("Required when an address is given."))
        if not (estate and building and room):
            return
        found = self._dwelling_directory().get(place_key(estate, building, unit, room))
        if found is None:
            problems.add(
                row, "room", _("This dwelling is not registered; import the places first.")
            )
            return
        person.dwelling_id, person.cell_code = found
        person.is_cell_given = True
        role = self._read(row, "role", values.choice, record.get("role"), ROLE_LABELS)
        if not role:
            problems.add(
                row, "role", _("Say how the person lives here (业主, 家庭成员, 租客 or 集体户).")
            )
        person.role = role or ""
        started_on = self._read(row, "started_on", values.date_value, record.get("started_on"))
        if started_on and started_on > self.today:
            problems.add(row, "started_on", _("The move-in date is in the future."))
        person.started_on = started_on or self.today

    def _match_registered(self, people: list[PersonRow]) -> None:
        """One query for the identities already registered, one for their current homes."""
        by_hash = {person.id_hash: person for person in people}
        registered = Person.objects.filter(id_number_hash__in=list(by_hash)).values_list(
            "pk", "id_number_hash", "version", "cell__code"
        )
        for pk, id_hash, version, cell_code in registered:
            person = by_hash[id_hash]
            if not self.scope.covers(cell_code):
                self.problems.add(
                    person.row,
                    "id_number",
                    _(
                        "This person is registered in an area outside yours; ask the staff of "
                        "that area to update the record."
                    ),
                )
                continue
            person.existing_id, person.existing_version = pk, version
            self.seen_versions[pk] = version
            if self.expected_versions.get(pk, version) != version:
                self._changed_since_check(person)
                continue
            if not person.is_cell_given:
                person.cell_code = cell_code
        for person in people:
            if not person.existing_id and not person.cell_code:
                self.problems.add(
                    person.row, "cell", _("Give the area, or choose one for the whole upload.")
                )
        with_home = {p.existing_id: p for p in people if p.existing_id and p.dwelling_id}
        current = dict(
            Residency.objects.filter(
                person_id__in=list(with_home), ended_on__isnull=True
            ).values_list("person_id", "dwelling_id")
        )
        for person in people:
            if not person.dwelling_id:
                continue
            living_in = current.get(person.existing_id) if person.existing_id else None
            if living_in is None:
                person.needs_residency = True
            elif living_in != person.dwelling_id:
                self.problems.add(
                    person.row,
                    "room",
                    _("This person still lives at another address; record the move-out first."),
                )

    # --- writing -------------------------------------------------------------------------

    def write(self, *, skip_rows: set[int]) -> Counts:
        """Create and update the checked people with plain batched statements, start their
        residencies, and make their rule tags true (computed here from the rows' own birth
        dates and the dwellings' occupancy, with the rules of ``services.tags``)."""
        people = [person for person in self.people if person.row not in skip_rows]
        self._recheck_versions(people)
        people = [person for person in people if person.row not in self.problems.rows]
        cell_ids = Cell.objects.filter(
            code__in={person.cell_code for person in people}
        ).values_list("code", "pk")
        cell_id = dict(cell_ids)
        now = timezone.now()
        created = [person for person in people if not person.existing_id]
        registered = [person for person in people if person.existing_id]
        self._create(created, cell_id, now)
        self._update(registered, cell_id, now)
        insert_rows(
            Residency,
            [
                {
                    "person_id": person.existing_id,
                    "dwelling_id": person.dwelling_id,
                    "role": person.role,
                    "started_on": person.started_on,
                    "ended_on": None,
                    "lease_id": None,
                    "verified_at": None,
                    "created_at": now,
                }
                for person in people
                if person.needs_residency
            ],
        )
        rule_tags_after_import(
            created=created,
            updated_ids=[person.existing_id for person in registered if person.existing_id],
            now=now,
            today=self.today,
        )
        return Counts(created=len(created), updated=len(registered))

    def _recheck_versions(self, people: list[PersonRow]) -> None:
        expected = {p.existing_id: p for p in people if p.existing_id}
        ids = list(expected)
        for start in range(0, len(ids), WRITE_BATCH):
            chunk = ids[start : start + WRITE_BATCH]
            for pk, version in Person.objects.filter(pk__in=chunk).values_list("pk", "version"):
                person = expected[pk]
                if version != person.existing_version:
                    self._changed_since_check(person)

    def _changed_since_check(self, person: PersonRow) -> None:
        self.problems.add(
            person.row,
            "",
            _(
                "Someone changed this person's record after the check; check the file again "
                "before importing."
            ),
        )

    def _names(self, name: str) -> tuple[str, str]:
        cached = self._pinyin.get(name)
        if cached is None:
            cached = self._pinyin[name] = name_pinyin(name)
        return cached

    def _create(self, people: list[PersonRow], cell_id: dict[str, int], now: Any) -> None:
        rows = []
        for person in people:
            identity = protect_id_number(person.id_number)
            full, initials = self._names(person.name)
            record = {
                "id_type": person.id_type,
                "id_number_encrypted": identity.encrypted,
                "id_number_hash": identity.hash,
                "id_number_prefix": identity.prefix,
                "id_number_last4": identity.last4,
                "name": person.name,
                "name_pinyin": full,
                "name_initials": initials,
                "sex": person.sex or Sex.UNKNOWN,
                "birth_date": person.birth_date,
                "ethnicity": person.ethnicity,
                "hukou_address": person.hukou_address,
                "is_migrant": bool(person.is_migrant),
                "contact_name": person.contact_name,
                "cell_id": cell_id[person.cell_code],
                "is_deceased": False,
                "verified_at": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            record.update(_phone_columns("phone", person.phone))
            record.update(_phone_columns("contact_phone", person.contact_phone))
            rows.append(record)
        insert_rows(Person, rows)
        # The new keys, read back by the keyed hash (unique), one query per batch.
        hashes = [person.id_hash for person in people]
        new_ids: dict[str, int] = {}
        for start in range(0, len(hashes), READ_BATCH):
            chunk = hashes[start : start + READ_BATCH]
            new_ids.update(
                Person.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", "pk")
            )
        for person in people:
            person.existing_id = new_ids[person.id_hash]

    def _update(self, people: list[PersonRow], cell_id: dict[str, int], now: Any) -> None:
        """Non-empty cells overwrite, grouped by the set of columns a row changes (one
        ``executemany`` per group); a row whose version moved meanwhile fails the import."""
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for person in people:
            changes: dict[str, Any] = {}
            for field in UPDATABLE:
                value = getattr(person, field)
                if value not in ("", None):
                    changes[field] = value
            if person.name:
                changes["name_pinyin"], changes["name_initials"] = self._names(person.name)
            for key in ("phone", "contact_phone"):
                if getattr(person, key):
                    changes.update(_phone_columns(key, getattr(person, key)))
            changes["cell_id"] = cell_id[person.cell_code]
            if "birth_date" in changes:
                changes["birth_date"] = connection.ops.adapt_datefield_value(changes["birth_date"])
            groups.setdefault(tuple(changes), []).append(
                (*changes.values(), person.existing_id, person.existing_version)
            )
        stamp = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            for names, rows in groups.items():
                sql = _update_sql(names)
                for start in range(0, len(rows), WRITE_BATCH):
                    chunk = [
                        (*row[:-2], stamp, *row[-2:]) for row in rows[start : start + WRITE_BATCH]
                    ]
                    cursor.executemany(sql, chunk)
                    if cursor.rowcount >= 0 and cursor.rowcount != len(chunk):
                        raise IntegrityError("a person changed during the import")


def _update_sql(names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    assignments = [f"{quote(column_of(Person._meta.get_field(name)))} = %s" for name in names]
    assignments += [f"{quote('version')} = {quote('version')} + 1", f"{quote('updated_at')} = %s"]
    where = f"{quote('id')} = %s AND {quote('version')} = %s"
    # Identifiers from the model's metadata, quoted; every value is a parameter.
    table = quote(Person._meta.db_table)
    return f"UPDATE {table} SET {', '.join(assignments)} WHERE {where}"  # noqa: S608


def _phone_columns(field: str, number: str) -> dict[str, str]:
    protected = protect_phone(number) if number else None
    columns = {
        f"{field}_encrypted": protected.encrypted if protected else "",
        f"{field}_prefix": protected.prefix if protected else "",
        f"{field}_last4": protected.last4 if protected else "",
    }
    if field == "phone":
        columns["phone_hash"] = protected.hash if protected else ""
    return columns
