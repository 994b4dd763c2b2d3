"""What the case pages offer to choose from: departments, staff, organisations, buildings,
the summonses waiting for the actor's department, and the town's outline for the maps."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.functions import Concat

from gridgov.accounts.models import Organization, User
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import active_memberships, scope_for
from gridgov.cases.models import Case, WhistleSummons
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.services.policy import can_view
from gridgov.grids.models import Cell
from gridgov.registry.models import Building

ASSIGNEES_AT_MOST = 100


def department_choices() -> QuerySet[Organization]:
    return Organization.objects.filter(kind=Organization.Kind.DEPARTMENT, is_active=True).order_by(
        "name"
    )


def organization_choices() -> QuerySet[Organization]:
    return Organization.objects.filter(is_active=True).order_by("kind", "name")


def assignee_choices(*, actor: Any, case: Case) -> QuerySet[User]:
    """Staff of the case's department, for someone who may see the case."""
    if case.department_id is None or not can_view(actor, case):
        return User.objects.none()
    return User.objects.filter(
        memberships__organization_id=case.department_id, memberships__is_active=True
    ).distinct()[:ASSIGNEES_AT_MOST]


def pending_summonses(*, actor: Any, case: Case) -> list[WhistleSummons]:
    """The whistle's summonses of the case that the actor's organisations have yet to answer."""
    organizations = {org for _role, _code, org in active_memberships(actor) if org}
    if not organizations:
        return []
    return list(
        WhistleSummons.objects.filter(
            whistle__case=case, department_id__in=organizations, reported_at__isnull=True
        ).select_related("department", "whistle")
    )


def buildings_matching(*, text: str, limit: int) -> list[Building]:
    """Buildings whose estate and label, or address, hold every word of ``text`` (addresses
    are not personal data: anyone who may file a case may look them up)."""
    condition = Q()
    for word in text.split():
        condition &= Q(address__icontains=word) | Q(full_name__icontains=word)
    if not condition:
        return []
    return list(
        Building.objects.annotate(full_name=Concat("estate__name", "label"))
        .filter(condition)
        .select_related("estate", "cell")
        .order_by("estate__name", "sort_order", "label")[:limit]
    )


def visit_building_for_actor(*, actor: Any, building_id: int) -> Building:
    """A building inside the actor's visiting area; any other is as if it did not exist."""
    building = Building.objects.select_related("estate", "cell").filter(pk=building_id).first()
    if building is None or not scope_for(actor, Perm.CASE_VISIT).covers(building.cell.code):
        raise CaseNotFoundError()
    return building


def town_outline() -> str:
    """The top-level areas' outlines (GeoJSON text), so that maps open over the right place."""
    features = [
        {"type": "Feature", "geometry": cell.boundary, "properties": {"name": cell.name}}
        for cell in Cell.objects.filter(parent__isnull=True, is_active=True).exclude(boundary=None)[
            :5
        ]
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
