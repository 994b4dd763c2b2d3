"""Which cases a user sees, their queues, one case, its timeline, duplicates, the map.

* operations centre, community staff, grid workers (area roles): cases whose cell or handling
  cell lies in their area;
* department handlers: cases routed to their department, or whose whistle summoned it, within
  their area;
* property staff: their company's cases, and open property matters in its estates (to take);
* everyone: the cases they reported and the cases assigned to them.
An out-of-scope case is answered exactly like an unknown one.
"""

from __future__ import annotations

import datetime
import math
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import active_memberships
from gridgov.cases.models import (
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    Status,
    Visit,
    WhistleSummons,
)
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.services.policy import ORGANISATION_ROLES, can_view, is_authenticated

QUEUES: tuple[str, ...] = ("mine", "department", "cell", "late", "whistled", "grab", "reported")
DUPLICATE_RADIUS_M = 50
DUPLICATE_DAYS = 7
GRAB_STATUSES = (Status.NEW, Status.ACCEPTED, Status.RETURNED)
MAP_LIMIT = 5000


def _in_area(code: str) -> Q:
    return Q(cell__code__startswith=code) | Q(handling_cell__code__startswith=code)


def _summoned(organization: int) -> Q:
    return Q(
        pk__in=WhistleSummons.objects.filter(department_id=organization).values("whistle__case_id")
    )


def _grabbable(organization: int) -> Q:
    return Q(
        category__is_property_matter=True,
        estate__property_company_id=organization,
        status__in=GRAB_STATUSES,
    )


def visibility(actor: Any, permission: str = Perm.CASE_VIEW) -> Q | None:
    """The filter of the cases the actor sees; ``None`` means every case."""
    if not is_authenticated(actor):
        return Q(pk__in=[])
    if actor.is_superuser:
        return None
    condition = Q(reporter_id=actor.pk) | Q(assignee_id=actor.pk)
    for role, code, organization in active_memberships(actor):
        if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
            continue
        if role in ORGANISATION_ROLES:
            if organization is None:
                continue
            own = Q(department_id=organization) | Q(property_company_id=organization)
            if role == Role.DEPARTMENT_HANDLER:
                own |= _summoned(organization)
            if role == Role.PROPERTY_STAFF:
                own |= _grabbable(organization)
            condition |= own & _in_area(code)
        else:
            condition |= _in_area(code)
    return condition


def cases_for_actor(*, actor: Any, permission: str = Perm.CASE_VIEW) -> QuerySet[Case]:
    queryset = Case.objects.select_related(
        "category", "cell", "handling_cell", "department", "property_company", "assignee"
    )
    condition = visibility(actor, permission)
    if condition is None:
        return queryset.all()
    return queryset.filter(condition).distinct()


def _organisations(actor: Any) -> set[int]:
    return {
        organization
        for role, _code, organization in active_memberships(actor)
        if organization is not None and Perm.CASE_HANDLE in ROLE_PERMISSIONS.get(role, frozenset())
    }


