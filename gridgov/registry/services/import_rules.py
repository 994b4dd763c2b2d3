"""What every import kind shares: where the importer may write, which cells exist, and the
collection of row problems (Excel row number, column header, reason)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Field, ForeignObjectRel, Model
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.grids.models import Cell
from gridgov.registry.excel.columns import header_of
from gridgov.registry.excel.report import RowProblem
from gridgov.registry.excel.values import CellValueError, text
from gridgov.registry.models import IdType
from gridgov.registry.services.protection import IdFacts, id_facts, normalize_id_number


class DryRunRollbackError(Exception):
    """Raised inside a transaction to undo a trial run of the real services."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportScope:
    """Where an import may write: the actor holds both ``registry.import`` and the kind's own
    permission there, and (when the upload names an area) it lies under that area."""

    def __init__(self, actor: Any, permission: str, job_cell: Cell | None) -> None:
        self.import_scope = scope_for(actor, Perm.REGISTRY_IMPORT)
        self.kind_scope = scope_for(actor, permission)
        self.job_cell_code = job_cell.code if job_cell is not None else ""
        self._covers: dict[str, bool] = {}

    def covers(self, cell_code: str) -> bool:
        covered = self._covers.get(cell_code)
        if covered is None:
            covered = self._covers[cell_code] = (
                self.import_scope.covers(cell_code)
                and self.kind_scope.covers(cell_code)
                and cell_code.startswith(self.job_cell_code)
            )
        return covered


class CellDirectory:
    """Active cells by code and by (unique) name, loaded once per import."""

    def __init__(self) -> None:
        self.by_code: dict[str, int] = {}
        names: dict[str, list[str]] = {}
        for pk, code, name in Cell.objects.filter(is_active=True).values_list("pk", "code", "name"):
            self.by_code[code] = pk
            names.setdefault(name, []).append(code)
        self.by_name = {name: codes[0] for name, codes in names.items() if len(codes) == 1}

    def resolve(self, raw: str) -> str | None:
        if raw in self.by_code:
            return raw
        return self.by_name.get(raw)


@dataclass
class Problems:
    """The problems of one import, in the order found; ``rows`` is the set of bad rows."""

    kind: str
    items: list[RowProblem] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)

    def add(self, row: int, key: str, reason: Any) -> None:
        column = header_of(self.kind, key) if key else ""
        self.items.append(RowProblem(row, column, str(reason)))
        self.rows.add(row)

    def add_error(self, row: int, key: str, error: Exception) -> None:
        """A ``ValidationError``'s or ``CellValueError``'s reasons, under the column."""
        if isinstance(error, ValidationError):
            for message in error.messages:
                self.add(row, key, message)
        elif isinstance(error, CellValueError):
            self.add(row, key, error.args[0])
        else:
            self.add(row, key, str(error))


def required_text(
    record: dict[str, Any], key: str, *, row: int, problems: Problems, max_length: int
) -> str:
    value = text(record.get(key))
    if not value:
        problems.add(row, key, _("Required; this cell is empty."))
    elif len(value) > max_length:
        problems.add(row, key, _("At most %(count)d characters.") % {"count": max_length})
    return value


def optional_text(
    record: dict[str, Any], key: str, *, row: int, problems: Problems, max_length: int
) -> str:
    value = text(record.get(key))
    if len(value) > max_length:
        problems.add(row, key, _("At most %(count)d characters.") % {"count": max_length})
    return value


def out_of_scope_reason() -> Any:
    return _("This area is outside what you may import into.")


def place_key(estate: str, building: str, unit: str, room: str) -> tuple[str, str, str, str]:
    """How an address in a sheet finds a dwelling: labels normalised like the place services."""
    from gridgov.registry.services.places import building_label_normalize, unit_label_normalize

    room = room.strip()
    if room.endswith("室"):
        room = room[:-1]
    return (
        estate.strip(),
        building_label_normalize(building),
        unit_label_normalize(unit) if unit.strip() else "",
        room,
    )


