"""Pages of the area hierarchy: the tree, a cell's page, the map and its GeoJSON source.

Thin views: parse the request, call one selector from ``gridgov.grids.selectors``, render.
Cells outside the user's scope answer 404 like unknown ones (``CellNotFoundError``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.grids.models import LevelKind
from gridgov.grids.selectors import (
    CellNotFoundError,
    cell_ancestors,
    cell_boundaries_for_actor,
    cell_children_for_actor,
    cell_get_for_actor,
    cell_list_for_actor,
    cell_roots_for_actor,
    scope_summary_for_actor,
    staff_list_for_actor,
)

SEARCH_LIMIT = 50
DETAIL_STAFF_LIMIT = 12


def _require(request: HttpRequest, permission: str) -> None:
    if not has_permission(request.user, permission):
        raise PermissionDenied


def _levels() -> list[dict[str, str]]:
    return [{"value": value, "label": str(label)} for value, label in LevelKind.choices]


@login_required
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.CELL_VIEW)
    search = request.GET.get("q", "").strip()[:100]
    context: dict[str, Any] = {"search": search}
    if search:
        results = list(cell_list_for_actor(actor=request.user, search=search)[: SEARCH_LIMIT + 1])
        context.update(results=results[:SEARCH_LIMIT], more_results=len(results) > SEARCH_LIMIT)
    else:
        roots = cell_roots_for_actor(actor=request.user)
        # One root (the usual case) is opened straight away: one more query, not one per node.
        expanded = (
            cell_children_for_actor(actor=request.user, code=roots[0].code)
            if len(roots) == 1
            else None
        )
        context.update(roots=roots, expanded_children=expanded)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "grids/_tree_body.html", context)
    return render(request, "grids/tree.html", context)


@login_required
@require_GET
def children(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, Perm.CELL_VIEW)
    cells = cell_children_for_actor(actor=request.user, code=code)
    return render(request, "grids/_children.html", {"cells": cells})


@login_required
@require_GET
def cell_detail(request: HttpRequest, code: str) -> HttpResponse:
    _require(request, Perm.CELL_VIEW)
    cell = cell_get_for_actor(actor=request.user, code=code)
    scope = scope_for(request.user, Perm.CELL_VIEW)
    can_see_staff = has_permission(request.user, Perm.STAFF_VIEW, cell_code=cell.code)
    staff = (
        list(
            staff_list_for_actor(actor=request.user, cell_code=cell.code)[: DETAIL_STAFF_LIMIT + 1]
        )
        if can_see_staff
        else []
    )
    context = {
        "cell": cell,
        "ancestors": [
            {"cell": ancestor, "linked": scope.covers(ancestor.code)}
            for ancestor in cell_ancestors(cell=cell)
        ],
        "children": cell_children_for_actor(actor=request.user, code=cell.code),
        "can_see_staff": can_see_staff,
        "staff": staff[:DETAIL_STAFF_LIMIT],
        "more_staff": len(staff) > DETAIL_STAFF_LIMIT,
        "own_feature": {
            "type": "Feature",
            "geometry": cell.boundary,
            "properties": {
                "code": cell.code,
                "name": cell.name,
                "level": cell.level,
                "level_label": str(cell.get_level_display()),
            },
        }
        if cell.boundary
        else None,
    }
    return render(request, "grids/cell_detail.html", context)


def _default_map_level(counts: dict[str, int], roots: list[Any]) -> str:
    """The first level below the outermost root that has cells: a town shows its communities."""
    order = list(LevelKind.values)
    top = min((order.index(root.level) for root in roots), default=0)
    for level in order[top + 1 :]:
        if counts.get(level):
            return level
    return roots[0].level if roots else ""


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    _require(request, Perm.CELL_VIEW)
    summary = scope_summary_for_actor(actor=request.user)
    levels = [
        {**level, "count": summary.cell_counts_by_level.get(level["value"], 0)}
        for level in _levels()
        if summary.cell_counts_by_level.get(level["value"])
    ]
    requested = request.GET.get("level", "")
    selected = (
        requested
        if requested in summary.cell_counts_by_level
        else _default_map_level(summary.cell_counts_by_level, summary.roots)
    )
    return render(
        request,
        "grids/map.html",
        {"levels": levels, "selected_level": selected, "summary": summary},
    )


@login_required
@require_GET
def boundaries(request: HttpRequest) -> JsonResponse:
    if not has_permission(request.user, Perm.CELL_VIEW):
        return JsonResponse(
            {"code": "permission_denied", "message": _("You do not have permission to do this.")},
            status=403,
        )
    level = request.GET.get("level", "").strip() or None
    if level is not None and level not in LevelKind.values:
        return JsonResponse(
            {"code": "invalid", "message": _("Unknown level: choose one of the listed levels.")},
            status=400,
        )
    try:
        collection = cell_boundaries_for_actor(
            actor=request.user,
            parent_code=request.GET.get("parent", "").strip() or None,
            level=level,
        )
    except CellNotFoundError as error:
        return JsonResponse({"code": "not_found", "message": str(error.args[0])}, status=404)
    return JsonResponse(collection)
