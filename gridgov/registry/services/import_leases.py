"""The leases import (房屋租赁登记): one row per tenant; the rows with the same dwelling,
landlord and dates are one lease, registered with ``lease_register`` — the landlord together
with every tenant, all or nothing for that lease. A lease already registered with the same
dwelling, landlord and dates is left as it is, so a file can be imported twice."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.core.crypto import lookup_hash
from gridgov.grids.models import Cell
from gridgov.registry.excel import values
from gridgov.registry.excel.columns import ID_TYPE_LABELS
from gridgov.registry.models import Dwelling, IdType, ImportJob, Lease
from gridgov.registry.services.import_rules import (
    Counts,
    ImportScope,
    Problems,
    ServiceBackedImporter,
    out_of_scope_reason,
    place_key,
    required_text,
)
from gridgov.registry.services.protection import normalize_id_number, normalize_phone

_PARTY_FIELD = re.compile(r"^(landlord|tenants\[(\d+)\])(?:\.(\w+))?$")
_FIELD_SUFFIX = {"id_number": "id_number", "id_type": "id_type", "name": "name", "phone": "phone"}


@dataclass(slots=True)
class Party:
    name: str
    id_type: str
    id_number: str
    phone: str

    def ref(self) -> dict[str, Any]:
        fields = {"name": self.name, "id_type": self.id_type, "id_number": self.id_number}
        if self.phone:
            fields["phone"] = self.phone
        return fields


@dataclass
class LeaseGroup:
    dwelling_id: int
    landlord: Party
    started_on: datetime.date
    ends_on: datetime.date
    rows: list[int] = field(default_factory=list)
    tenants: list[Party] = field(default_factory=list)


class LeasesImporter(ServiceBackedImporter):
    kind = ImportJob.Kind.LEASES

    def __init__(self, *, actor: Any, job_cell: Cell | None) -> None:
        self.actor = actor
        self.scope = ImportScope(actor, Perm.LEASE_REGISTER, job_cell)
        self.job_cell_code = job_cell.code if job_cell is not None else ""
        self.problems = Problems(self.kind)
        self.planned = Counts()
        self.groups: dict[tuple[int, str, datetime.date, datetime.date], LeaseGroup] = {}
        self._dwellings: dict[tuple[str, str, str, str], tuple[int, str]] | None = None

    # --- checking ------------------------------------------------------------------------

    def check_batch(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        for number, record in rows:
            self._parse(number, record)

    def _party(self, row: int, record: dict[str, Any], prefix: str) -> Party | None:
        before = len(self.problems.items)
        name = required_text(
            record, f"{prefix}_name", row=row, problems=self.problems, max_length=64
        )
        id_type = (
            self._read(
                row,
                f"{prefix}_id_type",
                values.choice,
                record.get(f"{prefix}_id_type"),
                ID_TYPE_LABELS,
            )
            or IdType.RESIDENT_ID
        )
        raw = self._read(
            row, f"{prefix}_id_number", values.identifier_text, record.get(f"{prefix}_id_number")
        )
        number = ""
        if raw is not None:
            try:
                number = normalize_id_number(id_type, raw)
            except ValidationError as error:
                self.problems.add_error(row, f"{prefix}_id_number", error)
        phone = values.text(record.get(f"{prefix}_phone"))
        if phone:
            try:
                phone = normalize_phone(phone)
            except ValidationError as error:
                self.problems.add_error(row, f"{prefix}_phone", error)
        if len(self.problems.items) != before:
            return None
        return Party(name=" ".join(name.split()), id_type=id_type, id_number=number, phone=phone)

    def _dwelling(self, row: int, record: dict[str, Any]) -> int | None:
        address = [
            required_text(record, key, row=row, problems=self.problems, max_length=100)
            if key != "unit"
            else values.text(record.get(key))
            for key in ("estate", "building", "unit", "room")
        ]
        if not (address[0] and address[1] and address[3]):
            return None
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
        found = self._dwellings.get(place_key(*address))
        if found is None:
            self.problems.add(
                row, "room", _("This dwelling is not registered; import the places first.")
            )
            return None
        if not self.scope.covers(found[1]):
            self.problems.add(row, "room", out_of_scope_reason())
            return None
        return found[0]

    def _parse(self, row: int, record: dict[str, Any]) -> None:
        before = len(self.problems.items)
        dwelling_id = self._dwelling(row, record)
        landlord = self._party(row, record, "landlord")
        tenant = self._party(row, record, "tenant")
        started_on = self._read(row, "started_on", values.date_value, record.get("started_on"))
        ends_on = self._read(row, "ends_on", values.date_value, record.get("ends_on"))
        if started_on is None and values.text(record.get("started_on")) == "":
            self.problems.add(row, "started_on", _("Required; this cell is empty."))
        if ends_on is None and values.text(record.get("ends_on")) == "":
            self.problems.add(row, "ends_on", _("Required; this cell is empty."))
        if started_on and ends_on and ends_on <= started_on:
            self.problems.add(row, "ends_on", _("The lease ends before it starts."))
        if landlord and tenant and landlord.id_number == tenant.id_number:
            self.problems.add(row, "tenant_id_number", _("The landlord cannot also be a tenant."))
        if len(self.problems.items) != before:
            return
        if not (dwelling_id and landlord and tenant and started_on and ends_on):
            return
        key = (dwelling_id, lookup_hash(landlord.id_number), started_on, ends_on)
        group = self.groups.setdefault(key, LeaseGroup(dwelling_id, landlord, started_on, ends_on))
        if any(other.id_number == tenant.id_number for other in group.tenants):
            first = group.rows[[o.id_number for o in group.tenants].index(tenant.id_number)]
            self.problems.add(
                row,
                "tenant_id_number",
                _("The same tenant is on row %(row)d for this lease.") % {"row": first},
            )
            return
        group.rows.append(row)
        group.tenants.append(tenant)

    # --- writes through lease_register ------------------------------------------------------

    def _apply(self, *, skip_rows: set[int]) -> Counts:
        from gridgov.registry.services.leases import lease_register

        counts = Counts()
        for group in self.groups.values():
            if any(row in skip_rows for row in group.rows):
                for row in group.rows:
                    if row not in self.problems.rows:
                        self.problems.add(row, "", _("Another row of this lease has an error."))
                continue
            if self._already_registered(group):
                counts.unchanged += 1
                continue
            try:
                with transaction.atomic():
                    lease_register(
                        actor=self.actor,
                        dwelling_id=group.dwelling_id,
                        landlord=group.landlord.ref(),
                        tenants=[tenant.ref() for tenant in group.tenants],
                        started_on=group.started_on,
                        ends_on=group.ends_on,
                    )
            except ValidationError as error:
                self._refused(group, error)
                continue
            except (PermissionDenied, Http404):
                for row in group.rows:
                    self.problems.add(row, "room", out_of_scope_reason())
                continue
            counts.created += 1
        return counts

    def _already_registered(self, group: LeaseGroup) -> bool:
        return Lease.objects.filter(
            dwelling_id=group.dwelling_id,
            landlord__id_number_hash=lookup_hash(group.landlord.id_number),
            started_on=group.started_on,
            ends_on=group.ends_on,
            status=Lease.Status.ACTIVE,
        ).exists()

    def _refused(self, group: LeaseGroup, error: ValidationError) -> None:
        """Put each reason of ``lease_register`` on the row and column it concerns."""
        if not hasattr(error, "error_dict"):
            for row in group.rows:
                self.problems.add_error(row, "", error)
            return
        for name, errors in error.error_dict.items():
            match = _PARTY_FIELD.match(name)
            reasons = ValidationError(errors)
            if match is None:
                key = {"ends_on": "ends_on", "started_on": "started_on"}.get(name, "room")
                for row in group.rows:
                    self.problems.add_error(row, key, reasons)
                continue
            suffix = _FIELD_SUFFIX.get(match.group(3) or "", "")
            if match.group(1) == "landlord":
                for row in group.rows:
                    self.problems.add_error(row, f"landlord_{suffix}" if suffix else "", reasons)
            else:
                index = int(match.group(2))
                row = group.rows[index] if index < len(group.rows) else group.rows[0]
                self.problems.add_error(row, f"tenant_{suffix}" if suffix else "", reasons)
