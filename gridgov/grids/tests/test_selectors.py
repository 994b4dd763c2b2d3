"""Reads are scoped: a user sees the subtree of the cells they hold a membership in."""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import UserFactory
from gridgov.grids import selectors
from gridgov.grids.models import LevelKind, Post
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.tests.factories import CellFactory, StaffAssignmentFactory


def test_grid_worker_sees_only_their_own_grid_subtree(town, grid_worker_a):
    codes = list(selectors.cell_list_for_actor(actor=grid_worker_a).values_list("code", flat=True))
    assert codes == [town.grid_a.code, town.micro_a1.code, town.micro_a2.code]


def test_operator_sees_the_whole_town(town, operator):
    assert selectors.cell_list_for_actor(actor=operator).count() == 9
    assert [cell.code for cell in selectors.cell_roots_for_actor(actor=operator)] == [
        town.town.code
    ]


def test_grid_worker_cannot_get_a_cell_outside_their_grid(town, grid_worker_a):
    with pytest.raises(CellNotFoundError):
        selectors.cell_get_for_actor(actor=grid_worker_a, code=town.grid_b.code)
    with pytest.raises(CellNotFoundError):
        selectors.cell_children_for_actor(actor=grid_worker_a, code=town.community_a.code)


def test_an_unknown_code_looks_the_same_as_an_out_of_scope_one(town, operator):
    with pytest.raises(CellNotFoundError) as error:
        selectors.cell_get_for_actor(actor=operator, code="310112106999")
    assert error.value.code == "310112106999"


def test_a_resident_sees_no_cells(town, make_member):
    resident = make_member(Role.RESIDENT, town.micro_a1)
    assert selectors.cell_roots_for_actor(actor=resident) == []
    assert selectors.cell_list_for_actor(actor=resident).count() == 0


def test_grid_worker_roots_are_their_membership_cells(town, grid_worker_a):
    roots = selectors.cell_roots_for_actor(actor=grid_worker_a)
    assert [(cell.code, cell.child_count) for cell in roots] == [(town.grid_a.code, 2)]


def test_children_come_annotated_with_their_own_child_count(town, operator):
    children = selectors.cell_children_for_actor(actor=operator, code=town.town.code)
    assert [(cell.code, cell.child_count) for cell in children] == [
        (town.community_a.code, 1),
        (town.community_b.code, 1),
    ]


def test_inactive_cells_are_left_out(town, operator):
    town.micro_a2.is_active = False
    town.micro_a2.save(update_fields=["is_active"])
    children = selectors.cell_children_for_actor(actor=operator, code=town.grid_a.code)
    assert [cell.code for cell in children] == [town.micro_a1.code]
    assert selectors.cell_roots_for_actor(actor=operator)[0].child_count == 2


def test_cell_list_filters_by_parent_level_and_search(town, operator):
    by_parent = selectors.cell_list_for_actor(actor=operator, parent_code=town.grid_b.code)
    by_level = selectors.cell_list_for_actor(actor=operator, level=LevelKind.COMMUNITY)
    by_name = selectors.cell_list_for_actor(actor=operator, search="彭渡")
    assert [cell.code for cell in by_parent] == [town.micro_b1.code, town.micro_b2.code]
    assert [cell.code for cell in by_level] == [town.community_a.code, town.community_b.code]
    assert by_name.count() == 4


def test_ancestors_come_root_first(town):
    assert selectors.cell_ancestors(cell=town.micro_b2) == [
        town.town,
        town.community_b,
        town.grid_b,
    ]
    assert selectors.cell_ancestors(cell=town.town) == []


def test_boundaries_of_a_parents_children_are_a_feature_collection(town, operator):
    collection = selectors.cell_boundaries_for_actor(actor=operator, parent_code=town.town.code)
    assert collection["type"] == "FeatureCollection"
    assert [feature["properties"] for feature in collection["features"]] == [
        {
            "code": town.community_a.code,
            "name": "飞碟苑居委",
            "level": "community",
            "level_label": "社区/村",
            "parent_code": town.town.code,
        },
        {
            "code": town.community_b.code,
            "name": "彭渡村",
            "level": "community",
            "level_label": "社区/村",
            "parent_code": town.town.code,
        },
    ]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


