"""Reads of the area hierarchy and its staff, always for an acting user (DESIGN D2, D7).

Every function that returns cells or staff filters through ``scope_for``: a user sees the cells
under the cells they hold a membership in, and nothing of the rest — an out-of-scope code is
answered exactly like an unknown one, so that the existence of other areas is not revealed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import Scope, scope_for
from gridgov.grids.geo import cell_index
from gridgov.grids.models import Cell, LevelKind, StaffAssignment

# Codes are GB/T 2260 county codes (6 digits) extended by 3 digits per level.
ROOT_CODE_LENGTHS = (6, 9, 12)
SEGMENT_LENGTH = 3


class CellNotFoundError(Http404):
    """An unknown code, or one outside the actor's scope (the two look the same on purpose)."""

    def __init__(self, code: str = "") -> None:
        self.code = code
        super().__init__(_("This area does not exist or is outside your area of responsibility."))


@dataclass(frozen=True)
class ScopeSummary:
    """The figures of a home page: what the actor's scope holds."""

    roots: list[Cell]
    cell_counts_by_level: dict[str, int] = field(default_factory=dict)
    staff_count: int = 0
    staff_counts_by_post: dict[str, int] = field(default_factory=dict)
    statistics_updated_at: datetime.datetime | None = None

    @property
    def cell_count(self) -> int:
        return sum(self.cell_counts_by_level.values())


def _cell_scope(actor: Any) -> Scope:
    return scope_for(actor, Perm.CELL_VIEW)


def _active_cells() -> QuerySet[Cell]:
    return Cell.objects.filter(is_active=True)


def _with_child_count(queryset: QuerySet[Cell]) -> QuerySet[Cell]:
    return queryset.annotate(
        child_count=Count("children", filter=Q(children__is_active=True), distinct=True)
    )


def ancestor_codes(code: str) -> list[str]:
    """The codes of every possible ancestor of ``code``, outermost first."""
    return [code[:length] for length in range(ROOT_CODE_LENGTHS[0], len(code), SEGMENT_LENGTH)]


def cell_get_for_actor(*, actor: Any, code: str) -> Cell:
    """The active cell ``code`` if the actor may see it; ``CellNotFoundError`` otherwise."""
    code = (code or "").strip()
    if not code or not _cell_scope(actor).covers(code):
        raise CellNotFoundError(code)
    cell = _active_cells().select_related("parent").filter(code=code).first()
    if cell is None:
        raise CellNotFoundError(code)
    return cell


def cell_roots_for_actor(*, actor: Any) -> list[Cell]:
    """The outermost cells the actor may see: the tree's roots, or the membership cells."""
    scope = _cell_scope(actor)
    if scope.is_empty:
        return []
    queryset = _active_cells()
    if scope.is_global:
        queryset = queryset.filter(parent__isnull=True)
    else:
        queryset = queryset.filter(code__in=scope.cell_codes)
    return list(_with_child_count(queryset).order_by("sort_order", "code"))


def cell_children_for_actor(*, actor: Any, code: str) -> list[Cell]:
    """The active children of ``code``, each annotated with its own ``child_count``."""
    parent = cell_get_for_actor(actor=actor, code=code)
    children = _active_cells().filter(parent=parent)
    return list(_with_child_count(children).order_by("sort_order", "code"))


def cell_list_for_actor(
    *,
    actor: Any,
    parent_code: str | None = None,
    level: str | None = None,
    search: str | None = None,
) -> QuerySet[Cell]:
    """Active cells in scope, by code; optionally the children of one cell, one level kind,
    or those whose name or code matches ``search``."""
    queryset = _cell_scope(actor).filter(_active_cells(), code_field="code")
    if parent_code:
        queryset = queryset.filter(parent__code=parent_code)
    if level:
        queryset = queryset.filter(level=level)
    if search and search.strip():
        term = search.strip()
        queryset = queryset.filter(Q(name__icontains=term) | Q(code__startswith=term))
    return queryset.select_related("parent").order_by("code")


def _feature(row: dict[str, Any], level_labels: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": row["code"],
        "geometry": row["boundary"],
        "properties": {
            "code": row["code"],
            "name": row["name"],
            "level": row["level"],
            "level_label": level_labels.get(row["level"], row["level"]),
            "parent_code": row["parent__code"],
        },
    }


