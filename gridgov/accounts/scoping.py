"""The one scoping mechanism every selector uses (DESIGN D7).

``scope_for(actor, permission)`` answers *where* the actor holds a permission: nowhere, the
whole platform, or the subtrees of some cells. Cells carry their code as a materialised path
(a child's code extends its parent's, GB/T 2260 style), so "in scope" is a prefix test that the
database answers from an index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet

from gridgov.accounts.roles import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from gridgov.accounts.models import User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Scope:
    """Where a permission is held: ``is_global`` or under each of ``cell_codes``."""

    is_global: bool = False
    cell_codes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.is_global and not self.cell_codes

    def covers(self, cell_code: str) -> bool:
        return self.is_global or any(cell_code.startswith(code) for code in self.cell_codes)

    def q(self, code_field: str) -> Q:
        """A filter on ``code_field`` (a cell code, possibly across relations)."""
        if self.is_global:
            return Q()
        if not self.cell_codes:
            return Q(pk__in=[])
        condition = Q()
        for code in self.cell_codes:
            condition |= Q(**{f"{code_field}__startswith": code})
        return condition

    def filter(self, queryset: QuerySet[M], *, code_field: str) -> QuerySet[M]:
        if self.is_global:
            return queryset
        if not self.cell_codes:
            return queryset.none()
        return queryset.filter(self.q(code_field))


def _outermost(codes: set[str]) -> tuple[str, ...]:
    """Drop codes already covered by a shorter one, so filters stay small."""
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(parent) for parent in kept):
            kept.append(code)
    return tuple(sorted(kept))


def active_memberships(actor: User) -> list[tuple[str, str, int | None]]:
    """(role, cell code, organisation id) for each active membership, cached on the user."""
    cached: Any = getattr(actor, "_gridgov_memberships", None)
    if cached is None:
        cached = list(
            actor.memberships.filter(is_active=True, cell__is_active=True).values_list(
                "role", "cell__code", "organization_id"
            )
        )
        actor._gridgov_memberships = cached  # type: ignore[attr-defined]
    return list(cached)


def forget_cached_memberships(actor: User) -> None:
    if hasattr(actor, "_gridgov_memberships"):
        del actor._gridgov_memberships


def scope_for(actor: User | Any, permission: str) -> Scope:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Scope()
    if actor.is_superuser:
        return Scope(is_global=True)
    codes = {
        cell_code
        for role, cell_code, _organization in active_memberships(actor)
        if permission in ROLE_PERMISSIONS.get(role, frozenset())
    }
    return Scope(cell_codes=_outermost(codes))


def has_permission(actor: User | Any, permission: str, *, cell_code: str | None = None) -> bool:
    """Whether the actor holds ``permission`` anywhere, or over ``cell_code`` when given."""
    scope = scope_for(actor, permission)
    if cell_code is None:
        return not scope.is_empty
    return scope.covers(cell_code)


def roles_of(actor: User) -> set[str]:
    if not actor.is_authenticated:
        return set()
    return {role for role, _code, _organization in active_memberships(actor)}
