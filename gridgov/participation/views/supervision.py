"""Property-service supervision pages (物业服务监督): the residents' rating form (phone), the
surveys and the town's ranking with its red and black lists, a score's arithmetic, the service
items, and each estate's disclosure page (四公开一监督). Pages parse, call one service or
selector, and render."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.grids.models import Cell
from gridgov.participation.models import RatingSurvey, ServiceItem, SupervisionScore
from gridgov.participation.selectors import supervision as selectors
from gridgov.participation.services import disclosure as disclosure_services
from gridgov.participation.services import ratings as services
from gridgov.registry.models import Estate


def _refusal_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _require_any(request: HttpRequest, *permissions: str) -> None:
    if not any(has_permission(request.user, code) for code in permissions):
        raise PermissionDenied


def _survey(request: HttpRequest, survey_id: int) -> RatingSurvey:
    try:
        return selectors.survey_get_for_actor(actor=request.user, survey_id=survey_id)
    except RatingSurvey.DoesNotExist:
        raise Http404 from None


_RATING_PAGES = (Perm.PARTICIPATION_VIEW, Perm.RATING_MANAGE, Perm.PARTICIPATION_TAKE_PART)


# --- Surveys and the rating form -------------------------------------------------------------


@login_required
@require_GET
def rating_home(request: HttpRequest) -> HttpResponse:
    """Residents: the surveys they can answer now. Staff: every survey of their area."""
    _require_any(request, *_RATING_PAGES)
    can_manage = has_permission(request.user, Perm.RATING_MANAGE)
    return render(
        request,
        "participation/supervision/home.html",
        {
            "surveys": selectors.survey_list_for_actor(actor=request.user),
            "open_for_me": selectors.rating_open_surveys_for_actor(actor=request.user),
            "can_manage": can_manage,
            "cells": selectors.rating_cells_for_actor(actor=request.user) if can_manage else [],
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def survey_open(request: HttpRequest) -> HttpResponse:
    _require_any(request, Perm.RATING_MANAGE)
    try:
        cell = Cell.objects.get(code=request.POST.get("cell", "")[:32])
        day = datetime.date.fromisoformat(request.POST.get("period_start", ""))
    except (Cell.DoesNotExist, ValueError):
        messages.error(request, _("Choose an area and a day of the quarter to rate."))
        return redirect("participation:rating_home")
    try:
        survey = services.survey_open(actor=request.user, cell=cell, period_start=day)
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
        return redirect("participation:rating_home")
    messages.success(request, _("The survey is open: %(title)s") % {"title": survey.title})
    return redirect("participation:rating_home")


@login_required
@require_POST
def survey_close(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = _survey(request, survey_id)
    try:
        services.survey_close(actor=request.user, survey=survey)
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
        return redirect("participation:rating_home")
    messages.success(request, _("The survey is closed and its ranking published."))
    return redirect("participation:ranking", survey_id=survey.pk)


def _stars_from(request: HttpRequest, items: list[Any]) -> dict[int, Any]:
    stars: dict[int, Any] = {}
    for item in items:
        raw = request.POST.get(f"item_{item.pk}", "")
        stars[item.pk] = int(raw) if raw.isdigit() else raw
    return stars


@login_required
@require_http_methods(["GET", "POST"])
def rating_form(request: HttpRequest, survey_id: int) -> HttpResponse:
    """One household's rating, made for a phone: a row of 1–5 stars per service item."""
    _require_any(request, *_RATING_PAGES)
    survey = _survey(request, survey_id)
    items = selectors.survey_items(survey=survey)
    error = ""
    if request.method == "POST":
        try:
            services.rating_submit(
                actor=request.user,
                survey=survey,
                stars=_stars_from(request, items),
                comment=request.POST.get("comment", "")[:500],
            )
        except ValidationError as refusal:
            error = _refusal_text(refusal)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Thank you: your household's rating is recorded."))
            return redirect("participation:rating_form", survey_id=survey.pk)
    state = selectors.rating_state_for_actor(actor=request.user, survey=survey)
    return render(
        request,
        "participation/supervision/rate.html",
        {
            "survey": survey,
            "items": [{"item": item, "stars": state.answers.get(item.pk)} for item in items],
            "state": state,
            "error": error,
            "posted": request.POST if error else {},
            "star_choices": range(1, 6),
        },
        status=400 if error else 200,
    )


# --- Ranking and scores ----------------------------------------------------------------------


@login_required
@require_GET
def ranking_latest(request: HttpRequest) -> HttpResponse:
    _require_any(request, *_RATING_PAGES)
    survey = selectors.latest_closed_survey_for_actor(actor=request.user)
    if survey is None:
        return render(request, "participation/supervision/ranking.html", {"ranking": None})
    return ranking(request, survey.pk)


