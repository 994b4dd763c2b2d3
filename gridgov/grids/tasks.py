"""Background jobs of the grid domain (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.grids.services import cell_statistics_recompute


@shared_task(name="gridgov.grids.tasks.recompute_cell_statistics")
def recompute_cell_statistics() -> int:
    """Recompute every cell's descendant and staff counts; returns the number of cells."""
    return cell_statistics_recompute()
