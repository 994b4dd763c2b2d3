"""The periodic statistics job: counts in every cell, bounded queries, idempotent."""

from __future__ import annotations

from gridgov.accounts.tests.factories import UserFactory
from gridgov.grids.models import Cell
from gridgov.grids.services import cell_statistics_recompute
from gridgov.grids.tasks import recompute_cell_statistics
from gridgov.grids.tests.factories import StaffAssignmentFactory


def _figures() -> dict[str, tuple[int, int]]:
    return {
        code: (descendants, staff)
        for code, descendants, staff in Cell.objects.values_list(
            "code", "descendant_count", "staff_count"
        )
    }


def test_statistics_count_cells_below_and_people_with_a_post_in_the_subtree(town):
    person = UserFactory()
    StaffAssignmentFactory(cell=town.grid_a, user=person, post="grid_chief")
    StaffAssignmentFactory(cell=town.micro_a1, user=person, post="micro_grid_chief")
    StaffAssignmentFactory(cell=town.micro_b2)
    assert cell_statistics_recompute() == 9
    figures = _figures()
    assert figures[town.town.code] == (8, 2)
    assert figures[town.community_a.code] == (3, 1)
    assert figures[town.grid_a.code] == (2, 1)
    assert figures[town.micro_a1.code] == (0, 1)
    assert figures[town.micro_b2.code] == (0, 1)
    assert Cell.objects.filter(statistics_updated_at__isnull=True).count() == 0


def test_statistics_leave_out_inactive_cells_and_ended_posts(town):
    ended = StaffAssignmentFactory(cell=town.micro_b1)
    ended.ended_on = ended.started_on
    ended.save(update_fields=["ended_on"])
    Cell.objects.filter(code=town.micro_a2.code).update(is_active=False)
    cell_statistics_recompute()
    figures = _figures()
    assert figures[town.town.code] == (7, 0)
    assert figures[town.micro_a2.code] == (0, 0)


def test_the_statistics_task_is_idempotent_and_takes_bounded_queries(
    town, django_assert_max_num_queries
):
    StaffAssignmentFactory(cell=town.micro_b2)
    recompute_cell_statistics()
    first = _figures()
    # two reads, one bulk update (one batch), savepoint bookkeeping
    with django_assert_max_num_queries(5):
        recompute_cell_statistics.delay()
    assert _figures() == first
