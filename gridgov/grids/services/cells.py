"""Creating, changing and deactivating cells (DESIGN D2, D8)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell, StaffAssignment
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.services.rules import (
    after_commit_refresh_index,
    boundary_fields,
    cell_code_problem,
    check_boundary,
    invalid,
    label,
    level_problem,
    name_problem,
    require,
)


@transaction.atomic
def cell_create(
    *,
    actor: Any,
    code: str,
    name: str,
    level: str,
    parent_code: str | None = None,
    boundary: dict[str, Any] | None = None,
    sort_order: int = 0,
) -> Cell:
    """Create a cell under ``parent_code`` (or a root cell), enforcing the code rules."""
    code = (code or "").strip()
    parent: Cell | None = None
    if parent_code:
        require(actor, Perm.CELL_MANAGE, parent_code)
        parent = Cell.objects.select_for_update().filter(code=parent_code).first()
        if parent is None:
            raise CellNotFoundError(parent_code)
    else:
        require(actor, Perm.CELL_MANAGE, code)
    problem = cell_code_problem(code, parent.code if parent else None)
    if problem:
        raise invalid("code", problem)
    problem = name_problem(name)
    if problem:
        raise invalid("name", problem)
    problem = level_problem(level, parent.level if parent else None)
    if problem:
        raise invalid("level", problem)
    check_boundary(boundary)
    cell = Cell(
        code=code,
        name=name.strip(),
        level=level,
        parent=parent,
        depth=parent.depth + 1 if parent else 0,
        sort_order=sort_order,
        **boundary_fields(boundary),
    )
    try:
        with transaction.atomic():
            cell.save()
    except IntegrityError as error:
        raise invalid("code", str(_("an area with this code already exists"))) from error
    audit_record(
        actor=actor,
        action="grids.cell_create",
        target=cell,
        object_label=label(cell),
        changes={"level": level, "parent": parent.code if parent else None},
    )
    after_commit_refresh_index()
    return cell


@transaction.atomic
def cell_update(
    *,
    actor: Any,
    code: str,
    name: str | None = None,
    boundary: dict[str, Any] | None = None,
    sort_order: int | None = None,
    new_code: str | None = None,
) -> Cell:
    """Change a cell's name, boundary, order or code. The code cannot change once the cell has
    children: their codes are built on it."""
    require(actor, Perm.CELL_MANAGE, code)
    cell = (
        Cell.objects.select_for_update(of=("self",))
        .select_related("parent")
        .filter(code=code)
        .first()
    )
    if cell is None:
        raise CellNotFoundError(code)
    changed: list[str] = []
    if name is not None and name.strip() != cell.name:
        problem = name_problem(name)
        if problem:
            raise invalid("name", problem)
        cell.name = name.strip()
        changed.append("name")
    if boundary is not None:
        check_boundary(boundary)
        for field_name, value in boundary_fields(boundary).items():
            setattr(cell, field_name, value)
        changed.append("boundary")
    if sort_order is not None and sort_order != cell.sort_order:
        cell.sort_order = sort_order
        changed.append("sort_order")
    if new_code is not None and new_code.strip() != cell.code:
        new_code = new_code.strip()
        if Cell.objects.filter(parent=cell).exists():
            raise invalid("code", str(_("the code cannot change once the area has sub-areas")))
        problem = cell_code_problem(new_code, cell.parent.code if cell.parent else None)
        if problem:
            raise invalid("code", problem)
        require(actor, Perm.CELL_MANAGE, new_code)
        cell.code = new_code
        changed.append("code")
    if not changed:
        return cell
    try:
        with transaction.atomic():
            cell.save()
    except IntegrityError as error:
        raise invalid("code", str(_("an area with this code already exists"))) from error
    audit_record(
        actor=actor,
        action="grids.cell_update",
        target=cell,
        object_label=label(cell),
        changes={"fields": changed, "previous_code": code if "code" in changed else None},
    )
    after_commit_refresh_index()
    return cell


@transaction.atomic
def cell_deactivate(*, actor: Any, code: str, on: datetime.date | None = None) -> int:
    """Deactivate a cell and everything under it, ending the staff posts held there (the
    records stay, as history). Returns the number of cells deactivated."""
    require(actor, Perm.CELL_MANAGE, code)
    cell = Cell.objects.select_for_update().filter(code=code, is_active=True).first()
    if cell is None:
        raise CellNotFoundError(code)
    ended_on = on or timezone.localdate()
    subtree = Cell.objects.filter(code__startswith=cell.code, is_active=True)
    cell_count = subtree.update(is_active=False, updated_at=timezone.now())
    ended_posts = StaffAssignment.objects.filter(
        cell__code__startswith=cell.code, ended_on__isnull=True
    ).update(ended_on=ended_on)
    audit_record(
        actor=actor,
        action="grids.cell_deactivate",
        target=cell,
        object_label=label(cell),
        changes={"cells": cell_count, "ended_posts": ended_posts},
    )
    after_commit_refresh_index()
    return cell_count
