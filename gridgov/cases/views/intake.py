"""Intake pages: the resident's report, the hotline operator's form and the grid worker's
visit (电子走访) reached from a building's QR code, with its printable QR sheet."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.roles import Perm
from gridgov.cases.forms import HotlineForm, ReportForm, VisitForm, add_service_errors
from gridgov.cases.models import Channel
from gridgov.cases.selectors import choices, visits_for_actor
from gridgov.cases.services import case_report, visit_record
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.views.common import require, uploads_from
from gridgov.registry.models import Building

BUILDING_RESULTS = 12


def _intake(request: HttpRequest, form: Any, *, channel: str) -> HttpResponse | None:
    """Run the service for a valid intake form; None when the form shows errors again."""
    data = form.cleaned_data
    try:
        case = case_report(
            actor=request.user,
            channel=channel,
            category_code=data["category"],
            description=data["description"],
            title=data.get("title") or "",
            lat=data.get("lat"),
            lng=data.get("lng"),
            address=data.get("address") or "",
            building_id=data.get("building_id"),
            reporter_name=data.get("reporter_name") or "",
            reporter_phone=data.get("reporter_phone") or "",
            uploads=uploads_from(request, "photos"),
            submission_key=data.get("submission_key") or None,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(
        request, _("Case %(number)s was filed. You can follow it here.") % {"number": case.number}
    )
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """A resident reports something in her surroundings (phone first)."""
    require(request, Perm.CASE_REPORT)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _intake(request, form, channel=Channel.RESIDENT)
        if response is not None:
            return response
    return render(request, "cases/report.html", {"form": form, "outline": choices.town_outline()})


@login_required
@require_http_methods(["GET", "POST"])
def hotline(request: HttpRequest) -> HttpResponse:
    """The hotline operator types in a call (12345 / 365) while talking."""
    require(request, Perm.CASE_INTAKE)
    form = HotlineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _intake(request, form, channel=Channel.HOTLINE)
        if response is not None:
            return response
    return render(request, "cases/hotline.html", {"form": form, "outline": choices.town_outline()})


@login_required
@require_GET
def building_search(request: HttpRequest) -> HttpResponse:
    """Buildings whose estate, label or address matches (htmx; addresses are not personal)."""
    require(request, Perm.CASE_REPORT, Perm.CASE_INTAKE, Perm.CASE_VISIT)
    search = request.GET.get("bq", "").strip()[:60]
    buildings = choices.buildings_matching(text=search, limit=BUILDING_RESULTS)
    target = request.GET.get("for", "pick")
    return render(
        request,
        "cases/_building_choices.html",
        {"buildings": buildings, "search": search, "target": target},
    )


def _visit_building(request: HttpRequest, pk: int) -> Building:
    try:
        return choices.visit_building_for_actor(actor=request.user, building_id=pk)
    except CaseNotFoundError:
        raise Http404 from None  # outside the worker's area: as if it did not exist


@login_required
@require_http_methods(["GET", "POST"])
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    """The visit form of one building (opened by scanning its QR code)."""
    require(request, Perm.CASE_VISIT)
    building = _visit_building(request, pk)
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = visit_record(
                actor=request.user,
                building_id=building.pk,
                note=data.get("note") or "",
                lat=data.get("lat"),
                lng=data.get("lng"),
                accuracy_m=data.get("accuracy_m"),
                uploads=uploads_from(request, "photos", "voice"),
                open_case_category=data.get("open_case_category") or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if record.case_id:
                messages.success(
                    request,
                    _("Visit recorded and case %(number)s opened.")
                    % {"number": record.case.number},
                )
                return redirect("cases:case_detail", pk=record.case_id)
            messages.success(request, _("Visit recorded."))
            return redirect("cases:visit", pk=building.pk)
    recent = visits_for_actor(actor=request.user, building_id=building.pk)[:10]
    return render(
        request, "cases/visit.html", {"form": form, "building": building, "recent": recent}
    )


@login_required
@require_GET
def visit_home(request: HttpRequest) -> HttpResponse:
    """The grid worker's start page for visits: find a building, print its QR code."""
    require(request, Perm.CASE_VISIT)
    recent = visits_for_actor(actor=request.user, own=True)[:20]
    return render(request, "cases/visit_home.html", {"recent": recent})


@login_required
@require_GET
def qr_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable A4 sheet with the building's QR code; scanning it opens the visit form."""
    require(request, Perm.CASE_VISIT)
    building = _visit_building(request, pk)
    url = request.build_absolute_uri(reverse("cases:visit", args=[building.pk]))
    svg = segno.make(url, error="m").svg_inline(scale=8, dark="#14213d", omitsize=True)
    return render(request, "cases/qr_sheet.html", {"building": building, "qr_svg": svg, "url": url})
