"""Reads of places — estates, buildings, units — always for an acting user (DESIGN D7).

A place is in scope when its cell is under a cell where the actor holds ``PLACE_VIEW``. An
out-of-scope place is answered exactly like an unknown one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.registry.models import Building, Estate, Unit


class PlaceNotFoundError(Http404):
    """An unknown place, or one outside the actor's area (the two look the same on purpose)."""

    default_message = _("This place does not exist or is outside your area of responsibility.")

    def __init__(self, message: Any = None) -> None:
        super().__init__(message or self.default_message)


class DwellingNotFoundError(PlaceNotFoundError):
    default_message = _("This dwelling does not exist or is outside your area of responsibility.")


class LeaseNotFoundError(PlaceNotFoundError):
    default_message = _("This lease does not exist or is outside your area of responsibility.")


def _text(query: str | None) -> str:
    return (query or "").strip()


def estate_list_for_actor(
    *, actor: Any, cell_code: str | None = None, query: str | None = None
) -> QuerySet[Estate]:
    """Estates and villages in scope, with their number of buildings; ``cell_code`` narrows
    to that cell's subtree, ``query`` matches the name, code or address."""
    queryset = scope_for(actor, Perm.PLACE_VIEW).filter(
        Estate.objects.all(), code_field="cell__code"
    )
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if term := _text(query):
        queryset = queryset.filter(
            Q(name__icontains=term) | Q(code__istartswith=term) | Q(address__icontains=term)
        )
    return (
        queryset.select_related("cell")
        .annotate(building_count=Count("buildings", distinct=True))
        .order_by("code")
    )


def estate_get_for_actor(*, actor: Any, estate_id: int) -> Estate:
    estate = estate_list_for_actor(actor=actor).filter(pk=estate_id).first()
    if estate is None:
        raise PlaceNotFoundError()
    return estate


def building_list_for_actor(
    *,
    actor: Any,
    estate_id: int | None = None,
    cell_code: str | None = None,
    query: str | None = None,
) -> QuerySet[Building]:
    """Buildings in scope (by the building's own cell), with their number of dwellings."""
    queryset = scope_for(actor, Perm.PLACE_VIEW).filter(
        Building.objects.all(), code_field="cell__code"
    )
    if estate_id is not None:
        queryset = queryset.filter(estate_id=estate_id)
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if term := _text(query):
        queryset = queryset.filter(
            Q(label__icontains=term) | Q(address__icontains=term) | Q(estate__name__icontains=term)
        )
    return (
        queryset.select_related("estate", "cell")
        .annotate(dwelling_count=Count("dwellings", distinct=True))
        .order_by("estate__code", "sort_order", "label")
    )


def building_get_for_actor(*, actor: Any, building_id: int) -> Building:
    building = building_list_for_actor(actor=actor).filter(pk=building_id).first()
    if building is None:
        raise PlaceNotFoundError()
    return building


def unit_list_for_actor(*, actor: Any, building_id: int) -> QuerySet[Unit]:
    """The units of a building in scope (an out-of-scope building has none)."""
    buildings = scope_for(actor, Perm.PLACE_VIEW).filter(
        Building.objects.filter(pk=building_id), code_field="cell__code"
    )
    return Unit.objects.filter(building__in=buildings).order_by("sort_order", "label")