@login_required
@require_GET
def ranking(request: HttpRequest, survey_id: int) -> HttpResponse:
    """The town's ranking of companies and estates, red and black lists, and a chart."""
    _require_any(request, *_RATING_PAGES)
    survey = _survey(request, survey_id)
    result = selectors.ranking_for_actor(actor=request.user, survey=survey)
    return render(
        request,
        "participation/supervision/ranking.html",
        {
            "ranking": result,
            "survey": survey,
            "scheme": survey.scheme,
            "chart": result.chart(),
            "chart_height": max(220, 36 * len(result.companies) + 40),
            "surveys": [
                s
                for s in selectors.survey_list_for_actor(actor=request.user)
                if s.status == RatingSurvey.Status.CLOSED
            ],
        },
    )


@login_required
@require_GET
def score_detail(request: HttpRequest, score_id: int) -> HttpResponse:
    """One score with its arithmetic: each part's fraction, weight and the rounding."""
    _require_any(request, *_RATING_PAGES)
    try:
        score = selectors.score_get_for_actor(actor=request.user, score_id=score_id)
    except SupervisionScore.DoesNotExist:
        raise Http404 from None
    scored = selectors.score_arithmetic(score)
    return render(
        request,
        "participation/supervision/score.html",
        {"score": score, "scored": scored, "scheme": score.survey.scheme},
    )


# --- Service items ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def service_items(request: HttpRequest) -> HttpResponse:
    """The service items residents rate (data): add one, or change a weight or retire one."""
    _require_any(request, Perm.RATING_MANAGE)
    if request.method == "POST":
        try:
            weight = int(request.POST.get("weight", "") or 0)
        except ValueError:
            weight = 0
        try:
            item_id = request.POST.get("item_id", "")
            if item_id.isdigit():
                item = selectors.service_item_get_for_actor(
                    actor=request.user, item_id=int(item_id)
                )
                services.service_item_update(
                    actor=request.user,
                    item=item,
                    name=request.POST.get("name", "")[:60],
                    weight=weight,
                    is_active=request.POST.get("is_active") == "on",
                )
            else:
                services.service_item_create(
                    actor=request.user,
                    code=request.POST.get("code", "").strip()[:40],
                    name=request.POST.get("name", "")[:60],
                    weight=weight,
                    sort_order=len(selectors.service_item_list_for_actor(actor=request.user)),
                )
        except ServiceItem.DoesNotExist:
            raise Http404 from None
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
        else:
            messages.success(request, _("The service items are saved."))
        return redirect("participation:service_items")
    return render(
        request,
        "participation/supervision/items.html",
        {"items": selectors.service_item_list_for_actor(actor=request.user)},
    )


# --- Disclosure (四公开一监督) ------------------------------------------------------------------


_DISCLOSURE_PAGES = (
    Perm.PARTICIPATION_VIEW,
    Perm.DISCLOSURE_EDIT,
    Perm.PARTICIPATION_TAKE_PART,
)


def _estate(request: HttpRequest, estate_id: int) -> Estate:
    try:
        return selectors.disclosure_estate_for_actor(actor=request.user, estate_id=estate_id)
    except Estate.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def disclosure_list(request: HttpRequest) -> HttpResponse:
    _require_any(request, *_DISCLOSURE_PAGES)
    estates = selectors.disclosure_estates_for_actor(actor=request.user)
    if len(estates) == 1 and not has_permission(request.user, Perm.PARTICIPATION_VIEW):
        return redirect("participation:disclosure", estate_id=estates[0].pk)
    return render(
        request, "participation/supervision/disclosure_list.html", {"estates": estates[:500]}
    )


@login_required
@require_GET
def disclosure(request: HttpRequest, estate_id: int) -> HttpResponse:
    _require_any(request, *_DISCLOSURE_PAGES)
    estate = _estate(request, estate_id)
    current = selectors.disclosure_current(estate=estate)
    return render(
        request,
        "participation/supervision/disclosure.html",
        {
            "estate": estate,
            "current": current,
            "content": selectors.disclosure_public(current),
            "history": selectors.disclosure_history(estate=estate),
            "can_edit": selectors.disclosure_can_edit(actor=request.user, estate=estate),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def disclosure_edit(request: HttpRequest, estate_id: int) -> HttpResponse:
    estate = _estate(request, estate_id)
    if not selectors.disclosure_can_edit(actor=request.user, estate=estate):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        texts = {
            name: request.POST.get(name, "")[:20000]
            for name in (*disclosure_services.SECTIONS, "notes")
        }
        try:
            content = disclosure_services.disclosure_content_from_lines(texts)
            disclosure_services.disclosure_update(
                actor=request.user,
                estate=estate,
                content=content,
                note=request.POST.get("note", ""),
            )
        except ValidationError as refusal:
            error = _refusal_text(refusal)
        else:
            messages.success(request, _("A new version of the disclosure is published."))
            return redirect("participation:disclosure", estate_id=estate.pk)
    else:
        current = selectors.disclosure_current(estate=estate)
        texts = disclosure_services.disclosure_content_as_lines(current.content if current else {})
    return render(
        request,
        "participation/supervision/disclosure_edit.html",
        {"estate": estate, "texts": texts, "error": error},
        status=400 if error else 200,
    )