def case_queue(*, actor: Any, queue: str) -> QuerySet[Case]:
    """One work list: ``mine``, ``department``, ``cell``, ``late``, ``whistled``, ``grab``,
    ``reported``. Open cases only, except ``reported`` (all one's reports)."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")
    if not is_authenticated(actor):
        return Case.objects.none()
    if queue == "reported":
        return (
            Case.objects.select_related("category", "cell")
            .filter(reporter_id=actor.pk)
            .order_by("-created_at", "-id")
        )
    visible = cases_for_actor(actor=actor)
    open_cases = visible.filter(status__in=OPEN_STATUSES)
    if queue == "mine":
        result = open_cases.filter(assignee_id=actor.pk)
    elif queue == "department":
        organisations = _organisations(actor)
        result = open_cases.filter(
            Q(department_id__in=organisations) | Q(property_company_id__in=organisations)
        )
    elif queue == "cell":
        area_codes = [
            code
            for role, code, _organization in active_memberships(actor)
            if role not in ORGANISATION_ROLES
            and Perm.CASE_VIEW in ROLE_PERMISSIONS.get(role, frozenset())
        ]
        if actor.is_superuser:
            result = open_cases
        elif not area_codes:
            return Case.objects.none()
        else:
            condition = Q()
            for code in area_codes:
                condition |= _in_area(code)
            result = open_cases.filter(condition)
    elif queue == "late":
        result = open_cases.filter(is_overdue=True)
    elif queue == "whistled":
        result = open_cases.filter(is_whistled=True)
    else:  # grab
        companies = {
            organization
            for role, _code, organization in active_memberships(actor)
            if role == Role.PROPERTY_STAFF and organization is not None
        }
        if not companies:
            return Case.objects.none()
        result = visible.filter(
            category__is_property_matter=True,
            estate__property_company_id__in=companies,
            status__in=GRAB_STATUSES,
            assignee__isnull=True,
        )
    order = ("resolve_due_at", "id") if queue != "late" else ("overdue_at", "id")
    return result.order_by(*order)


def queue_counts(*, actor: Any) -> dict[str, int]:
    return {queue: case_queue(actor=actor, queue=queue).count() for queue in QUEUES}


def case_visible_to(*, actor: Any, case: Case) -> bool:
    """Whether the actor may see a case already in hand (one just filed, say)."""
    return can_view(actor, case)


def case_get_for_actor(*, actor: Any, case_id: int) -> Case:
    """One case, if the actor may see it (``policy.can_view``: the same rules as
    ``visibility``, answered for one row without a filter over the whole table)."""
    # Only the always-present relations are joined: a dozen outer joins cost PostgreSQL more
    # time to plan (~13 ms) than the nullable ones cost to fetch when they are set.
    case = (
        Case.objects.select_related("category", "cell", "handling_cell", "department")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not can_view(actor, case):
        raise CaseNotFoundError()
    return case


def case_timeline(*, actor: Any, case: Case) -> list[CaseEvent]:
    """Every step of the case, oldest first, with its attachments."""
    if not can_view(actor, case):
        raise CaseNotFoundError()
    return list(
        CaseEvent.objects.filter(case=case)
        .select_related("actor")
        .prefetch_related("attachments")
        .order_by("at", "id")
    )


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    radius = 6_371_000.0
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def duplicate_candidates(*, actor: Any, case: Case) -> QuerySet[Case]:
    """Cases of the same category within 50 m and 7 days, not merged or closed (likely the
    same matter), nearest in time first."""
    if case.lat is None or case.lng is None:
        return Case.objects.none()
    origin_lat, origin_lng = case.lat, case.lng
    d_lat = DUPLICATE_RADIUS_M / 111_320.0
    d_lng = DUPLICATE_RADIUS_M / (111_320.0 * max(math.cos(math.radians(case.lat)), 0.01))
    window = timedelta(days=DUPLICATE_DAYS)
    nearby = (
        cases_for_actor(actor=actor)
        .filter(
            category_id=case.category_id,
            lat__gte=case.lat - d_lat,
            lat__lte=case.lat + d_lat,
            lng__gte=case.lng - d_lng,
            lng__lte=case.lng + d_lng,
            created_at__gte=case.created_at - window,
            created_at__lte=case.created_at + window,
        )
        .exclude(pk=case.pk)
        .exclude(status__in=[Status.MERGED, Status.CLOSED])
    )
    keep = [
        pk
        for pk, lat, lng in nearby.values_list("pk", "lat", "lng")
        if lat is not None
        and lng is not None
        and _distance_m(origin_lat, origin_lng, lat, lng) <= DUPLICATE_RADIUS_M
    ]
    return cases_for_actor(actor=actor).filter(pk__in=keep).order_by("created_at", "id")


def open_cases_geojson(
    *,
    actor: Any,
    category_code: str | None = None,
    cell_code: str | None = None,
    late_only: bool = False,
    limit: int = MAP_LIMIT,
) -> dict[str, Any]:
    """Open cases with a location as GeoJSON points (for the map page)."""
    queryset = cases_for_actor(actor=actor).filter(
        status__in=OPEN_STATUSES, lat__isnull=False, lng__isnull=False
    )
    if category_code:
        queryset = queryset.filter(
            Q(category__code=category_code) | Q(category__parent__code=category_code)
        )
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if late_only:
        queryset = queryset.filter(is_overdue=True)
    rows = queryset.order_by("-created_at").values(
        "pk",
        "number",
        "title",
        "status",
        "lat",
        "lng",
        "is_overdue",
        "is_whistled",
        "category__name",
    )[:limit]
    labels = dict(Status.choices)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lng"], row["lat"]]},
                "properties": {
                    "id": row["pk"],
                    "number": row["number"],
                    "title": row["title"],
                    "status": row["status"],
                    "status_label": str(labels.get(row["status"], row["status"])),
                    "category": row["category__name"],
                    "overdue": row["is_overdue"],
                    "whistled": row["is_whistled"],
                },
            }
            for row in rows
        ],
    }


def visits_for_actor(
    *, actor: Any, building_id: int | None = None, own: bool = False
) -> QuerySet[Visit]:
    """Visits in the actor's area (those with the visit permission), or their own; only their
    own with ``own``."""
    from gridgov.accounts.scoping import scope_for

    if not is_authenticated(actor):
        return Visit.objects.none()
    scope = scope_for(actor, Perm.CASE_VISIT)
    queryset = Visit.objects.select_related("building", "cell", "worker", "case")
    if scope.is_global:
        result = queryset.all()
    else:
        result = queryset.filter(scope.q("cell__code") | Q(worker_id=actor.pk))
    if building_id is not None:
        result = result.filter(building_id=building_id)
    if own:
        result = result.filter(worker_id=actor.pk).select_related("building__estate")
    return result.order_by("-at", "-id")


def attachment_get_for_actor(*, actor: Any, attachment_id: int) -> Attachment:
    """A case's or a visit's file, for someone who may see that case or visit; otherwise
    ``CaseNotFoundError``, exactly as for a file that does not exist."""
    item = Attachment.objects.filter(pk=attachment_id).first()
    if item is None:
        raise CaseNotFoundError()
    if item.case_id:
        case_get_for_actor(actor=actor, case_id=item.case_id)
    elif not (item.visit_id and visits_for_actor(actor=actor).filter(pk=item.visit_id).exists()):
        raise CaseNotFoundError()
    return item


def case_id_for_number(*, actor: Any, number: str) -> int:
    """The id of the case with this number, if the actor may see it (merging names the case
    to keep by its number); ``CaseNotFoundError`` otherwise."""
    target = Case.objects.filter(number=(number or "").strip()).values_list("pk", flat=True).first()
    if target is None:
        raise CaseNotFoundError()
    return case_get_for_actor(actor=actor, case_id=target).pk


def cases_filtered(
    *,
    actor: Any,
    queue: str | None = None,
    status: str | None = None,
    category: str | None = None,
    channel: str | None = None,
    cell: str | None = None,
    overdue: bool | None = None,
    whistled: bool | None = None,
    q: str | None = None,
    created_after: datetime.date | None = None,
    created_before: datetime.date | None = None,
) -> QuerySet[Case]:
    """The actor's cases (or one of their queues), newest first, filtered: ``status`` a comma
    list, ``category`` a category or group code, ``cell`` an area code (its whole subtree),
    ``q`` a case number or words of the title, ``created_*`` local days (both included)."""
    cases = (
        case_queue(actor=actor, queue=queue)
        if queue
        else cases_for_actor(actor=actor).order_by("-created_at", "-id")
    )
    if status:
        wanted = [item.strip() for item in status.split(",") if item.strip()]
        cases = cases.filter(status__in=[item for item in wanted if item in Status.values])
    if category:
        cases = cases.filter(Q(category__code=category) | Q(category__parent__code=category))
    if channel:
        cases = cases.filter(channel=channel)
    if cell:
        cases = cases.filter(cell__code__startswith=cell)
    if overdue is not None:
        cases = cases.filter(is_overdue=overdue)
    if whistled is not None:
        cases = cases.filter(is_whistled=whistled)
    if q and q.strip():
        text = q.strip()
        cases = cases.filter(Q(number=text) | Q(title__icontains=text))
    if created_after:
        cases = cases.filter(created_at__gte=_local_midnight(created_after))
    if created_before:
        cases = cases.filter(
            created_at__lt=_local_midnight(created_before + datetime.timedelta(days=1))
        )
    return cases.select_related(
        "category",
        "cell",
        "handling_cell",
        "department",
        "property_company",
        "assignee",
        "merged_into",
    )


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
