"""Writes of places: estate/village (小区/村宅) → building (楼栋) → unit (单元/门洞) → dwelling (户室).

A place belongs to one grid cell: set by staff, else located from its coordinates (the point →
cell index of DESIGN D12), else inherited from the place it is part of. Addresses are composed
in the Chinese order, largest to smallest: "马桥镇飞碟苑12号楼1单元301室".
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Perm
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.selectors import CellNotFoundError, ancestor_codes, cell_locate
from gridgov.registry.models import Building, Dwelling, Estate, Unit
from gridgov.registry.selectors.places import PlaceNotFoundError
from gridgov.registry.services.housing_rules import (
    dwelling_for_write,
    invalid,
    require_over_cell,
)

LABEL_MAX_LENGTH = 50
ROOM_MAX_LENGTH = 30


# --- Address composition ---------------------------------------------------------------------


def _with_suffix(label: str, suffix: str) -> str:
    """ "12" → "12号楼"; labels that already say what they are ("A座", "12号楼") are kept."""
    label = label.strip()
    return f"{label}{suffix}" if label.isdigit() else label


def building_label_normalize(label: str) -> str:
    return _with_suffix(label, "号楼")


def unit_label_normalize(label: str) -> str:
    return _with_suffix(label, "单元")


def town_name_of(cell: Cell) -> str:
    """The name of the street/town (街道/镇) the cell lies in, or "" above or without one."""
    codes = [*ancestor_codes(cell.code), cell.code]
    town = Cell.objects.filter(code__in=codes, level=LevelKind.STREET).order_by("-depth").first()
    return town.name if town is not None else ""


def compose_address(
    *, town: str, estate: str, building: str = "", unit: str = "", room: str = ""
) -> str:
    """The address in Chinese form. The town is left out when the estate's name starts with it."""
    parts = [] if not town or estate.startswith(town) else [town]
    parts.append(estate)
    if building:
        parts.append(building)
    if unit:
        parts.append(unit)
    if room:
        parts.append(_with_suffix(room, "室"))
    return "".join(parts)


def dwelling_address(dwelling: Dwelling) -> str:
    building = dwelling.building
    return compose_address(
        town=town_name_of(dwelling.cell),
        estate=building.estate.name,
        building=building.label,
        unit=dwelling.unit.label if dwelling.unit else "",
        room=dwelling.room,
    )


# --- Cells of places -------------------------------------------------------------------------


def _cell_by_code(code: str) -> Cell:
    cell = Cell.objects.filter(code=code, is_active=True).first()
    if cell is None:
        raise CellNotFoundError(code)
    return cell


def _located_cell(lng: float | None, lat: float | None) -> Cell | None:
    if lng is None or lat is None:
        return None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise invalid("lng", _("the coordinates must be longitude/latitude in WGS-84"), "bad_point")
    cell = cell_locate(lng=lng, lat=lat)
    if cell is None:
        raise invalid(
            "lng", _("the location lies outside every area of the platform"), "point_outside"
        )
    return cell


def _resolve_cell(
    *, cell_code: str | None, lng: float | None, lat: float | None, fallback: Cell | None
) -> Cell:
    if cell_code:
        return _cell_by_code(cell_code)
    located = _located_cell(lng, lat)
    if located is not None:
        return located
    if fallback is not None:
        return fallback
    raise invalid("cell_code", _("give the area or the location of the place"), "no_cell")


