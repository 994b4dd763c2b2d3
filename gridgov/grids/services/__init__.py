"""Writes to the area hierarchy and its staff (DESIGN D2, D7, D8).

Every write checks the actor's permission over the cell, runs in one transaction and appends
one audit row. The rules (codes, levels, boundaries) are in ``rules``.
"""

from gridgov.grids.services.cells import cell_create, cell_deactivate, cell_update
from gridgov.grids.services.rules import (
    LEVEL_RANK,
    boundary_fields,
    cell_code_problem,
    level_problem,
    name_problem,
)
from gridgov.grids.services.staff import staff_assign, staff_end
from gridgov.grids.services.statistics import cell_statistics_recompute
from gridgov.grids.services.tree_import import (
    CellImportError,
    CellImportResult,
    cell_tree_export,
    cell_tree_import,
)

# The name the task and the settings' schedule use.
recompute_cell_statistics = cell_statistics_recompute

__all__ = [
    "LEVEL_RANK",
    "CellImportError",
    "CellImportResult",
    "boundary_fields",
    "cell_code_problem",
    "cell_create",
    "cell_deactivate",
    "cell_statistics_recompute",
    "cell_tree_export",
    "cell_tree_import",
    "cell_update",
    "level_problem",
    "name_problem",
    "recompute_cell_statistics",
    "staff_assign",
    "staff_end",
]
