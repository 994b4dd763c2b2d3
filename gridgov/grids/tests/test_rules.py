"""Code and level rules (GB/T 2260, street/community numbering) enforced by ``cell_create``."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.grids.models import Cell, LevelKind
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.services import cell_code_problem, cell_create, level_problem
from gridgov.grids.tests.factories import square


@pytest.mark.parametrize(
    ("code", "parent_code"),
    [("310112", None), ("310112106", None), ("310112106001", None), ("310112106001", "310112106")],
)
def test_codes_following_gb_t_2260_and_the_local_numbering_are_accepted(code, parent_code):
    assert cell_code_problem(code, parent_code) is None


@pytest.mark.parametrize(
    ("code", "parent_code", "reason"),
    [
        ("31011A", None, "digits"),
        ("3101121", None, "top-level"),
        ("990112", None, "province"),
        ("3101121060011", "310112106001", "followed by 3 digits"),
        ("310112107001", "310112106", "followed by 3 digits"),
        ("310112106000", "310112106", "000"),
    ],
)
def test_codes_breaking_the_rules_are_refused_with_a_reason(code, parent_code, reason, english):
    assert reason in cell_code_problem(code, parent_code)


def test_a_child_cannot_be_of_a_higher_level_than_its_parent():
    assert level_problem(LevelKind.STREET, LevelKind.GRID) is not None
    assert level_problem(LevelKind.MICRO_GRID, LevelKind.GRID) is None
    assert level_problem(LevelKind.GRID, LevelKind.GRID) is None
    assert level_problem("province", None) is not None


def test_creating_a_child_sets_its_depth_metrics_and_writes_one_audit_row(town, platform_admin):
    # given
    audit_before = AuditEntry.objects.count()
    # when
    cell = cell_create(
        actor=platform_admin,
        code="310112106001002",
        name="飞碟苑第二网格",
        level=LevelKind.GRID,
        parent_code=town.community_a.code,
        boundary=square(121.1, 31.1, 0.01),
    )
    # then
    assert cell.depth == town.community_a.depth + 1 == 2
    assert cell.parent == town.community_a
    assert (cell.min_lng, cell.min_lat) == (121.1, 31.1)
    assert cell.area_km2 == pytest.approx(1.0, rel=0.1)
    entries = list(AuditEntry.objects.filter(pk__gt=0).order_by("-id")[:1])
    assert AuditEntry.objects.count() == audit_before + 1
    assert entries[0].action == "grids.cell_create"
    assert entries[0].object_id == str(cell.pk)
    assert entries[0].actor_id == platform_admin.pk


def test_a_child_code_not_extending_the_parent_code_is_refused_and_nothing_is_created(
    town, platform_admin
):
    cells_before = Cell.objects.count()
    with pytest.raises(ValidationError) as error:
        cell_create(
            actor=platform_admin,
            code="310112107001",
            name="错误编码",
            level=LevelKind.COMMUNITY,
            parent_code=town.town.code,
        )
    assert "code" in error.value.message_dict
    assert Cell.objects.count() == cells_before


def test_a_street_under_a_grid_is_refused(town, platform_admin):
    with pytest.raises(ValidationError) as error:
        cell_create(
            actor=platform_admin,
            code=f"{town.grid_a.code}009",
            name="错误层级",
            level=LevelKind.STREET,
            parent_code=town.grid_a.code,
        )
    assert list(error.value.message_dict) == ["level"]
    assert not Cell.objects.filter(code=f"{town.grid_a.code}009").exists()


def test_a_duplicate_code_is_refused_with_a_clear_message(town, platform_admin, english):
    with pytest.raises(ValidationError) as error:
        cell_create(
            actor=platform_admin,
            code=town.grid_a.code,
            name="重复",
            level=LevelKind.GRID,
            parent_code=town.community_a.code,
        )
    assert error.value.message_dict["code"] == ["an area with this code already exists"]
    assert Cell.objects.get(code=town.grid_a.code).name == "飞碟苑第一网格"


def test_an_invalid_boundary_is_refused(town, platform_admin, english):
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[121.0, 31.0], [121.1, 31.1], [121.1, 31.0], [121.0, 31.1], [121.0, 31.0]]
        ],
    }
    with pytest.raises(ValidationError) as error:
        cell_create(
            actor=platform_admin,
            code=f"{town.grid_a.code}009",
            name="自交",
            level=LevelKind.MICRO_GRID,
            parent_code=town.grid_a.code,
            boundary=bow_tie,
        )
    assert "not a valid polygon" in error.value.message_dict["boundary"][0]


def test_an_operator_without_the_manage_permission_cannot_create_cells(town, operator):
    audit_before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        cell_create(
            actor=operator,
            code=f"{town.grid_a.code}009",
            name="无权",
            level=LevelKind.MICRO_GRID,
            parent_code=town.grid_a.code,
        )
    assert not Cell.objects.filter(code=f"{town.grid_a.code}009").exists()
    assert AuditEntry.objects.count() == audit_before


def test_a_community_administrator_cannot_create_cells_in_another_community(town, make_member):
    admin_a = make_member(Role.PLATFORM_ADMIN, town.community_a)
    with pytest.raises(CellNotFoundError):
        cell_create(
            actor=admin_a,
            code=f"{town.community_b.code}009",
            name="越权",
            level=LevelKind.GRID,
            parent_code=town.community_b.code,
        )
    assert not Cell.objects.filter(code=f"{town.community_b.code}009").exists()
