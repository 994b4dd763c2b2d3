"""Importing and exporting a cell tree with its boundaries as GeoJSON (DESIGN D9, D12).

An import is all or nothing: every feature is checked first, every problem is reported with
the feature's number and code, and only a file without problems is written, in one
transaction. Cells are created or updated by code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.core.audit import audit_record
from gridgov.grids.geo import InvalidBoundaryError, boundary_geometry
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.selectors import ROOT_CODE_LENGTHS, SEGMENT_LENGTH, cell_get_for_actor
from gridgov.grids.services.rules import (
    after_commit_refresh_index,
    boundary_fields,
    cell_code_problem,
    level_problem,
    name_problem,
)

MAX_REPORTED_PROBLEMS = 200
# Level names as they appear in Chinese source files, besides our own level keys.
LEVEL_ALIASES: dict[str, str] = {
    "区": LevelKind.DISTRICT,
    "县": LevelKind.DISTRICT,
    "街道": LevelKind.STREET,
    "镇": LevelKind.STREET,
    "乡": LevelKind.STREET,
    "社区": LevelKind.COMMUNITY,
    "村": LevelKind.COMMUNITY,
    "居委": LevelKind.COMMUNITY,
    "网格": LevelKind.GRID,
    "微网格": LevelKind.MICRO_GRID,
}
_UPDATED_FIELDS = [
    "name",
    "level",
    "sort_order",
    "is_active",
    "boundary",
    "min_lng",
    "min_lat",
    "max_lng",
    "max_lat",
    "centroid_lng",
    "centroid_lat",
    "area_km2",
    "updated_at",
]


class CellImportError(Exception):
    """The file was refused; ``problems`` lists every reason, one line per feature."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class CellImportResult:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class _Row:
    number: int
    code: str
    name: str
    level: str
    parent_code: str | None
    boundary: dict[str, Any]
    sort_order: int
    depth: int = 0


@dataclass
class _Checked:
    rows: list[_Row] = field(default_factory=list)
    numbered: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """In the order of the features in the file."""
        return [message for _number, _seq, message in sorted(self.numbered)]

    def add(self, number: int, code: str, problem: str) -> None:
        if code:
            message = _("Feature %(number)d (code %(code)s): %(problem)s") % {
                "number": number,
                "code": code,
                "problem": problem,
            }
        else:
            message = _("Feature %(number)d: %(problem)s") % {"number": number, "problem": problem}
        self.numbered.append((number, len(self.numbered), str(message)))


def _parse(data: bytes | str) -> list[Any]:
    """The features of a GeoJSON FeatureCollection, or ``CellImportError``."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as error:
        raise CellImportError([str(_("The file is not UTF-8 text."))]) from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = _("The file is not valid JSON (line %(line)d, column %(column)d).") % {
            "line": error.lineno,
            "column": error.colno,
        }
        raise CellImportError([str(message)]) from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise CellImportError([str(_("The file is not a GeoJSON FeatureCollection."))])
    features = document.get("features")
    if not isinstance(features, list):
        raise CellImportError([str(_("The FeatureCollection has no list of features."))])
    if not features:
        raise CellImportError([str(_("The FeatureCollection has no features."))])
    return features


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _read_feature(number: int, feature: Any, checked: _Checked) -> _Row | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        checked.add(number, "", str(_("this is not a GeoJSON Feature")))
        return None
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        checked.add(number, "", str(_("the feature has no properties")))
        return None
    code = _text(properties.get("code"))
    if not code:
        checked.add(number, "", str(_("the property code is missing")))
        return None
    name = _text(properties.get("name"))
    raw_level = _text(properties.get("level"))
    level = LEVEL_ALIASES.get(raw_level, raw_level)
    problems = [name_problem(name), level_problem(level, None)]
    try:
        boundary_geometry(feature.get("geometry") or {})
    except InvalidBoundaryError as error:
        problems.append(str(error))
    sort_order = properties.get("sort_order", number)
    if not isinstance(sort_order, int) or isinstance(sort_order, bool) or sort_order < 0:
        problems.append(str(_("sort_order must be a whole number")))
        sort_order = number
    for problem in problems:
        if problem:
            checked.add(number, code, problem)
    if any(problems):
        return None
    return _Row(
        number=number,
        code=code,
        name=name,
        level=level,
        parent_code=_text(properties.get("parent_code")) or None,
        boundary=feature["geometry"],
        sort_order=sort_order,
    )


def _resolve_parents(rows: list[_Row], actor: Any, checked: _Checked) -> dict[str, dict[str, Any]]:
    """Set each row's parent and depth; return the existing cells involved, by code."""
    in_file = {row.code: row for row in rows}
    wanted = set(in_file)
    for row in rows:
        wanted.add(row.parent_code or row.code[:-SEGMENT_LENGTH])
    existing: dict[str, dict[str, Any]] = {
        values["code"]: dict(values)
        for values in Cell.objects.filter(code__in=wanted).values(
            "id", "code", "level", "depth", "parent__code"
        )
    }
    scope = scope_for(actor, Perm.CELL_MANAGE)
    for row in sorted(rows, key=lambda item: (len(item.code), item.code)):
        if row.parent_code is None:
            inferred = row.code[:-SEGMENT_LENGTH]
            if inferred in in_file or inferred in existing:
                row.parent_code = inferred
            elif len(row.code) not in ROOT_CODE_LENGTHS:
                checked.add(
                    row.number, row.code, str(_("its parent area %s is unknown") % inferred)
                )
                continue
        parent_level: str | None = None
        if row.parent_code is not None:
            parent_row = in_file.get(row.parent_code)
            parent_cell = existing.get(row.parent_code)
            if parent_row is None and parent_cell is None:
                unknown = _("its parent area %s is unknown") % row.parent_code
                checked.add(row.number, row.code, str(unknown))
                continue
            if parent_row is not None:
                parent_level, row.depth = parent_row.level, parent_row.depth + 1
            elif parent_cell is not None:
                parent_level, row.depth = parent_cell["level"], parent_cell["depth"] + 1
        for problem in (
            cell_code_problem(row.code, row.parent_code),
            level_problem(row.level, parent_level),
        ):
            if problem:
                checked.add(row.number, row.code, problem)
        current = existing.get(row.code)
        if current is not None and current["parent__code"] != row.parent_code:
            checked.add(
                row.number, row.code, str(_("the area exists under another parent; move it first"))
            )
        if not scope.covers(row.code):
            checked.add(row.number, row.code, str(_("the area is outside your responsibility")))
    return existing


