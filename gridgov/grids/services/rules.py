"""The rules every write to the area hierarchy follows.

Cell codes follow GB/T 2260 (a 6-digit county code) and the street/community numbering of
GB/T 10114 and the civil-affairs statistical division codes: 3 more digits for each level
below, so that a cell's code is its parent's code plus 3 digits.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.grids.geo import (
    InvalidBoundaryError,
    boundary_geometry,
    boundary_metrics,
    invalidate_cell_index,
)
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.selectors import ROOT_CODE_LENGTHS, SEGMENT_LENGTH, CellNotFoundError

# GB/T 2260 province-level prefixes (the first two digits of every division code).
PROVINCE_PREFIXES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
# Level kinds from the largest to the smallest: a child is never larger than its parent.
LEVEL_RANK: dict[str, int] = {
    LevelKind.DISTRICT: 0,
    LevelKind.STREET: 1,
    LevelKind.COMMUNITY: 2,
    LevelKind.GRID: 3,
    LevelKind.MICRO_GRID: 4,
}
MAX_CODE_LENGTH = 30
NAME_MAX_LENGTH = 100


def cell_code_problem(code: str, parent_code: str | None) -> str | None:
    """Why ``code`` is not a valid code under ``parent_code`` (or as a root), or ``None``."""
    if not code or not code.isascii() or not code.isdigit():
        return str(_("the code must consist of digits only"))
    if len(code) > MAX_CODE_LENGTH:
        return str(_("the code is too long"))
    if parent_code is None:
        if len(code) not in ROOT_CODE_LENGTHS:
            return str(
                _(
                    "a top-level code must have 6 digits (county, GB/T 2260), 9 (street or "
                    "town) or 12 (community or village)"
                )
            )
        if code[:2] not in PROVINCE_PREFIXES:
            return str(_("the code does not start with a GB/T 2260 province code"))
        return None
    if len(code) != len(parent_code) + SEGMENT_LENGTH or not code.startswith(parent_code):
        return str(_("the code must be the parent's code followed by 3 digits"))
    if code.endswith("000"):
        return str(_("the last 3 digits of the code must not be 000"))
    return None


def level_problem(level: str, parent_level: str | None) -> str | None:
    """Why ``level`` is not allowed under a parent of ``parent_level``, or ``None``."""
    if level not in LEVEL_RANK:
        return str(_("the level is not one of district, street, community, grid, micro-grid"))
    if parent_level is not None and LEVEL_RANK[level] < LEVEL_RANK.get(parent_level, 0):
        return str(_("an area cannot be of a higher level than the area it belongs to"))
    return None


def name_problem(name: str) -> str | None:
    if not name or not name.strip():
        return str(_("the name is missing"))
    if len(name.strip()) > NAME_MAX_LENGTH:
        return str(_("the name is longer than 100 characters"))
    return None


def boundary_fields(boundary: dict[str, Any] | None) -> dict[str, Any]:
    """The boundary and the bounding box, centroid and area derived from it."""
    if boundary is None:
        return dict.fromkeys(
            (
                "boundary",
                "min_lng",
                "min_lat",
                "max_lng",
                "max_lat",
                "centroid_lng",
                "centroid_lat",
                "area_km2",
            )
        )
    metrics = boundary_metrics(boundary)
    return {
        "boundary": boundary,
        "min_lng": metrics.min_lng,
        "min_lat": metrics.min_lat,
        "max_lng": metrics.max_lng,
        "max_lat": metrics.max_lat,
        "centroid_lng": metrics.centroid_lng,
        "centroid_lat": metrics.centroid_lat,
        "area_km2": metrics.area_km2,
    }


def invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def check_boundary(boundary: dict[str, Any] | None) -> None:
    if boundary is None:
        return
    try:
        boundary_geometry(boundary)
    except InvalidBoundaryError as error:
        raise invalid("boundary", str(error)) from error


def require(actor: Any, permission: str, code: str) -> None:
    """Raise ``CellNotFoundError`` if the actor cannot even see ``code``, ``PermissionDenied``
    if they see it but may not do this."""
    if has_permission(actor, permission, cell_code=code):
        return
    if scope_for(actor, Perm.CELL_VIEW).covers(code):
        raise PermissionDenied(_("You may not make this change in this area."))
    raise CellNotFoundError(code)


def label(cell: Cell) -> str:
    return f"{cell.code} {cell.name}"


def after_commit_refresh_index() -> None:
    transaction.on_commit(invalidate_cell_index)
