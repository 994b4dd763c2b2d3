"""Staff posts in cells: 网格长, 网格员, 微网格长, 楼组长 … (DESIGN D2, D8)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell, Post, StaffAssignment
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.services.rules import (
    invalid,
    require,
)


@transaction.atomic
def staff_assign(
    *,
    actor: Any,
    cell_code: str,
    user: Any,
    post: str,
    started_on: datetime.date | None = None,
) -> StaffAssignment:
    """Give ``user`` a post in a cell. A person holds a given post in a cell only once at a
    time (a database constraint, not a check, so two clerks cannot both succeed)."""
    require(actor, Perm.STAFF_MANAGE, cell_code)
    cell = Cell.objects.filter(code=cell_code, is_active=True).first()
    if cell is None:
        raise CellNotFoundError(cell_code)
    if post not in Post.values:
        raise invalid("post", str(_("this post does not exist")))
    if not getattr(user, "is_active", False):
        raise invalid("user", str(_("this account is not active")))
    assignment = StaffAssignment(
        cell=cell, user=user, post=post, started_on=started_on or timezone.localdate()
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as error:
        raise invalid("post", str(_("this person already holds this post in this area"))) from (
            error
        )
    audit_record(
        actor=actor,
        action="grids.staff_assign",
        target=assignment,
        object_label=f"{post} {cell.code}",
        changes={"user": user.pk, "post": post, "cell": cell.code},
    )
    return assignment


@transaction.atomic
def staff_end(
    *, actor: Any, assignment_id: int, ended_on: datetime.date | None = None
) -> StaffAssignment:
    """End a post on a date; the assignment is kept as history."""
    assignment = (
        StaffAssignment.objects.select_for_update()
        .select_related("cell")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise CellNotFoundError("")
    require(actor, Perm.STAFF_MANAGE, assignment.cell.code)
    if assignment.ended_on is not None:
        raise invalid("ended_on", str(_("this post has already ended")))
    ended_on = ended_on or timezone.localdate()
    if ended_on < assignment.started_on:
        raise invalid("ended_on", str(_("a post cannot end before it started")))
    assignment.ended_on = ended_on
    assignment.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="grids.staff_end",
        target=assignment,
        object_label=f"{assignment.post} {assignment.cell.code}",
        changes={"ended_on": ended_on.isoformat()},
    )
    return assignment