def _check(features: list[Any], actor: Any) -> tuple[list[_Row], dict[str, Any]]:
    checked = _Checked()
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        row = _read_feature(number, feature, checked)
        if row is None:
            continue
        if row.code in seen:
            checked.add(number, row.code, str(_("the code appears more than once in the file")))
            continue
        seen.add(row.code)
        checked.rows.append(row)
    existing = _resolve_parents(checked.rows, actor, checked)
    if checked.problems:
        problems = checked.problems[:MAX_REPORTED_PROBLEMS]
        hidden = len(checked.problems) - len(problems)
        if hidden:
            problems.append(str(_("… and %d more problems") % hidden))
        raise CellImportError(problems)
    return checked.rows, existing


def _write(rows: list[_Row], existing: dict[str, Any]) -> CellImportResult:
    ids = {code: values["id"] for code, values in existing.items()}
    now = timezone.now()
    created = updated = unchanged = 0
    by_length: dict[int, list[_Row]] = {}
    for row in rows:
        by_length.setdefault(len(row.code), []).append(row)
    for length in sorted(by_length):
        group = by_length[length]
        new_codes = [row.code for row in group if row.code not in ids]
        current = {
            cell.code: cell
            for cell in Cell.objects.filter(code__in=[r.code for r in group if r.code in ids])
        }
        to_create: list[Cell] = []
        to_update: list[Cell] = []
        for row in group:
            fields = boundary_fields(row.boundary)
            cell = current.get(row.code)
            if cell is None:
                to_create.append(
                    Cell(
                        code=row.code,
                        name=row.name,
                        level=row.level,
                        parent_id=ids.get(row.parent_code) if row.parent_code else None,
                        depth=row.depth,
                        sort_order=row.sort_order,
                        **fields,
                    )
                )
                continue
            wanted = {"name": row.name, "level": row.level, "is_active": True, **fields}
            if all(getattr(cell, key) == value for key, value in wanted.items()):
                unchanged += 1
                continue
            for key, value in wanted.items():
                setattr(cell, key, value)
            cell.sort_order = row.sort_order
            cell.updated_at = now
            to_update.append(cell)
        Cell.objects.bulk_create(to_create, batch_size=500)
        Cell.objects.bulk_update(to_update, _UPDATED_FIELDS, batch_size=500)
        created += len(to_create)
        updated += len(to_update)
        if new_codes:
            ids.update(Cell.objects.filter(code__in=new_codes).values_list("code", "id"))
    return CellImportResult(created=created, updated=updated, unchanged=unchanged)


def cell_tree_import(*, actor: Any, data: bytes | str, filename: str = "") -> CellImportResult:
    """Create or update cells from a GeoJSON FeatureCollection.

    Each feature has ``properties`` ``code``, ``name``, ``level`` and optionally
    ``parent_code`` (inferred from the code when absent) and ``sort_order``, and a Polygon or
    MultiPolygon geometry. Any problem refuses the whole file with ``CellImportError``.
    """
    if not has_permission(actor, Perm.CELL_MANAGE):
        raise PermissionDenied(_("You may not import areas."))
    features = _parse(data)
    rows, existing = _check(features, actor)
    with transaction.atomic():
        result = _write(rows, existing)
        audit_record(
            actor=actor,
            action="grids.cell_tree_import",
            object_type="grids.cell",
            object_label=filename[:100],
            changes={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        after_commit_refresh_index()
    return result


def cell_tree_export(*, actor: Any, root_code: str | None = None) -> dict[str, Any]:
    """The cells in the actor's scope (or under ``root_code``) as a GeoJSON FeatureCollection
    that ``cell_tree_import`` reads back. Exports are audited (DESIGN D8)."""
    if not has_permission(actor, Perm.CELL_VIEW):
        raise PermissionDenied(_("You may not export areas."))
    queryset = scope_for(actor, Perm.CELL_VIEW).filter(
        Cell.objects.filter(is_active=True), code_field="code"
    )
    if root_code:
        root = cell_get_for_actor(actor=actor, code=root_code)
        queryset = queryset.filter(code__startswith=root.code)
    rows = list(
        queryset.order_by("depth", "code").values(
            "code", "name", "level", "sort_order", "boundary", "parent__code"
        )
    )
    features = [
        {
            "type": "Feature",
            "geometry": row["boundary"],
            "properties": {
                "code": row["code"],
                "name": row["name"],
                "level": row["level"],
                "parent_code": row["parent__code"],
                "sort_order": row["sort_order"],
            },
        }
        for row in rows
    ]
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="grids.cell_tree_export",
            object_type="grids.cell",
            object_label=root_code or "",
            changes={"cells": len(features)},
        )
    return {"type": "FeatureCollection", "features": features}