def cell_boundaries_for_actor(
    *, actor: Any, parent_code: str | None = None, level: str | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of boundaries in scope.

    ``parent_code`` alone: the parent's children; with ``level``: every cell of that level
    under the parent; ``level`` alone: every cell of that level in scope; neither: the
    actor's root cells. An out-of-scope ``parent_code`` raises ``CellNotFoundError``.
    """
    queryset = _cell_scope(actor).filter(
        _active_cells().filter(boundary__isnull=False), code_field="code"
    )
    if parent_code:
        parent = cell_get_for_actor(actor=actor, code=parent_code)
        if level:
            queryset = queryset.filter(code__startswith=parent.code, level=level).exclude(
                pk=parent.pk
            )
        else:
            queryset = queryset.filter(parent=parent)
    elif level:
        queryset = queryset.filter(level=level)
    else:
        roots = [cell.pk for cell in cell_roots_for_actor(actor=actor)]
        queryset = queryset.filter(pk__in=roots)
    rows = queryset.order_by("code").values("code", "name", "level", "boundary", "parent__code")
    level_labels = {value: str(label) for value, label in LevelKind.choices}
    return {
        "type": "FeatureCollection",
        "features": [_feature(dict(row), level_labels) for row in rows],
    }


def cell_ancestors(*, cell: Cell) -> list[Cell]:
    """The cell's ancestors, root first (for breadcrumbs). One query."""
    codes = ancestor_codes(cell.code)
    if not codes:
        return []
    return list(Cell.objects.filter(code__in=codes).order_by("depth", "code"))


def staff_list_for_actor(
    *,
    actor: Any,
    cell_code: str | None = None,
    post: str | None = None,
    search: str | None = None,
) -> QuerySet[StaffAssignment]:
    """Current staff assignments in scope; ``cell_code`` narrows to that cell's subtree."""
    queryset = scope_for(actor, Perm.STAFF_VIEW).filter(
        StaffAssignment.objects.filter(ended_on__isnull=True, cell__is_active=True),
        code_field="cell__code",
    )
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if post:
        queryset = queryset.filter(post=post)
    if search and search.strip():
        term = search.strip()
        queryset = queryset.filter(
            Q(user__display_name__icontains=term)
            | Q(user__username__icontains=term)
            | Q(cell__name__icontains=term)
            | Q(cell__code__startswith=term)
        )
    return queryset.select_related("user", "cell").order_by("cell__code", "post", "user_id")


def scope_summary_for_actor(*, actor: Any) -> ScopeSummary:
    """Cells by level and staff by post in the actor's scope: four queries at any size."""
    roots = cell_roots_for_actor(actor=actor)
    cells = _cell_scope(actor).filter(_active_cells(), code_field="code")
    cell_counts = {
        row["level"]: row["total"]
        for row in cells.order_by().values("level").annotate(total=Count("id"))
    }
    staff = scope_for(actor, Perm.STAFF_VIEW).filter(
        StaffAssignment.objects.filter(ended_on__isnull=True, cell__is_active=True),
        code_field="cell__code",
    )
    staff_counts = {
        row["post"]: row["total"]
        for row in staff.order_by().values("post").annotate(total=Count("id"))
    }
    staff_count = staff.order_by().aggregate(people=Count("user_id", distinct=True))["people"]
    updated = [root.statistics_updated_at for root in roots if root.statistics_updated_at]
    return ScopeSummary(
        roots=roots,
        cell_counts_by_level=cell_counts,
        staff_count=staff_count or 0,
        staff_counts_by_post=staff_counts,
        statistics_updated_at=min(updated) if updated else None,
    )


def cell_locate(*, lng: float, lat: float) -> Cell | None:
    """The deepest active cell whose boundary covers the point (WGS-84), or ``None``."""
    code = cell_index().locate(lng, lat)
    if code is None:
        return None
    return _active_cells().filter(code=code).first()


def cell_locate_for_actor(*, actor: Any, lng: float, lat: float) -> Cell | None:
    """``cell_locate`` limited to the actor's scope: a cell outside it is not revealed."""
    cell = cell_locate(lng=lng, lat=lat)
    if cell is None or not _cell_scope(actor).covers(cell.code):
        return None
    return cell
