"""Point → cell: the index, its edge rule, and the process-wide index of the database."""

from __future__ import annotations

from gridgov.grids import selectors
from gridgov.grids.geo import CellIndex, cell_index
from gridgov.grids.services import cell_update
from gridgov.grids.tests.factories import square


def _two_squares() -> CellIndex:
    return CellIndex.build(
        [
            ("310112106002", square(121.1, 31.0, 0.1)),
            ("310112106001", square(121.0, 31.0, 0.1)),
            ("310112106", square(121.0, 31.0, 0.3)),
        ]
    )


def test_a_point_inside_a_cell_is_found_in_the_deepest_cell():
    index = _two_squares()
    assert index.locate(121.05, 31.05) == "310112106001"
    assert index.locate(121.15, 31.05) == "310112106002"
    assert index.locate(121.25, 31.25) == "310112106"


def test_a_point_outside_every_cell_is_not_found():
    index = _two_squares()
    assert index.locate(120.0, 31.05) is None
    assert index.locate(121.05, 35.0) is None
    assert index.locate(float("nan"), 31.05) is None


def test_a_point_on_a_shared_edge_goes_to_the_lower_code_every_time():
    index = _two_squares()
    assert index.locate(121.1, 31.05) == "310112106001"
    assert index.locate(121.1, 31.0) == "310112106001"
    reversed_index = CellIndex.build(
        [
            ("310112106001", square(121.0, 31.0, 0.1)),
            ("310112106002", square(121.1, 31.0, 0.1)),
        ]
    )
    assert reversed_index.locate(121.1, 31.05) == "310112106001"


def test_locate_many_answers_each_point_and_invalid_boundaries_are_skipped():
    index = CellIndex.build(
        [("310112106001", square(121.0, 31.0, 0.1)), ("310112106002", {"type": "Point"})]
    )
    assert len(index) == 1
    assert index.locate_many([121.05, 121.15], [31.05, 31.05]) == ["310112106001", None]
    assert CellIndex.build([]).locate(121.0, 31.0) is None


def test_cell_locate_finds_the_micro_grid_of_the_demo_town(town):
    assert selectors.cell_locate(lng=121.05, lat=31.1) == town.micro_a1
    assert selectors.cell_locate(lng=121.35, lat=31.1) == town.micro_b2
    assert selectors.cell_locate(lng=122.0, lat=31.1) is None


def test_the_process_wide_index_follows_boundary_changes(town, platform_admin):
    # given
    assert cell_index().locate(121.05, 31.1) == town.micro_a1.code
    # when micro-grid a1 shrinks to its southern half
    cell_update(actor=platform_admin, code=town.micro_a1.code, boundary=square(121.0, 31.0, 0.05))
    # then a point in the northern half falls to the grid that contains it
    assert cell_index().locate(121.05, 31.1) == town.grid_a.code


def test_locating_for_an_actor_does_not_reveal_cells_outside_scope(town, grid_worker_a):
    assert selectors.cell_locate_for_actor(actor=grid_worker_a, lng=121.05, lat=31.1) == (
        town.micro_a1
    )
    assert selectors.cell_locate_for_actor(actor=grid_worker_a, lng=121.35, lat=31.1) is None
