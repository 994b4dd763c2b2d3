"""Reads of the accounts app, always for an acting user (DESIGN D7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import ALL_PERMISSIONS, ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import active_memberships, roles_of, scope_for


def user_roles(*, actor: User | Any) -> set[str]:
    """The roles the actor holds anywhere (active memberships of active cells)."""
    return roles_of(actor) if getattr(actor, "is_authenticated", False) else set()


def navigation_permissions(*, actor: User | Any) -> set[str]:
    """Every permission code the actor holds somewhere: what the navigation may offer."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return set()
    if actor.is_superuser:
        return set(ALL_PERMISSIONS)
    held: set[str] = set()
    for role, _cell_code, _organization in active_memberships(actor):
        held |= ROLE_PERMISSIONS.get(role, frozenset())
    return held


def membership_list_for_actor(
    *, actor: User | Any, user: User | None = None, cell_code: str | None = None
) -> QuerySet[Membership]:
    """Active memberships in the cells where the actor manages users."""
    memberships = Membership.objects.filter(is_active=True).select_related(
        "user", "cell", "organization"
    )
    if user is not None:
        memberships = memberships.filter(user=user)
    if cell_code:
        memberships = memberships.filter(cell__code__startswith=cell_code)
    scope = scope_for(actor, Perm.USER_MANAGE)
    return scope.filter(memberships, code_field="cell__code").order_by("cell__code", "role")


@dataclass(frozen=True)
class ScopeCell:
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class MeSummary:
    """``GET /api/v1/me/``: who the caller is and where they may look."""

    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]
    is_global: bool
    cells: list[ScopeCell] = field(default_factory=list)
    two_factor_enabled: bool = False


def me_summary(*, actor: User) -> MeSummary:
    """The caller's roles, permissions and the outermost cells they may see (two queries)."""
    scope = scope_for(actor, Perm.CELL_VIEW)
    cells: list[ScopeCell] = []
    if scope.cell_codes:
        # Outermost scope cells are always cells of the actor's own memberships.
        rows = (
            actor.memberships.filter(is_active=True, cell__code__in=scope.cell_codes)
            .values_list("cell__code", "cell__name", "cell__level")
            .distinct()
            .order_by("cell__code")
        )
        seen: set[str] = set()
        for code, name, level in rows:
            if code not in seen:
                seen.add(code)
                cells.append(ScopeCell(code=code, name=name, level=level))
    role_order = {value: index for index, value in enumerate(Role.values)}
    return MeSummary(
        username=actor.get_username(),
        display_name=actor.display_name or actor.get_username(),
        roles=sorted(user_roles(actor=actor), key=lambda role: role_order.get(role, 99)),
        permissions=sorted(navigation_permissions(actor=actor)),
        is_global=scope.is_global,
        cells=cells,
        two_factor_enabled=actor.has_two_factor,
    )