def _required_label(field: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(field, _("this field is required"), "required")
    if len(value) > max_length:
        raise invalid(
            field,
            _("at most %(count)d characters") % {"count": max_length},
            "too_long",
        )
    return value


def _provisional_code() -> str:
    return f"tmp-{uuid.uuid4().hex[:24]}"


# --- Writes ----------------------------------------------------------------------------------


@transaction.atomic
def estate_create(
    *,
    actor: Any,
    name: str,
    cell_code: str | None = None,
    code: str = "",
    kind: str = Estate.Kind.ESTATE,
    address: str = "",
    lng: float | None = None,
    lat: float | None = None,
    property_company_id: int | None = None,
) -> Estate:
    """Register an estate or village. Without a code it gets ``E`` + its number."""
    name = _required_label("name", name, 100)
    if kind not in Estate.Kind.values:
        raise invalid("kind", _("this kind of place does not exist"), "bad_choice")
    cell = _resolve_cell(cell_code=cell_code, lng=lng, lat=lat, fallback=None)
    require_over_cell(actor, Perm.PLACE_MANAGE, cell.code, not_found=PlaceNotFoundError)
    company = None
    if property_company_id is not None:
        company = Organization.objects.filter(
            pk=property_company_id, kind=Organization.Kind.PROPERTY_COMPANY, is_active=True
        ).first()
        if company is None:
            raise invalid("property_company", _("this property company does not exist"))
    code = (code or "").strip()
    if code and Estate.objects.filter(code=code).exists():
        raise invalid("code", _("another estate already has this code"), "duplicate")
    estate = Estate(
        code=code or _provisional_code(),
        name=name,
        kind=kind,
        cell=cell,
        address=address.strip() or compose_address(town=town_name_of(cell), estate=name),
        lng=lng,
        lat=lat,
        property_company=company,
    )
    try:
        with transaction.atomic():
            estate.save()
    except IntegrityError as error:
        raise invalid("code", _("another estate already has this code"), "duplicate") from error
    if not code:
        estate.code = f"E{estate.pk:06d}"
        estate.save(update_fields=["code"])
    audit_record(
        actor=actor,
        action="registry.estate.create",
        target=estate,
        object_label=f"{estate.code} {estate.name}",
        changes={"cell": cell.code, "kind": kind},
    )
    return estate


@transaction.atomic
def building_create(
    *,
    actor: Any,
    estate_id: int,
    label: str,
    cell_code: str | None = None,
    address: str = "",
    lng: float | None = None,
    lat: float | None = None,
    floors: int | None = None,
    sort_order: int = 0,
) -> Building:
    """Add a building to an estate. Its cell: as given, else located from its coordinates,
    else the estate's. "12" is stored as "12号楼"."""
    estate = Estate.objects.select_related("cell").filter(pk=estate_id).first()
    if estate is None:
        raise PlaceNotFoundError()
    require_over_cell(actor, Perm.PLACE_MANAGE, estate.cell.code, not_found=PlaceNotFoundError)
    label = building_label_normalize(_required_label("label", label, LABEL_MAX_LENGTH))
    cell = _resolve_cell(cell_code=cell_code, lng=lng, lat=lat, fallback=estate.cell)
    require_over_cell(actor, Perm.PLACE_MANAGE, cell.code, not_found=PlaceNotFoundError)
    if floors is not None and not 0 < floors <= 200:
        raise invalid("floors", _("the number of floors must be between 1 and 200"))
    building = Building(
        estate=estate,
        label=label,
        cell=cell,
        address=address.strip()
        or compose_address(town=town_name_of(cell), estate=estate.name, building=label),
        lng=lng,
        lat=lat,
        floors=floors,
        sort_order=sort_order,
    )
    try:
        with transaction.atomic():
            building.save()
    except IntegrityError as error:
        raise invalid(
            "label", _("this estate already has a building with this name"), "duplicate"
        ) from error
    audit_record(
        actor=actor,
        action="registry.building.create",
        target=building,
        object_label=f"{estate.code} {label}",
        changes={"estate": estate.pk, "cell": cell.code},
    )
    return building


@transaction.atomic
def unit_create(*, actor: Any, building_id: int, label: str, sort_order: int = 0) -> Unit:
    """Add a unit/doorway to a building; "1" is stored as "1单元"."""
    building = Building.objects.select_related("cell", "estate").filter(pk=building_id).first()
    if building is None:
        raise PlaceNotFoundError()
    require_over_cell(actor, Perm.PLACE_MANAGE, building.cell.code, not_found=PlaceNotFoundError)
    label = unit_label_normalize(_required_label("label", label, LABEL_MAX_LENGTH))
    unit = Unit(building=building, label=label, sort_order=sort_order)
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as error:
        raise invalid(
            "label", _("this building already has a unit with this name"), "duplicate"
        ) from error
    audit_record(
        actor=actor,
        action="registry.unit.create",
        target=unit,
        object_label=f"{building.estate.code} {building.label} {label}",
        changes={"building": building.pk},
    )
    return unit


def _area(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        area = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as error:
        raise invalid("area_m2", _("the floor area must be a number of square metres")) from error
    if area <= 0 or area >= Decimal("10000000"):
        raise invalid("area_m2", _("the floor area must be greater than 0 m²"), "area_range")
    return area


def _floor_from_room(room: str) -> int | None:
    """ "301" → 3, "1203" → 12: the usual numbering of Chinese flats."""
    return int(room[:-2]) if room.isdigit() and len(room) >= 3 else None


@transaction.atomic
def dwelling_create(
    *,
    actor: Any,
    building_id: int,
    room: str,
    unit_id: int | None = None,
    floor: int | None = None,
    area_m2: Decimal | float | str | None = None,
    use: str = Dwelling.Use.RESIDENTIAL,
    cell_code: str | None = None,
) -> Dwelling:
    """Add a dwelling, shop or common part to a building. The cell is the building's unless
    given; the address is composed ("马桥镇飞碟苑12号楼1单元301室"); the floor is read from
    the room number when not given. ``area_m2`` is what owners' votes count."""
    building = (
        Building.objects.select_for_update(of=("self",))
        .select_related("cell", "estate")
        .filter(pk=building_id)
        .first()
    )
    if building is None:
        raise PlaceNotFoundError()
    require_over_cell(actor, Perm.PLACE_MANAGE, building.cell.code, not_found=PlaceNotFoundError)
    room = _required_label("room", room, ROOM_MAX_LENGTH)
    unit = None
    if unit_id is not None:
        unit = Unit.objects.filter(pk=unit_id, building=building).first()
        if unit is None:
            raise invalid("unit", _("this unit is not part of the building"), "wrong_unit")
    if use not in Dwelling.Use.values:
        raise invalid("use", _("this use does not exist"), "bad_choice")
    cell = _cell_by_code(cell_code) if cell_code else building.cell
    require_over_cell(actor, Perm.PLACE_MANAGE, cell.code, not_found=PlaceNotFoundError)
    # The unique constraint cannot see duplicates when the unit is empty (NULL): the building
    # row is locked above, so this check and the insert cannot interleave with another.
    if Dwelling.objects.filter(building=building, unit=unit, room=room).exists():
        raise invalid("room", _("this room is already registered in this building"), "duplicate")
    dwelling = Dwelling(
        building=building,
        unit=unit,
        room=room,
        floor=floor if floor is not None else _floor_from_room(room),
        area_m2=_area(area_m2),
        use=use,
        cell=cell,
    )
    dwelling.address = dwelling_address(dwelling)
    try:
        with transaction.atomic():
            dwelling.save()
    except IntegrityError as error:
        raise invalid(
            "room", _("this room is already registered in this building"), "duplicate"
        ) from error
    audit_record(
        actor=actor,
        action="registry.dwelling.create",
        target=dwelling,
        object_label=dwelling.address,
        changes={"building": building.pk, "cell": cell.code, "use": use},
    )
    return dwelling


DWELLING_EDITABLE = frozenset({"floor", "area_m2", "use", "cell_code"})


@transaction.atomic
def dwelling_update(*, actor: Any, dwelling_id: int, **changes: Any) -> Dwelling:
    """Correct a dwelling's floor, floor area, use or cell (``cell_code``); audited with the
    old and new values. The room, and so the address, stays: a different room is a different
    dwelling."""
    unknown = sorted(set(changes) - DWELLING_EDITABLE)
    if unknown:
        raise invalid(unknown[0], _("this field cannot be changed here"), "not_editable")
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=dwelling_id, permission=Perm.PLACE_MANAGE
    )
    updates: dict[str, Any] = {}
    if "floor" in changes:
        updates["floor"] = changes["floor"]
    if "area_m2" in changes:
        updates["area_m2"] = _area(changes["area_m2"])
    if "use" in changes:
        if changes["use"] not in Dwelling.Use.values:
            raise invalid("use", _("this use does not exist"), "bad_choice")
        updates["use"] = changes["use"]
    if changes.get("cell_code"):
        cell = _cell_by_code(changes["cell_code"])
        require_over_cell(actor, Perm.PLACE_MANAGE, cell.code, not_found=PlaceNotFoundError)
        updates["cell"] = cell
    diff = {
        field: [str(getattr(dwelling, field)), str(value)]
        for field, value in updates.items()
        if getattr(dwelling, field) != value
    }
    if not diff:
        return dwelling
    for field, value in updates.items():
        setattr(dwelling, field, value)
    dwelling.save(update_fields=[*updates, "updated_at"])
    audit_record(
        actor=actor,
        action="registry.dwelling.update",
        target=dwelling,
        object_label=dwelling.address,
        changes=diff,
    )
    return dwelling
