"""Reads of dwellings and the household file (一户一档), always for an acting user (DESIGN D7).

A dwelling is in scope when its cell is under a cell where the actor holds ``PLACE_VIEW``;
the people in its file are shown only to actors who also hold ``PERSON_VIEW`` there. People
are returned as model rows: pages, the API and exports turn them into what they show through
``registry.presenters.PersonPresenter``, which masks.

Later modules (cases, visits, alarms) add their own sections to the file by registering a
section provider with ``dwelling_file_section_register`` in their ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.registry.models import (
    Dwelling,
    Household,
    HouseholdMember,
    Lease,
    LeaseTenant,
    Ownership,
    PersonTag,
    Residency,
)
from gridgov.registry.selectors.places import DwellingNotFoundError
from gridgov.registry.services.housing_rules import area_per_occupant, is_group_rental

PAST_RESIDENCY_LIMIT = 100
LEASE_LIMIT = 30


@dataclass
class DwellingFileSection:
    """One block of the household file contributed by another module (cases, visits …)."""

    key: str
    title: str
    items: list[Any] = field(default_factory=list)
    template_name: str = ""
    total: int | None = None


# A provider gets (actor, dwelling) and returns its section, or None to show nothing; it is
# responsible for scoping its own rows to the actor.
SectionProvider = Callable[[Any, Dwelling], DwellingFileSection | None]
_SECTION_PROVIDERS: dict[str, SectionProvider] = {}


def dwelling_file_section_register(key: str, provider: SectionProvider) -> None:
    """Add (or replace) the provider of section ``key``; sections appear in this order."""
    _SECTION_PROVIDERS[key] = provider


def dwelling_file_section_unregister(key: str) -> None:
    _SECTION_PROVIDERS.pop(key, None)


@dataclass
class DwellingFile:
    """Everything the household file page shows about one dwelling."""

    dwelling: Dwelling
    can_view_people: bool
    current_residencies: list[Residency]
    past_residencies: list[Residency]
    owners: list[Ownership]
    past_owners: list[Ownership]
    leases: list[Lease]
    households: list[Household]
    occupant_count: int
    area_per_occupant: Decimal | None
    is_group_rental: bool
    sections: list[DwellingFileSection] = field(default_factory=list)

    @property
    def owned_share(self) -> Fraction:
        """The sum of the current owners' exact shares (1 when fully registered)."""
        return sum(
            (Fraction(item.share_numerator, item.share_denominator) for item in self.owners),
            Fraction(0),
        )

    @property
    def active_leases(self) -> list[Lease]:
        return [lease for lease in self.leases if lease.status == Lease.Status.ACTIVE]


def _dwellings_in_scope(actor: Any) -> QuerySet[Dwelling]:
    return scope_for(actor, Perm.PLACE_VIEW).filter(Dwelling.objects.all(), code_field="cell__code")


def dwelling_list_for_actor(
    *,
    actor: Any,
    building_id: int | None = None,
    unit_id: int | None = None,
    query: str | None = None,
    cell_code: str | None = None,
) -> QuerySet[Dwelling]:
    """Dwellings in scope with their number of current residents; ``query`` matches a
    fragment of the address ("12号楼", "301")."""
    queryset = _dwellings_in_scope(actor)
    if building_id is not None:
        queryset = queryset.filter(building_id=building_id)
    if unit_id is not None:
        queryset = queryset.filter(unit_id=unit_id)
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    term = (query or "").strip()
    if term:
        queryset = queryset.filter(Q(address__icontains=term) | Q(room=term))
    return (
        queryset.select_related("building__estate", "unit", "cell")
        .annotate(resident_count=Count("residencies", filter=Q(residencies__ended_on__isnull=True)))
        .order_by(
            "building__estate__code", "building__sort_order", "building_id", "unit_id", "room"
        )
    )


