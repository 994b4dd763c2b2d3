"""Pages about places: the drill-down estates → buildings → units → dwellings, and the
household file (一户一档) of one dwelling, printable on A4."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.dwellings import dwelling_file_for_actor, dwelling_list_for_actor
from gridgov.registry.selectors.people import tag_catalogue
from gridgov.registry.selectors.places import (
    building_get_for_actor,
    building_list_for_actor,
    estate_get_for_actor,
    estate_list_for_actor,
    unit_list_for_actor,
)
from gridgov.registry.selectors.summary import attach_current_residencies
from gridgov.registry.views.common import can, paginate, require, with_tag_classes


@login_required
@require_GET
def place_list(request: HttpRequest) -> HttpResponse:
    """小区/村宅 → 楼栋 → 单元 → 户室. Without an estate: the estates (searchable)."""
    require(request, Perm.PLACE_VIEW)
    search = request.GET.get("q", "").strip()[:60]
    estates = estate_list_for_actor(actor=request.user, query=search or None)
    page = paginate(estates, request.GET)
    context = {
        "page": page,
        "search": search,
        "link_query": urlencode({"q": search}) if search else "",
    }
    if request.htmx and request.GET.get("partial") == "estates":  # type: ignore[attr-defined]
        return render(request, "registry/_estate_rows.html", context)
    return render(request, "registry/place_list.html", context)


@login_required
@require_GET
def estate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.PLACE_VIEW)
    estate = estate_get_for_actor(actor=request.user, estate_id=pk)
    buildings = building_list_for_actor(actor=request.user, estate_id=estate.pk)
    return render(
        request, "registry/estate_detail.html", {"estate": estate, "buildings": buildings}
    )


@login_required
@require_GET
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A building's units and dwellings, each with its number of current residents."""
    require(request, Perm.PLACE_VIEW)
    building = building_get_for_actor(actor=request.user, building_id=pk)
    units = list(unit_list_for_actor(actor=request.user, building_id=building.pk))
    dwellings = list(dwelling_list_for_actor(actor=request.user, building_id=building.pk))
    by_unit: dict[Any, list[Any]] = {}
    for dwelling in dwellings:
        by_unit.setdefault(dwelling.unit_id, []).append(dwelling)
    groups = [{"unit": unit, "dwellings": by_unit.get(unit.pk, [])} for unit in units]
    if by_unit.get(None):
        groups.append({"unit": None, "dwellings": by_unit[None]})
    return render(
        request,
        "registry/building_detail.html",
        {"building": building, "groups": groups, "dwelling_count": len(dwellings)},
    )


@login_required
@never_cache
@require_GET
def dwelling_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """一户一档: the dwelling, its people now and before, owners, leases, households, and the
    sections other modules add (cases, visits, alarms)."""
    require(request, Perm.PLACE_VIEW)
    file = dwelling_file_for_actor(actor=request.user, dwelling_id=pk)
    attach_current_residencies(
        [item.person for item in file.current_residencies + file.past_residencies]
        + [item.owner for item in file.owners + file.past_owners if item.owner is not None]
        + [lease.landlord for lease in file.leases]
        + [link.person for lease in file.leases for link in lease.lease_tenants.all()]
        + [member.person for household in file.households for member in household.current_members]
    )
    presenter = PersonPresenter(request.user)
    code = file.dwelling.cell.code
    catalogue = list(tag_catalogue())

    def show(person: Any) -> dict[str, Any] | None:
        if person is None:
            return None
        return with_tag_classes([presenter.row(person)], catalogue)[0]

    context = {
        "file": file,
        "dwelling": file.dwelling,
        "current": [(item, show(item.person)) for item in file.current_residencies],
        "past": [(item, show(item.person)) for item in file.past_residencies],
        "owners": [(item, show(item.owner)) for item in file.owners],
        "past_owners": [(item, show(item.owner)) for item in file.past_owners],
        "leases": [
            (lease, show(lease.landlord), [show(link.person) for link in lease.lease_tenants.all()])
            for lease in file.leases
        ],
        "households": [
            (household, [(member, show(member.person)) for member in household.current_members])
            for household in file.households
        ],
        "can_register_lease": can(request, Perm.LEASE_REGISTER, cell_code=code),
    }
    return render(request, "registry/dwelling_detail.html", context)


@login_required
@require_GET
def dwelling_search(request: HttpRequest) -> HttpResponse:
    """Dwellings matching an address fragment (the lease form's dwelling picker, htmx)."""
    require(request, Perm.PLACE_VIEW)
    search = request.GET.get("dq", "").strip()[:60]
    dwellings = (
        list(dwelling_list_for_actor(actor=request.user, query=search)[:20]) if search else []
    )
    return render(
        request, "registry/_dwelling_choices.html", {"dwellings": dwellings, "search": search}
    )
