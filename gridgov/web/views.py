"""The shell's own pages: the home page, the staff directory and the error pages.

Thin views: parse the request, call one selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.grids.models import LevelKind, Post
from gridgov.grids.selectors import (
    CellNotFoundError,
    cell_get_for_actor,
    scope_summary_for_actor,
    staff_list_for_actor,
)
from gridgov.registry.selectors.summary import registry_home_summary_for_actor
from gridgov.web.navigation import permitted_nav_keys

STAFF_PAGE_SIZE = 25


LEVEL_ICONS = {
    LevelKind.DISTRICT: "bank",
    LevelKind.STREET: "buildings",
    LevelKind.COMMUNITY: "houses",
    LevelKind.GRID: "grid-3x3-gap",
    LevelKind.MICRO_GRID: "grid-3x3",
}


def _level_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    """Cells by level in hierarchy order (区 → 微网格), only the levels present."""
    return [
        {
            "level": level.value,
            "label": level.label,
            "count": counts[level.value],
            "tone": index,
            "icon": LEVEL_ICONS[level],
        }
        for index, level in enumerate(LevelKind)
        if counts.get(level.value)
    ]


def _post_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    largest = max(counts.values(), default=0)
    return [
        {
            "post": post.value,
            "label": post.label,
            "count": counts[post.value],
            "percent": round(100 * counts[post.value] / largest) if largest else 0,
        }
        for post in Post
        if counts.get(post.value)
    ]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    can_see_dashboard = has_permission(request.user, Perm.DASHBOARD_VIEW)
    context: dict[str, Any] = {"can_see_dashboard": can_see_dashboard}
    if can_see_dashboard:
        summary = scope_summary_for_actor(actor=request.user)
        context.update(
            summary=summary,
            level_rows=_level_rows(summary.cell_counts_by_level),
            post_rows=_post_rows(summary.staff_counts_by_post),
            nav_keys=permitted_nav_keys(request.user),
            registry_summary=registry_home_summary_for_actor(actor=request.user),
        )
    return render(request, "web/home.html", context)


def _staff_filters(request: HttpRequest) -> dict[str, str]:
    post = request.GET.get("post", "").strip()
    return {
        "q": request.GET.get("q", "").strip()[:100],
        "post": post if post in Post.values else "",
        "cell": request.GET.get("cell", "").strip()[:32],
    }


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, Perm.STAFF_VIEW):
        raise PermissionDenied
    filters = _staff_filters(request)
    cell = None
    cell_error = ""
    if filters["cell"]:
        try:
            cell = cell_get_for_actor(actor=request.user, code=filters["cell"])
        except CellNotFoundError as error:
            cell_error = str(error)
    page = None
    if not cell_error:
        assignments = staff_list_for_actor(
            actor=request.user,
            cell_code=cell.code if cell else None,
            post=filters["post"] or None,
            search=filters["q"] or None,
        ).prefetch_related(
            Prefetch(
                "user__memberships",
                queryset=Membership.objects.filter(
                    is_active=True, organization__isnull=False
                ).select_related("organization"),
                to_attr="organisation_memberships",
            )
        )
        page = Paginator(assignments, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "filter_cell": cell,
        "cell_error": cell_error,
        "page": page,
        "posts": Post.choices,
        "query_without_page": query.urlencode(),
    }
    template = "web/_staff_table.html" if request.htmx else "web/staff.html"  # type: ignore[attr-defined]
    return render(request, template, context)


ERROR_MESSAGES = {
    400: (
        _("Bad request"),
        _("The request could not be understood. Please check the address and try again."),
    ),
    403: (
        _("Access denied"),
        _(
            "You do not have permission to open this page. If you need it for your work, ask your administrator."
        ),
    ),
    404: (
        _("This page cannot be found"),
        _(
            "The page or area you asked for does not exist, or it is outside your area of responsibility."
        ),
    ),
    500: (
        _("Something went wrong"),
        _(
            "The server could not complete the request. The error has been logged; please try again later."
        ),
    ),
}


def _error(
    request: HttpRequest, status: int, exception: BaseException | None = None
) -> HttpResponse:
    title, message = ERROR_MESSAGES[status]
    detail = ""
    if isinstance(exception, CellNotFoundError):
        detail = str(exception.args[0]) if exception.args else ""
    return render(
        request,
        "web/error.html",
        {"status": status, "error_title": title, "error_message": detail or message},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500)