# --- Batch helpers for large imports ---------------------------------------------------------


class IdentityChecker:
    """``normalize_id_number`` + ``id_facts`` for one import, with the costly pieces cached.

    A resident ID number of 18 plain characters is checked here with the same rules (format,
    ISO 7064 MOD 11-2 check character, a real birth date from 1880 to today, a known
    division code), the division code and the birth date looked up once per distinct value.
    Anything the fast path does not accept goes through ``normalize_id_number`` itself, so
    every refusal carries exactly the reason of the single-person services.
    """

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self._born: dict[str, datetime.date | None] = {}
        self._known_division: dict[str, bool] = {}

    def check(self, id_type: str, raw: str) -> tuple[str, IdFacts]:
        """The normalised number and its facts, or ``ValidationError`` (the service's)."""
        if id_type == IdType.RESIDENT_ID:
            number = self._plain_resident_id(raw)
            if number is not None:
                born = self._birth_date(number[6:14])
                if born is not None and self._division_known(number):
                    sex = "M" if int(number[16]) % 2 == 1 else "F"
                    return number, IdFacts(birth_date=born, sex=sex, division_code=number[:6])
        number = normalize_id_number(id_type, raw)
        return number, id_facts(id_type, number)

    @staticmethod
    def _plain_resident_id(raw: str) -> str | None:
        if len(raw) != 18 or not raw.isascii():
            return None
        body, last = raw[:17], raw[17]
        if not body.isdigit() or last not in _CHECK_CHARACTERS:
            return None
        number = raw.upper()
        checksum = (1 - 2 * int(body, 13)) % 11  # GB 11643 / ISO 7064 MOD 11-2
        return number if number[17] == ("X" if checksum == 10 else str(checksum)) else None

    def _birth_date(self, digits: str) -> datetime.date | None:
        if digits not in self._born:
            try:
                born: datetime.date | None = datetime.date(
                    int(digits[:4]), int(digits[4:6]), int(digits[6:8])
                )
            except ValueError:
                born = None
            if born is not None and (born.year < 1880 or born > self.today):
                born = None
            self._born[digits] = born
        return self._born[digits]

    def _division_known(self, number: str) -> bool:
        division = number[:6]
        known = self._known_division.get(division)
        if known is None:
            try:
                normalize_id_number(IdType.RESIDENT_ID, number)
                known = True
            except ValidationError:
                known = False  # the number is otherwise valid: only the division can fail
            self._known_division[division] = known
        return known


_CHECK_CHARACTERS = frozenset("0123456789Xx")


def column_of(field: Field[Any, Any] | ForeignObjectRel) -> str:
    """The database column of a concrete field (relations and non-concrete fields have none)."""
    assert isinstance(field, Field), field
    assert field.column is not None, field
    return field.column


