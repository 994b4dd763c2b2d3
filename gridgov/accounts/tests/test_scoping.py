from __future__ import annotations

from django.apps import apps

from gridgov.accounts.models import User
from gridgov.accounts.roles import ALL_PERMISSIONS, ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import Scope, has_permission, scope_for
from gridgov.accounts.selectors import navigation_permissions, user_roles
from gridgov.accounts.tests.factories import MembershipFactory

# accounts never imports gridgov.grids (DESIGN D2); the model comes from the registry.
Cell = apps.get_model("grids", "Cell")


def test_grid_worker_scope_is_the_own_grid_subtree(town, grid_worker_a):
    scope = scope_for(grid_worker_a, Perm.CELL_VIEW)

    visible = scope.filter(Cell.objects.all(), code_field="code")

    assert scope == Scope(cell_codes=(town.grid_a.code,))
    assert list(visible.values_list("code", flat=True)) == [
        town.grid_a.code,
        town.micro_a1.code,
        town.micro_a2.code,
    ]


def test_grid_worker_cannot_see_cells_outside_own_grid(town, grid_worker_a):
    assert has_permission(grid_worker_a, Perm.CELL_VIEW, cell_code=town.micro_a2.code) is True
    assert has_permission(grid_worker_a, Perm.CELL_VIEW, cell_code=town.grid_b.code) is False
    assert has_permission(grid_worker_a, Perm.CELL_VIEW, cell_code=town.community_a.code) is False


def test_a_permission_the_role_lacks_gives_an_empty_scope(town, grid_worker_a):
    scope = scope_for(grid_worker_a, Perm.USER_MANAGE)

    assert scope.is_empty is True
    assert scope.filter(Cell.objects.all(), code_field="code").count() == 0
    assert has_permission(grid_worker_a, Perm.USER_MANAGE) is False


def test_nested_memberships_collapse_to_the_outermost_cell(town, make_member):
    user = make_member(Role.COMMUNITY_STAFF, town.community_a)
    MembershipFactory(user=user, cell=town.grid_a, role=Role.GRID_WORKER)
    MembershipFactory(user=user, cell=town.micro_b1, role=Role.GRID_WORKER)

    scope = scope_for(user, Perm.CELL_VIEW)

    assert scope.cell_codes == (town.community_a.code, town.micro_b1.code)
    assert scope.filter(Cell.objects.all(), code_field="code").count() == 5


def test_an_inactive_membership_grants_nothing(town, grid_worker_a):
    grid_worker_a.memberships.update(is_active=False)
    fresh = User.objects.get(pk=grid_worker_a.pk)

    assert scope_for(fresh, Perm.CELL_VIEW).is_empty is True
    assert navigation_permissions(actor=fresh) == set()


def test_a_superuser_has_a_global_scope(db):
    root = User.objects.create_superuser("root-admin", password="irrelevant-pass-7731")

    assert scope_for(root, Perm.AUDIT_VIEW) == Scope(is_global=True)
    assert navigation_permissions(actor=root) == set(ALL_PERMISSIONS)


def test_scope_filter_follows_relations_by_code_field(town, grid_worker_a, make_member):
    make_member(Role.RESIDENT, town.micro_a1, "resident_in")
    make_member(Role.RESIDENT, town.micro_b1, "resident_out")
    memberships = grid_worker_a.memberships.model.objects.filter(role=Role.RESIDENT)

    visible = scope_for(grid_worker_a, Perm.CELL_VIEW).filter(memberships, code_field="cell__code")

    assert [membership.user.username for membership in visible] == ["resident_in"]


def test_navigation_permissions_are_the_union_of_the_roles_held(town, make_member):
    user = make_member(Role.OPERATOR, town.town)
    MembershipFactory(user=user, cell=town.community_a, role=Role.COMMUNITY_STAFF)

    assert user_roles(actor=user) == {Role.OPERATOR, Role.COMMUNITY_STAFF}
    assert navigation_permissions(actor=user) == (
        ROLE_PERMISSIONS[Role.OPERATOR] | ROLE_PERMISSIONS[Role.COMMUNITY_STAFF]
    )
    assert Perm.AUDIT_VIEW in navigation_permissions(actor=user)
    assert Perm.STAFF_MANAGE in navigation_permissions(actor=user)
