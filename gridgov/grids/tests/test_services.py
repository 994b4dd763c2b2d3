"""Changing cells and staff posts: rules, permissions, audit rows, history."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import UserFactory
from gridgov.core.models import AuditEntry
from gridgov.grids.models import Cell, Post, StaffAssignment
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.services import cell_deactivate, cell_update, staff_assign, staff_end
from gridgov.grids.tests.factories import StaffAssignmentFactory, square


def test_renaming_and_reshaping_a_cell_updates_metrics_and_is_audited(town, platform_admin):
    audit_before = AuditEntry.objects.count()
    cell = cell_update(
        actor=platform_admin,
        code=town.micro_a1.code,
        name="  飞碟苑一号微网格 ",
        boundary=square(121.0, 31.0, 0.05),
    )
    cell.refresh_from_db()
    assert cell.name == "飞碟苑一号微网格"
    assert (cell.max_lng, cell.max_lat) == pytest.approx((121.05, 31.05))
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == audit_before + 1
    assert entry.action == "grids.cell_update"
    assert entry.changes == {"fields": ["name", "boundary"], "previous_code": None}


def test_the_code_of_a_cell_with_children_cannot_change(town, platform_admin, english):
    with pytest.raises(ValidationError) as error:
        cell_update(actor=platform_admin, code=town.grid_a.code, new_code="310112106001009")
    assert error.value.message_dict["code"] == [
        "the code cannot change once the area has sub-areas"
    ]
    assert Cell.objects.filter(code=town.grid_a.code).exists()


def test_the_code_of_a_leaf_cell_can_change_within_its_parent(town, platform_admin):
    cell = cell_update(actor=platform_admin, code=town.micro_a2.code, new_code="310112106001001009")
    assert cell.code == "310112106001001009"
    assert not Cell.objects.filter(code=town.micro_a2.code).exists()
    assert AuditEntry.objects.order_by("-id").first().changes["previous_code"] == (
        town.micro_a2.code
    )


def test_deactivating_a_cell_deactivates_its_subtree_and_ends_its_posts(town, platform_admin):
    post = StaffAssignmentFactory(cell=town.micro_a1)
    other = StaffAssignmentFactory(cell=town.micro_b1)
    count = cell_deactivate(
        actor=platform_admin, code=town.grid_a.code, on=datetime.date(2026, 6, 1)
    )
    assert count == 3
    assert set(Cell.objects.filter(is_active=False).values_list("code", flat=True)) == {
        town.grid_a.code,
        town.micro_a1.code,
        town.micro_a2.code,
    }
    post.refresh_from_db()
    other.refresh_from_db()
    assert post.ended_on == datetime.date(2026, 6, 1)
    assert other.ended_on is None
    assert AuditEntry.objects.order_by("-id").first().changes == {"cells": 3, "ended_posts": 1}


def test_community_staff_can_assign_a_grid_worker_in_their_community(town, make_member):
    clerk = make_member(Role.COMMUNITY_STAFF, town.community_a)
    worker = UserFactory()
    assignment = staff_assign(
        actor=clerk,
        cell_code=town.grid_a.code,
        user=worker,
        post=Post.GRID_WORKER,
        started_on=datetime.date(2026, 3, 1),
    )
    assert assignment.is_current
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.action == "grids.staff_assign"
    assert entry.object_label == f"grid_worker {town.grid_a.code}"
    assert worker.username not in entry.object_label


def test_community_staff_cannot_assign_staff_in_another_community(town, make_member):
    clerk = make_member(Role.COMMUNITY_STAFF, town.community_a)
    with pytest.raises(CellNotFoundError):
        staff_assign(
            actor=clerk, cell_code=town.grid_b.code, user=UserFactory(), post="grid_worker"
        )
    assert StaffAssignment.objects.count() == 0


def test_a_grid_worker_cannot_assign_staff_even_in_their_own_grid(town, grid_worker_a):
    with pytest.raises(PermissionDenied):
        staff_assign(
            actor=grid_worker_a, cell_code=town.grid_a.code, user=UserFactory(), post="grid_worker"
        )
    assert StaffAssignment.objects.count() == 0


def test_the_same_post_cannot_be_held_twice_at_once(town, platform_admin, english):
    worker = UserFactory()
    staff_assign(actor=platform_admin, cell_code=town.grid_a.code, user=worker, post="grid_chief")
    with pytest.raises(ValidationError) as error:
        staff_assign(
            actor=platform_admin, cell_code=town.grid_a.code, user=worker, post="grid_chief"
        )
    assert error.value.message_dict["post"] == ["this person already holds this post in this area"]
    assert StaffAssignment.objects.filter(user=worker).count() == 1


def test_ending_a_post_keeps_the_history_and_frees_the_post(town, platform_admin):
    worker = UserFactory()
    first = staff_assign(
        actor=platform_admin,
        cell_code=town.grid_a.code,
        user=worker,
        post="grid_chief",
        started_on=datetime.date(2026, 1, 1),
    )
    staff_end(actor=platform_admin, assignment_id=first.pk, ended_on=datetime.date(2026, 5, 31))
    second = staff_assign(
        actor=platform_admin, cell_code=town.grid_a.code, user=worker, post="grid_chief"
    )
    first.refresh_from_db()
    assert first.ended_on == datetime.date(2026, 5, 31)
    assert second.is_current
    assert StaffAssignment.objects.filter(user=worker).count() == 2


def test_a_post_cannot_end_before_it_started_or_end_twice(town, platform_admin):
    post = StaffAssignmentFactory(cell=town.grid_a, started_on=datetime.date(2026, 3, 1))
    with pytest.raises(ValidationError):
        staff_end(actor=platform_admin, assignment_id=post.pk, ended_on=datetime.date(2026, 2, 1))
    post.refresh_from_db()
    assert post.ended_on is None
    staff_end(actor=platform_admin, assignment_id=post.pk, ended_on=datetime.date(2026, 4, 1))
    with pytest.raises(ValidationError):
        staff_end(actor=platform_admin, assignment_id=post.pk, ended_on=datetime.date(2026, 5, 1))
    post.refresh_from_db()
    assert post.ended_on == datetime.date(2026, 4, 1)
