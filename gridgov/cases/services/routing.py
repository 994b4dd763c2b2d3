"""Where a case lies and who handles it.

Location → cell: a dwelling or building gives its own cell and estate; a point is located by the
grids' spatial index (the deepest cell covering it); an address is matched against the
addresses and names of dwellings, buildings and estates. Category → department; a property
matter inside an estate with a property company → that company.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization
from gridgov.cases.models import Category
from gridgov.cases.services.errors import MissingFieldError, NotInAnyCellError
from gridgov.grids.models import Cell
from gridgov.grids.selectors import cell_locate
from gridgov.registry.models import Building, Dwelling, Estate


@dataclass(frozen=True)
class Place:
    cell: Cell
    estate: Estate | None = None
    building: Building | None = None
    dwelling: Dwelling | None = None
    lat: float | None = None
    lng: float | None = None
    address: str = ""


@dataclass(frozen=True)
class Route:
    department: Organization | None
    property_company: Organization | None


def _point(lat: float | None, lng: float | None) -> tuple[float, float] | None:
    if lat is None or lng is None:
        return None
    try:
        lat_value, lng_value = float(lat), float(lng)
    except (TypeError, ValueError):
        raise NotInAnyCellError(_("The coordinates are not numbers."), code="bad_point") from None
    if not (-90 <= lat_value <= 90 and -180 <= lng_value <= 180):
        raise NotInAnyCellError(
            _("The coordinates must be latitude and longitude in WGS-84."), code="bad_point"
        )
    return lat_value, lng_value


def _address_match(address: str) -> Place | None:
    text = address.strip()
    if len(text) < 2:
        return None
    dwelling = (
        Dwelling.objects.filter(address=text).select_related("cell", "building__estate").first()
    )
    if dwelling is not None:
        building = dwelling.building
        return Place(
            cell=dwelling.cell,
            estate=building.estate,
            building=building,
            dwelling=dwelling,
            lat=building.lat,
            lng=building.lng,
        )
    by_address = Building.objects.filter(address=text).select_related("cell", "estate").first()
    if by_address is not None:
        building = by_address
        return Place(
            cell=building.cell,
            estate=building.estate,
            building=building,
            lat=building.lat,
            lng=building.lng,
        )
    # The longest estate name the address contains: "飞碟苑12号楼" → 飞碟苑.
    estates = [
        estate
        for estate in Estate.objects.filter(cell__is_active=True).select_related("cell")
        if estate.name and estate.name in text
    ]
    if estates:
        estate = max(estates, key=lambda item: len(item.name))
        for building in estate.buildings.select_related("cell").order_by("-label"):
            if building.label and building.label in text[text.index(estate.name) :]:
                return Place(
                    cell=building.cell,
                    estate=estate,
                    building=building,
                    lat=building.lat,
                    lng=building.lng,
                )
        return Place(cell=estate.cell, estate=estate, lat=estate.lat, lng=estate.lng)
    return None


def place_locate(
    *,
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    building_id: int | None = None,
    dwelling_id: int | None = None,
) -> Place:
    """The cell (and estate, building, dwelling) of a report, or ``NotInAnyCellError``."""
    point = _point(lat, lng)
    address = (address or "").strip()
    if dwelling_id is not None:
        dwelling = (
            Dwelling.objects.select_related("cell", "building__estate")
            .filter(pk=dwelling_id)
            .first()
        )
        if dwelling is None:
            raise NotInAnyCellError(_("Unknown dwelling."), code="unknown_dwelling")
        building = dwelling.building
        return Place(
            cell=dwelling.cell,
            estate=building.estate,
            building=building,
            dwelling=dwelling,
            lat=point[0] if point else building.lat,
            lng=point[1] if point else building.lng,
            address=address or dwelling.address,
        )
    if building_id is not None:
        found = Building.objects.select_related("cell", "estate").filter(pk=building_id).first()
        if found is None:
            raise NotInAnyCellError(_("Unknown building."), code="unknown_building")
        building = found
        return Place(
            cell=building.cell,
            estate=building.estate,
            building=building,
            lat=point[0] if point else building.lat,
            lng=point[1] if point else building.lng,
            address=address or building.address or f"{building.estate.name}{building.label}",
        )
    if point is not None:
        cell = cell_locate(lng=point[1], lat=point[0])
        if cell is None:
            raise NotInAnyCellError()
        return Place(cell=cell, lat=point[0], lng=point[1], address=address)
    if address:
        matched = _address_match(address)
        if matched is None:
            raise NotInAnyCellError(
                _(
                    "No known estate, building or address matches “%(address)s”; mark the place on the map."
                ),
                code="address_not_found",
                params={"address": address[:100]},
            )
        return Place(
            cell=matched.cell,
            estate=matched.estate,
            building=matched.building,
            dwelling=matched.dwelling,
            lat=matched.lat,
            lng=matched.lng,
            address=address,
        )
    raise MissingFieldError(
        _("Give the location: a point on the map, an address or a building."), code="location"
    )


def route_for(*, category: Category, estate: Estate | None) -> Route:
    """Category → department; a property matter in an estate with a company → that company."""
    company = None
    if category.is_property_matter and estate is not None and estate.property_company_id:
        company = estate.property_company
    return Route(department=category.department, property_company=company)
