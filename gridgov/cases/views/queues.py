"""The work queues (one tab per kind of work a role has) and the map of open cases."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.cases.models import OPEN_STATUSES, Status
from gridgov.cases.selectors import case_queue, choices, open_cases_geojson
from gridgov.cases.views.common import (
    LATE_COLOR,
    QUEUE_TABS,
    STATUS_COLORS,
    STATUS_TONES,
    can,
    queue_tabs_for,
    require,
)

PAGE_SIZE = 30


@login_required
@never_cache
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The user's queues as tabs, each with its count; residents see their own reports."""
    tabs = queue_tabs_for(request.user)
    if not tabs:
        raise PermissionDenied
    current = request.GET.get("tab") or tabs[0]
    if current not in tabs:
        return redirect(f"{request.path}?tab={tabs[0]}")
    labels = {key: (label, icon) for key, label, icon in QUEUE_TABS}
    tab_rows = [
        {
            "key": key,
            "label": labels[key][0],
            "icon": labels[key][1],
            "count": case_queue(actor=request.user, queue=key).count(),
            "active": key == current,
        }
        for key in tabs
    ]
    cases = case_queue(actor=request.user, queue=current).select_related(
        "category", "cell", "department", "property_company", "assignee"
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "tabs": tab_rows,
        "current": current,
        "page": page,
        "tones": STATUS_TONES,
        "can_report": can(request, Perm.CASE_REPORT),
        "can_intake": can(request, Perm.CASE_INTAKE),
        "can_visit": can(request, Perm.CASE_VISIT),
    }
    return render(request, "cases/queue.html", context)


@login_required
@require_GET
def case_map(request: HttpRequest) -> HttpResponse:
    """Open cases on a map, coloured by status, late ones in red."""
    require(request, Perm.CASE_VIEW)
    statuses = [
        (label, STATUS_COLORS[value]) for value, label in Status.choices if value in OPEN_STATUSES
    ]
    context = {
        "statuses": statuses,
        "colors": {**STATUS_COLORS, "late": LATE_COLOR},
        "outline": choices.town_outline(),
    }
    return render(request, "cases/map.html", context)


@login_required
@never_cache
@require_GET
def case_map_data(request: HttpRequest) -> JsonResponse:
    require(request, Perm.CASE_VIEW)
    return JsonResponse(open_cases_geojson(actor=request.user))