def insert_rows(model: type[Model], rows: list[dict[str, Any]], *, batch: int = 2000) -> None:
    """Insert plain rows (``{field attname: value}``, every concrete field but the key) with
    one ``executemany`` per batch: no model instance and no per-row ORM work."""
    if not rows:
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    # Identifiers from the model's metadata, quoted; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(column_of(field)) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    names = [field.attname for field in fields]
    adapters = [_adapter(field) for field in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(
                sql,
                [
                    tuple(
                        adapt(row[name]) if adapt else row[name]
                        for name, adapt in zip(names, adapters, strict=True)
                    )
                    for row in rows[start : start + batch]
                ],
            )


def _adapter(field: Any) -> Any:
    """How a value of ``field`` goes to the database (dates and datetimes need it), each
    distinct value adapted once (an import has one timestamp and few distinct dates)."""
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        adapt = connection.ops.adapt_datetimefield_value
    elif internal == "DateField":
        adapt = connection.ops.adapt_datefield_value
    else:
        return None
    adapted: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        if value is None:
            return None
        if value not in adapted:
            adapted[value] = adapt(value)
        return adapted[value]

    return cached


def rule_tags_after_import(
    *, created: list[Any], updated_ids: list[int], now: datetime.datetime, today: datetime.date
) -> None:
    """Make the rule tags (``services.tags``) true after an import.

    People created by the import carry no tag yet: theirs are computed here, with the same
    rules, from the birth dates in hand and the occupancy of their dwellings (one query per
    batch of dwellings), and inserted in bulk. Updated people, and people already living in
    a dwelling the import moved someone into (who may no longer live alone), go through
    ``person_rule_tags_recompute``.
    """
    from gridgov.registry.models import PersonTag, Residency, Tag
    from gridgov.registry.selectors.people import MINOR_AGE, years_before
    from gridgov.registry.services.tags import (
        ADVANCED_AGE,
        ELDERLY_AGE,
        RULE_TAG_CODES,
        TAG_ADVANCED_AGE,
        TAG_ELDERLY_ALONE,
        TAG_MINOR,
        person_rule_tags_recompute,
    )

    new_ids = {person.existing_id for person in created}
    dwellings = sorted({person.dwelling_id for person in created if person.needs_residency})
    occupancy: dict[int, int] = {}
    others: set[int] = set()
    for start in range(0, len(dwellings), 900):
        current = Residency.objects.filter(
            dwelling_id__in=dwellings[start : start + 900], ended_on__isnull=True
        ).values_list("person_id", "dwelling_id")
        for person_id, dwelling_id in current:
            occupancy[dwelling_id] = occupancy.get(dwelling_id, 0) + 1
            if person_id not in new_ids:
                others.add(person_id)
    tag_ids = dict(
        Tag.objects.filter(code__in=RULE_TAG_CODES, kind=Tag.Kind.RULE).values_list("code", "pk")
    )
    advanced = years_before(today, ADVANCED_AGE)
    elderly = years_before(today, ELDERLY_AGE)
    minor = years_before(today, MINOR_AGE)
    rows = []
    for person in created:
        born = person.birth_date
        if born is None:
            continue
        codes = []
        if born <= advanced:
            codes.append(TAG_ADVANCED_AGE)
        if born > minor:
            codes.append(TAG_MINOR)
        if born <= elderly and person.needs_residency and occupancy.get(person.dwelling_id) == 1:
            codes.append(TAG_ELDERLY_ALONE)
        rows += [
            {
                "person_id": person.existing_id,
                "tag_id": tag_ids[code],
                "source": PersonTag.Source.RULE,
                "set_by_id": None,
                "set_at": now,
                "reason": "",
            }
            for code in codes
            if code in tag_ids
        ]
    insert_rows(PersonTag, rows)
    recompute = set(updated_ids) | others
    if recompute:
        person_rule_tags_recompute(person_ids=recompute, today=today)


class ServiceBackedImporter:
    """The steps shared by the importers that write through the per-item services (places,
    leases): a dry run applies every good row inside a transaction that is rolled back, so its
    counts are exactly what the commit will do; the commit applies them for real."""

    problems: Problems
    planned: Counts

    def _apply(self, *, skip_rows: set[int]) -> Counts:
        raise NotImplementedError

    def check_end(self, *, is_commit: bool) -> None:
        if not is_commit:
            from gridgov.registry.services.imports import run_rolled_back

            def trial() -> None:
                self.planned = self._apply(skip_rows=set(self.problems.rows))

            run_rolled_back(trial)

    def write(self, *, skip_rows: set[int]) -> Counts:
        return self._apply(skip_rows=skip_rows)

    def _read(self, row: int, key: str, parse: Any, raw: Any, *args: Any) -> Any:
        try:
            return parse(raw, *args)
        except CellValueError as error:
            self.problems.add_error(row, key, error)
            return None
