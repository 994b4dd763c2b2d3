from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.errors import AccessDeniedError
from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Perm, Role
from gridgov.accounts.scoping import has_permission
from gridgov.accounts.selectors import membership_list_for_actor
from gridgov.accounts.services import (
    membership_grant,
    membership_revoke,
    organization_create,
    user_create,
    user_set_password,
)
from gridgov.accounts.tests.factories import UserFactory
from gridgov.core.models import AuditEntry


def test_user_create_validates_the_password_and_audits(platform_admin):
    user = user_create(
        actor=platform_admin, username="lixiaoming", password="mulberry-canal-windmill-8"
    )

    assert user.check_password("mulberry-canal-windmill-8")
    entry = AuditEntry.objects.get(action="accounts.user.created")
    assert (entry.actor_id, entry.object_id) == (platform_admin.pk, str(user.pk))


def test_user_create_refuses_a_common_password_and_creates_nothing(platform_admin):
    with pytest.raises(ValidationError) as raised:
        user_create(actor=platform_admin, username="lixiaoming", password="qwe123456789")

    assert "password_breached" in {error.code for error in raised.value.error_list}
    assert not User.objects.filter(username="lixiaoming").exists()


def test_user_create_refuses_a_username_differing_only_in_case(platform_admin, grid_worker_a):
    with pytest.raises(ValidationError):
        user_create(actor=platform_admin, username="GridWorker_A", password="mulberry-canal-8")

    assert User.objects.filter(username__iexact="gridworker_a").count() == 1


def test_platform_admin_grants_a_grid_worker_role_in_scope(platform_admin, town):
    user = UserFactory(username="newworker")

    membership = membership_grant(
        actor=platform_admin, user=user, cell=town.grid_b, role=Role.GRID_WORKER
    )

    assert (membership.cell_id, membership.role, membership.is_active) == (
        town.grid_b.pk,
        Role.GRID_WORKER,
        True,
    )
    assert has_permission(user, Perm.CELL_VIEW, cell_code=town.micro_b2.code) is True
    assert AuditEntry.objects.get(action="accounts.membership.granted").object_label == (
        f"grid_worker@{town.grid_b.code}"
    )


def test_an_operator_cannot_grant_roles(operator, town):
    user = UserFactory(username="newworker")

    with pytest.raises(AccessDeniedError):
        membership_grant(actor=operator, user=user, cell=town.grid_a, role=Role.GRID_WORKER)

    assert not Membership.objects.filter(user=user).exists()
    assert not AuditEntry.objects.filter(action="accounts.membership.granted").exists()


def test_nobody_grants_outside_their_subtree_or_above_their_reach(town, make_member):
    # given: a platform administrator of community A only
    admin_a = make_member(Role.PLATFORM_ADMIN, town.community_a, "admin_a")
    user = UserFactory(username="newworker")
    # when / then: not in community B, not over the whole town
    with pytest.raises(AccessDeniedError):
        membership_grant(actor=admin_a, user=user, cell=town.grid_b, role=Role.GRID_WORKER)
    with pytest.raises(AccessDeniedError):
        membership_grant(actor=admin_a, user=user, cell=town.town, role=Role.OPERATOR)
    assert not Membership.objects.filter(user=user).exists()


def test_revoking_a_membership_ends_its_scope_and_keeps_the_row(platform_admin, grid_worker_a):
    membership = grid_worker_a.memberships.get()

    membership_revoke(actor=platform_admin, membership=membership)

    membership.refresh_from_db()
    assert membership.is_active is False
    fresh = User.objects.get(pk=grid_worker_a.pk)
    assert has_permission(fresh, Perm.CELL_VIEW) is False
    assert AuditEntry.objects.filter(action="accounts.membership.revoked").count() == 1


def test_membership_list_shows_only_cells_where_the_actor_manages_users(town, make_member):
    admin_a = make_member(Role.PLATFORM_ADMIN, town.community_a, "admin_a")
    make_member(Role.GRID_WORKER, town.grid_a, "worker_in")
    make_member(Role.GRID_WORKER, town.grid_b, "worker_out")

    listed = membership_list_for_actor(actor=admin_a)

    assert [m.user.username for m in listed] == ["admin_a", "worker_in"]


def test_an_administrator_resets_a_password_and_old_api_tokens_stop_working(
    platform_admin, grid_worker_a
):
    from rest_framework.authtoken.models import Token

    Token.objects.create(user=grid_worker_a)

    user_set_password(actor=platform_admin, user=grid_worker_a, password="harbour-fig-lamp-51")

    grid_worker_a.refresh_from_db()
    assert grid_worker_a.check_password("harbour-fig-lamp-51")
    assert not Token.objects.filter(user=grid_worker_a).exists()


def test_a_grid_worker_cannot_reset_someone_elses_password(grid_worker_a, operator):
    old_hash = operator.password

    with pytest.raises(AccessDeniedError):
        user_set_password(actor=grid_worker_a, user=operator, password="harbour-fig-lamp-51")

    operator.refresh_from_db()
    assert operator.password == old_hash


def test_organization_create_needs_user_management(platform_admin, grid_worker_a):
    created = organization_create(
        actor=platform_admin, code="minhang-ccc", name="城运中心", kind="operations_centre"
    )

    with pytest.raises(AccessDeniedError):
        organization_create(actor=grid_worker_a, code="x", name="X", kind="other")

    assert list(Organization.objects.values_list("code", flat=True)) == [created.code]
