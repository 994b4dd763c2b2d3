"""The GridGov admin: platform administrators only, scoped by cell, every write audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import UserFactory
from gridgov.core.models import AuditEntry
from gridgov.grids.models import Cell, Post, StaffAssignment
from gridgov.grids.tests.factories import StaffAssignmentFactory
from gridgov.web.tests.conftest import sign_in_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def community_admin(town, make_member) -> User:
    """A platform administrator whose membership covers community A only."""
    return make_member(Role.PLATFORM_ADMIN, town.community_a, "community_admin")


def _changelist_ids(client, model: str) -> set[int]:
    response = client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "role",
    [
        Role.OPERATOR,
        Role.DEPARTMENT_HANDLER,
        Role.COMMUNITY_STAFF,
        Role.GRID_WORKER,
        Role.PROPERTY_STAFF,
        Role.RESIDENT,
    ],
)
def test_admin_refuses_everyone_but_platform_administrators(client, town, make_member, role):
    sign_in_as(client, make_member(role, town.town))

    index = client.get(reverse("admin:index"))
    cells = client.get(reverse("admin:grids_cell_changelist"))

    assert (index.status_code, cells.status_code) == (403, 403)


def test_platform_administrator_opens_the_admin_in_chinese(client, town, platform_admin):
    sign_in_as(client, platform_admin)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "网格治理平台 · 系统管理" in response.content.decode()


def test_admin_cell_list_is_limited_to_the_administrators_subtree(client, town, community_admin):
    sign_in_as(client, community_admin)

    ids = _changelist_ids(client, "grids_cell")

    assert ids == {town.community_a.pk, town.grid_a.pk, town.micro_a1.pk, town.micro_a2.pk}


def test_superuser_sees_every_cell_in_the_admin(client, town, django_user_model):
    sign_in_as(client, django_user_model.objects.create_superuser("root", password="x-long-pw-1"))

    ids = _changelist_ids(client, "grids_cell")

    assert ids == set(Cell.objects.values_list("pk", flat=True))


def test_admin_staff_and_membership_lists_are_scoped_by_cell(client, town, community_admin):
    inside = StaffAssignmentFactory(cell=town.micro_a1, post=Post.BUILDING_CHIEF)
    StaffAssignmentFactory(cell=town.grid_b, post=Post.GRID_WORKER)
    outsider = UserFactory()
    Membership.objects.create(user=outsider, cell=town.grid_b, role=Role.GRID_WORKER)
    sign_in_as(client, community_admin)

    staff_ids = _changelist_ids(client, "grids_staffassignment")
    membership_ids = _changelist_ids(client, "accounts_membership")

    assert staff_ids == {inside.pk}
    assert membership_ids == set(
        Membership.objects.filter(cell__code__startswith=town.community_a.code).values_list(
            "pk", flat=True
        )
    )
    assert membership_ids == {community_admin.memberships.get().pk}


def test_admin_user_list_holds_users_in_scope_and_unplaced_accounts_only(
    client, town, community_admin, make_member
):
    colleague = make_member(Role.GRID_WORKER, town.grid_a)
    outsider = make_member(Role.GRID_WORKER, town.grid_b)
    unplaced = UserFactory()
    sign_in_as(client, community_admin)

    ids = _changelist_ids(client, "accounts_user")

    assert ids == {community_admin.pk, colleague.pk, unplaced.pk}
    assert outsider.pk not in ids


def test_admin_change_of_a_cell_is_saved_and_audited(client, town, community_admin):
    # given
    sign_in_as(client, community_admin)
    url = reverse("admin:grids_cell_change", args=[town.grid_a.pk])
    before = AuditEntry.objects.count()

    # when
    response = client.post(
        url,
        {
            "code": town.grid_a.code,
            "name": "飞碟苑中心网格",
            "level": town.grid_a.level,
            "parent": town.community_a.pk,
            "sort_order": 3,
            "boundary": '{"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.1, 31.0], [121.1, 31.1], [121.0, 31.1], [121.0, 31.0]]]}',
            "is_active": "on",
        },
    )

    # then
    assert response.status_code == 302
    town.grid_a.refresh_from_db()
    assert town.grid_a.name == "飞碟苑中心网格"
    assert town.grid_a.max_lng == pytest.approx(121.1)
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id, entry.actor_id) == (
        "admin.change",
        "grids.cell",
        str(town.grid_a.pk),
        community_admin.pk,
    )
    assert entry.changes == {"fields": ["boundary", "name", "sort_order"]}


def test_admin_refuses_a_malformed_boundary_and_changes_nothing(client, town, community_admin):
    sign_in_as(client, community_admin)
    original = town.grid_a.boundary
    before = AuditEntry.objects.count()

    response = client.post(
        reverse("admin:grids_cell_change", args=[town.grid_a.pk]),
        {
            "code": town.grid_a.code,
            "name": "改名",
            "level": town.grid_a.level,
            "parent": town.community_a.pk,
            "sort_order": 0,
            "boundary": '{"type": "Polygon", "coordinates": [[[121.0, 31.0], [121.1, 31.1]]]}',
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["boundary"]
    town.grid_a.refresh_from_db()
    assert (town.grid_a.name, town.grid_a.boundary) == ("飞碟苑第一网格", original)
    assert AuditEntry.objects.count() == before


def test_admin_cannot_open_or_change_a_cell_outside_its_scope(client, town, community_admin):
    sign_in_as(client, community_admin)
    url = reverse("admin:grids_cell_change", args=[town.grid_b.pk])

    opened = client.get(url)
    posted = client.post(url, {"code": town.grid_b.code, "name": "被改名", "level": "grid"})

    assert opened.status_code == 302
    assert posted.status_code == 302
    town.grid_b.refresh_from_db()
    assert town.grid_b.name == "彭渡第一网格"


def test_admin_cannot_move_a_cell_under_a_parent_outside_its_scope(client, town, community_admin):
    sign_in_as(client, community_admin)

    response = client.post(
        reverse("admin:grids_cell_change", args=[town.micro_a1.pk]),
        {
            "code": town.micro_a1.code,
            "name": town.micro_a1.name,
            "level": town.micro_a1.level,
            "parent": town.grid_b.pk,
            "sort_order": 0,
            "boundary": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    town.micro_a1.refresh_from_db()
    assert town.micro_a1.parent_id == town.grid_a.pk


def test_admin_deletion_of_a_staff_assignment_is_audited(client, town, community_admin):
    assignment = StaffAssignmentFactory(cell=town.micro_a1, post=Post.BUILDING_CHIEF)
    sign_in_as(client, community_admin)

    response = client.post(
        reverse("admin:grids_staffassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not StaffAssignment.objects.filter(pk=assignment.pk).exists()
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.object_type, entry.object_id) == (
        "admin.delete",
        "grids.staffassignment",
        str(assignment.pk),
    )
    assert entry.object_label == f"building_chief @ {town.micro_a1.code}"


def test_audit_trail_in_the_admin_is_read_only(client, town, platform_admin):
    sign_in_as(client, platform_admin)
    entry = AuditEntry.objects.create(
        at=town.town.created_at, action="test.row", previous_hash="0" * 64, entry_hash="a" * 64
    )

    listed = client.get(reverse("admin:core_auditentry_changelist"))
    add = client.get(reverse("admin:core_auditentry_add"))
    change = client.post(
        reverse("admin:core_auditentry_change", args=[entry.pk]), {"action": "tampered"}
    )
    delete = client.post(reverse("admin:core_auditentry_delete", args=[entry.pk]), {"post": "yes"})

    assert listed.status_code == 200
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    entry.refresh_from_db()
    assert entry.action == "test.row"
