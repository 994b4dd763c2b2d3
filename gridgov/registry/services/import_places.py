"""The places import: estates, buildings, units and dwellings from one row per dwelling.

Places are created through the place services (``estate_create`` … ``dwelling_create``), so
the rules, the composed address and the cell are exactly theirs; a dwelling already registered
(same building, unit and room) has its floor, area and use updated. The check runs the same
services in a transaction that is rolled back, so it finds what the import would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.grids.models import Cell
from gridgov.registry.excel import values
from gridgov.registry.excel.columns import ESTATE_KIND_LABELS, USE_LABELS
from gridgov.registry.models import Building, Dwelling, Estate, ImportJob, Unit
from gridgov.registry.services.import_rules import (
    CellDirectory,
    Counts,
    ImportScope,
    Problems,
    ServiceBackedImporter,
    out_of_scope_reason,
    place_key,
    required_text,
)

_DWELLING_FIELDS = {"room": "room", "area_m2": "area_m2", "use": "use", "floor": "floor"}


@dataclass(slots=True)
class PlaceRow:
    row: int
    estate: str
    estate_kind: str
    building: str
    unit: str
    room: str
    floor: int | None
    area_m2: Decimal | None
    use: str
    cell_code: str
    lng: float | None
    lat: float | None


class _RowRefusedError(Exception):
    def __init__(self, key: str, error: Any) -> None:
        super().__init__(key)
        self.key = key
        self.error = error


class PlacesImporter(ServiceBackedImporter):
    kind = ImportJob.Kind.PLACES

    def __init__(self, *, actor: Any, job_cell: Cell | None) -> None:
        self.actor = actor
        self.scope = ImportScope(actor, Perm.PLACE_MANAGE, job_cell)
        self.job_cell_code = job_cell.code if job_cell is not None else ""
        self.cells = CellDirectory()
        self.problems = Problems(self.kind)
        self.planned = Counts()
        self.places: list[PlaceRow] = []
        self._seen: dict[tuple[str, str, str, str], int] = {}

    def check_batch(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        for number, record in rows:
            place = self._parse(number, record)
            if place is not None:
                self.places.append(place)

    # --- rows ----------------------------------------------------------------------------

    def _parse(self, row: int, record: dict[str, Any]) -> PlaceRow | None:
        problems = self.problems
        before = len(problems.items)
        estate = required_text(record, "estate", row=row, problems=problems, max_length=100)
        building = required_text(record, "building", row=row, problems=problems, max_length=50)
        room = required_text(record, "room", row=row, problems=problems, max_length=30)
        unit = values.text(record.get("unit"))
        read = self._read
        area = read(row, "area_m2", values.decimal_value, record.get("area_m2"))
        if area is not None and area <= 0:
            problems.add(row, "area_m2", _("The floor area must be more than 0."))
        place = PlaceRow(
            row=row,
            estate=estate,
            estate_kind=read(
                row, "estate_kind", values.choice, record.get("estate_kind"), ESTATE_KIND_LABELS
            )
            or Estate.Kind.ESTATE,
            building=building,
            unit=unit,
            room=room,
            floor=read(row, "floor", values.integer_value, record.get("floor")),
            area_m2=area,
            use=read(row, "use", values.choice, record.get("use"), USE_LABELS)
            or Dwelling.Use.RESIDENTIAL,
            cell_code="",
            lng=read(row, "lng", values.float_value, record.get("lng")),
            lat=read(row, "lat", values.float_value, record.get("lat")),
        )
        self._cell(place, record)
        if estate and building and room:
            first = self._seen.setdefault(place_key(estate, building, unit, room), row)
            if first != row:
                problems.add(
                    row, "room", _("The same dwelling is on row %(row)d.") % {"row": first}
                )
        return place if len(problems.items) == before else None

    def _cell(self, place: PlaceRow, record: dict[str, Any]) -> None:
        raw = values.text(record.get("cell"))
        if raw:
            code = self.cells.resolve(raw)
            if code is None:
                self.problems.add(place.row, "cell", _("No area has this code or name."))
                return
            place.cell_code = code
        elif place.lng is None or place.lat is None:
            # A registered estate gives its area; a new one needs one (checked when created).
            place.cell_code = self.job_cell_code
        if place.cell_code and not self.scope.covers(place.cell_code):
            self.problems.add(place.row, "cell", out_of_scope_reason())

    # --- writes through the place services ------------------------------------------------

    def _apply(self, *, skip_rows: set[int]) -> Counts:
        counts = Counts()
        for place in self.places:
            if place.row in skip_rows:
                continue
            try:
                with transaction.atomic():
                    outcome = self._apply_one(place)
            except _RowRefusedError as refused:
                self.problems.add_error(place.row, refused.key, refused.error)
                continue
            setattr(counts, outcome, getattr(counts, outcome) + 1)
        return counts

    def _call(self, key: str, service: Any, **kwargs: Any) -> Any:
        try:
            return service(actor=self.actor, **kwargs)
        except ValidationError as error:
            if key == "room" and hasattr(error, "error_dict"):
                field = next(iter(error.error_dict))
                key = _DWELLING_FIELDS.get(field, "cell" if field == "cell_code" else "room")
            raise _RowRefusedError(key, error) from error
        except (PermissionDenied, Http404) as error:
            raise _RowRefusedError("cell", ValidationError(out_of_scope_reason())) from error

    def _estate(self, place: PlaceRow) -> Estate:
        from gridgov.registry.services.places import estate_create

        candidates = [
            estate
            for estate in Estate.objects.filter(name=place.estate).select_related("cell")
            if self.scope.covers(estate.cell.code)
        ]
        if len(candidates) > 1 and place.cell_code:
            candidates = [
                estate
                for estate in candidates
                if place.cell_code.startswith(estate.cell.code)
                or estate.cell.code.startswith(place.cell_code)
            ]
        if len(candidates) > 1:
            raise _RowRefusedError(
                "estate",
                ValidationError(_("Several estates in your area have this name; give the area.")),
            )
        if candidates:
            return candidates[0]
        if not place.cell_code and (place.lng is None or place.lat is None):
            raise _RowRefusedError(
                "cell",
                ValidationError(_("Give the area, or choose one for the whole upload.")),
            )
        return self._call(
            "estate",
            estate_create,
            name=place.estate,
            kind=place.estate_kind,
            cell_code=place.cell_code or None,
            lng=place.lng,
            lat=place.lat,
        )

    def _apply_one(self, place: PlaceRow) -> str:
        from gridgov.registry.services.places import (
            building_create,
            building_label_normalize,
            dwelling_create,
            unit_create,
            unit_label_normalize,
        )

        estate = self._estate(place)
        label = building_label_normalize(place.building)
        building = Building.objects.filter(estate=estate, label=label).first() or self._call(
            "building",
            building_create,
            estate_id=estate.pk,
            label=label,
            cell_code=place.cell_code or None,
            lng=place.lng,
            lat=place.lat,
        )
        unit = None
        if place.unit:
            unit_label = unit_label_normalize(place.unit)
            unit = Unit.objects.filter(building=building, label=unit_label).first() or self._call(
                "unit", unit_create, building_id=building.pk, label=unit_label
            )
        room = place_key("", "", "", place.room)[3]
        existing = (
            Dwelling.objects.filter(building=building, unit=unit, room=room)
            .select_related("cell")
            .first()
        )
        if existing is None:
            self._call(
                "room",
                dwelling_create,
                building_id=building.pk,
                unit_id=unit.pk if unit else None,
                room=room,
                floor=place.floor,
                area_m2=place.area_m2,
                use=place.use,
                cell_code=place.cell_code or None,
            )
            return "created"
        return self._update(existing, place)

    def _update(self, dwelling: Dwelling, place: PlaceRow) -> str:
        if not self.scope.covers(dwelling.cell.code):
            raise _RowRefusedError("cell", ValidationError(out_of_scope_reason()))
        changes: dict[str, Any] = {}
        if place.floor is not None and place.floor != dwelling.floor:
            changes["floor"] = place.floor
        if place.area_m2 is not None and place.area_m2 != dwelling.area_m2:
            changes["area_m2"] = place.area_m2
        if place.use != dwelling.use and place.use != Dwelling.Use.RESIDENTIAL:
            changes["use"] = place.use
        if not changes:
            return "unchanged"
        Dwelling.objects.filter(pk=dwelling.pk).update(**changes)
        return "updated"
