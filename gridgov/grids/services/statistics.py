"""The periodic statistics of the tree (DESIGN D4: run by Celery or in-process)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gridgov.grids.models import Cell, StaffAssignment


def cell_statistics_recompute() -> int:
    """Fill ``descendant_count``, ``staff_count`` (people with a current post in the subtree)
    and ``statistics_updated_at`` for every cell: two reads and a bulk update, whatever the
    size of the tree. Idempotent. These are derived figures, not records, so no audit row."""
    cells = list(Cell.objects.order_by().values_list("id", "parent_id", "is_active"))
    posts = (
        StaffAssignment.objects.filter(ended_on__isnull=True, cell__is_active=True)
        .order_by()
        .values_list("cell_id", "user_id")
        .distinct()
    )
    parent_of: dict[int, int | None] = {cell_id: parent_id for cell_id, parent_id, _active in cells}
    descendants = dict.fromkeys(parent_of, 0)
    people: dict[int, set[int]] = {cell_id: set() for cell_id in parent_of}
    for cell_id, _parent_id, is_active in cells:
        if not is_active:
            continue
        ancestor: int | None = parent_of[cell_id]
        while ancestor is not None:
            descendants[ancestor] += 1
            ancestor = parent_of.get(ancestor)
    for cell_id, user_id in posts:
        current: int | None = cell_id
        while current is not None:
            people[current].add(user_id)
            current = parent_of.get(current)
    now = timezone.now()
    updates = [
        Cell(
            id=cell_id,
            descendant_count=descendants[cell_id] if is_active else 0,
            staff_count=len(people[cell_id]) if is_active else 0,
            statistics_updated_at=now,
        )
        for cell_id, _parent_id, is_active in cells
    ]
    with transaction.atomic():
        Cell.objects.bulk_update(
            updates,
            ["descendant_count", "staff_count", "statistics_updated_at"],
            batch_size=500,
        )
    return len(updates)