def dwelling_get_for_actor(*, actor: Any, dwelling_id: int) -> Dwelling:
    """The dwelling if in scope; ``DwellingNotFoundError`` (404) otherwise."""
    dwelling = (
        _dwellings_in_scope(actor)
        .select_related("building__estate", "unit", "cell")
        .filter(pk=dwelling_id)
        .first()
    )
    if dwelling is None:
        raise DwellingNotFoundError()
    return dwelling


def _tags() -> QuerySet[PersonTag]:
    return PersonTag.objects.select_related("tag")


def _people_of_file(dwelling: Dwelling) -> dict[str, list[Any]]:
    """The people-bearing rows of the file: a fixed number of queries whatever their count."""
    residencies = list(
        Residency.objects.filter(dwelling=dwelling)
        .select_related("person__cell", "lease")
        .prefetch_related(Prefetch("person__person_tags", queryset=_tags()))
        .order_by("-started_on", "-id")[: PAST_RESIDENCY_LIMIT + 200]
    )
    ownerships = list(
        Ownership.objects.filter(dwelling=dwelling)
        .select_related("owner__cell", "owner_organization")
        .prefetch_related(Prefetch("owner__person_tags", queryset=_tags()))
        .order_by("-started_on", "id")
    )
    tenants = LeaseTenant.objects.select_related("person__cell").prefetch_related(
        Prefetch("person__person_tags", queryset=_tags())
    )
    leases = list(
        Lease.objects.filter(dwelling=dwelling)
        .select_related("landlord__cell")
        .prefetch_related(
            Prefetch("landlord__person_tags", queryset=_tags()),
            Prefetch("lease_tenants", queryset=tenants.order_by("id")),
        )
        .order_by("-started_on", "-id")[:LEASE_LIMIT]
    )
    members = (
        HouseholdMember.objects.filter(left_on__isnull=True)
        .select_related("person__cell")
        .prefetch_related(Prefetch("person__person_tags", queryset=_tags()))
        .order_by("joined_on", "id")
    )
    households = list(
        Household.objects.filter(dwelling=dwelling)
        .prefetch_related(Prefetch("members", queryset=members, to_attr="current_members"))
        .order_by("number")
    )
    return {
        "residencies": residencies,
        "ownerships": ownerships,
        "leases": leases,
        "households": households,
    }


def dwelling_file_for_actor(*, actor: Any, dwelling_id: int) -> DwellingFile:
    """The household file (一户一档): the dwelling, who lives there now and before, its owners
    and shares, its leases with their tenants, its households with their members, the
    group-rental check, and the sections other modules contribute."""
    dwelling = dwelling_get_for_actor(actor=actor, dwelling_id=dwelling_id)
    can_view_people = scope_for(actor, Perm.PERSON_VIEW).covers(dwelling.cell.code)
    people: dict[str, list[Any]] = {
        "residencies": [],
        "ownerships": [],
        "leases": [],
        "households": [],
    }
    if can_view_people:
        people = _people_of_file(dwelling)
    current = [item for item in people["residencies"] if item.ended_on is None]
    past = [item for item in people["residencies"] if item.ended_on is not None]
    if not can_view_people:
        occupant_count = Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).count()
    else:
        occupant_count = len(current)
    sections = []
    for provider in list(_SECTION_PROVIDERS.values()):
        section = provider(actor, dwelling)
        if section is not None:
            sections.append(section)
    return DwellingFile(
        dwelling=dwelling,
        can_view_people=can_view_people,
        current_residencies=current,
        past_residencies=past[:PAST_RESIDENCY_LIMIT],
        owners=[item for item in people["ownerships"] if item.ended_on is None],
        past_owners=[item for item in people["ownerships"] if item.ended_on is not None],
        leases=sorted(
            people["leases"], key=lambda lease: (lease.status != Lease.Status.ACTIVE, lease.pk)
        ),
        households=people["households"],
        occupant_count=occupant_count,
        area_per_occupant=area_per_occupant(dwelling.area_m2, occupant_count),
        is_group_rental=is_group_rental(dwelling.area_m2, occupant_count),
        sections=sections,
    )