def test_boundaries_by_level_under_a_parent_and_by_default_the_roots(town, grid_worker_a):
    micro = selectors.cell_boundaries_for_actor(
        actor=grid_worker_a, parent_code=town.grid_a.code, level=LevelKind.MICRO_GRID
    )
    roots = selectors.cell_boundaries_for_actor(actor=grid_worker_a)
    every_micro = selectors.cell_boundaries_for_actor(actor=grid_worker_a, level="micro_grid")
    assert [f["id"] for f in micro["features"]] == [town.micro_a1.code, town.micro_a2.code]
    assert [f["id"] for f in roots["features"]] == [town.grid_a.code]
    assert [f["id"] for f in every_micro["features"]] == [town.micro_a1.code, town.micro_a2.code]
    with pytest.raises(CellNotFoundError):
        selectors.cell_boundaries_for_actor(actor=grid_worker_a, parent_code=town.town.code)


def test_staff_list_is_scoped_current_and_filterable(town, grid_worker_a, operator):
    inside = StaffAssignmentFactory(cell=town.micro_a1, post=Post.MICRO_GRID_CHIEF)
    StaffAssignmentFactory(cell=town.micro_b1, post=Post.MICRO_GRID_CHIEF)
    ended = StaffAssignmentFactory(cell=town.micro_a2)
    ended.ended_on = ended.started_on
    ended.save(update_fields=["ended_on"])
    assert list(selectors.staff_list_for_actor(actor=grid_worker_a)) == [inside]
    assert selectors.staff_list_for_actor(actor=operator).count() == 2
    assert (
        selectors.staff_list_for_actor(actor=operator, cell_code=town.community_b.code).count() == 1
    )
    assert selectors.staff_list_for_actor(actor=operator, post=Post.GRID_WORKER).count() == 0
    assert list(
        selectors.staff_list_for_actor(actor=operator, search=inside.user.display_name)
    ) == [inside]


def test_scope_summary_counts_cells_by_level_and_staff_by_post(town, operator):
    person = UserFactory()
    StaffAssignmentFactory(cell=town.grid_a, user=person, post=Post.GRID_CHIEF)
    StaffAssignmentFactory(cell=town.micro_a1, user=person, post=Post.MICRO_GRID_CHIEF)
    StaffAssignmentFactory(cell=town.micro_b1, post=Post.MICRO_GRID_CHIEF)
    summary = selectors.scope_summary_for_actor(actor=operator)
    assert summary.roots == [town.town]
    assert summary.cell_counts_by_level == {"street": 1, "community": 2, "grid": 2, "micro_grid": 4}
    assert summary.cell_count == 9
    assert summary.staff_count == 2
    assert summary.staff_counts_by_post == {"grid_chief": 1, "micro_grid_chief": 2}
    assert summary.statistics_updated_at is None


def test_scope_summary_takes_a_bounded_number_of_queries_at_2000_cells(
    town, operator, django_assert_max_num_queries
):
    # given a town with 2,000 more cells and 200 staff
    grids = [
        CellFactory(
            code=f"{town.community_a.code}{index:03d}",
            level=LevelKind.GRID,
            parent=town.community_a,
        )
        for index in range(2, 202)
    ]
    for grid in grids[:20]:
        for index in range(1, 91):
            CellFactory(code=f"{grid.code}{index:03d}", level=LevelKind.MICRO_GRID, parent=grid)
        StaffAssignmentFactory(cell=grid)
    # when / then: memberships + roots + levels + posts + people
    with django_assert_max_num_queries(5):
        summary = selectors.scope_summary_for_actor(actor=operator)
    assert summary.cell_count == 9 + 200 + 1800
    with django_assert_max_num_queries(3):
        selectors.cell_children_for_actor(actor=operator, code=town.community_a.code)
