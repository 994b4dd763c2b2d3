"""Who may do what with a case (DESIGN D7 applied to cases).

* dispatchers (``CASE_DISPATCH``: operations centre, community staff) over the case's cell or
  the cell now handling it: route, merge, close, escalate, whistle, and any handler's step;
* handlers (``CASE_HANDLE``): the assignee; staff of the department or property company the
  case is routed to (department handlers, property staff) within their area; grid workers and
  others holding the permission over the cell by area;
* the reporter: comments and the rating;
* callback recorders (``CASE_CALLBACK``: operations centre, community staff) over the case's
  cell or the cell handling it: the satisfaction of a reporter without an account (回访), never
  for a case they worked on (``closure.callback_refusal``).
"""

from __future__ import annotations

from typing import Any

from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import active_memberships
from gridgov.cases.models import Case

# Roles whose reach over cases is their organisation's cases, not their whole area.
ORGANISATION_ROLES = frozenset({Role.DEPARTMENT_HANDLER, Role.PROPERTY_STAFF})


def is_authenticated(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


def organisations_of(actor: Any, permission: str = Perm.CASE_HANDLE) -> set[int]:
    """The organisations through which the actor holds ``permission``."""
    if not is_authenticated(actor):
        return set()
    return {
        organization
        for role, _code, organization in active_memberships(actor)
        if organization is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())
    }


def organisation_memberships(actor: Any, permission: str) -> list[tuple[str, str, int]]:
    """(role, cell code, organisation) of the actor's organisation-bound memberships."""
    if not is_authenticated(actor):
        return []
    return [
        (role, code, organization)
        for role, code, organization in active_memberships(actor)
        if role in ORGANISATION_ROLES
        and organization is not None
        and permission in ROLE_PERMISSIONS.get(role, frozenset())
    ]


def area_roles_scope_covers(actor: Any, permission: str, code: str) -> bool:
    """Whether a membership that is not organisation-bound grants ``permission`` over ``code``."""
    if not is_authenticated(actor):
        return False
    if actor.is_superuser:
        return True
    return any(
        code.startswith(cell_code)
        for role, cell_code, _organization in active_memberships(actor)
        if role not in ORGANISATION_ROLES and permission in ROLE_PERMISSIONS.get(role, frozenset())
    )


def _case_codes(case: Case) -> tuple[str, str]:
    return case.cell.code, case.handling_cell.code


def can_dispatch(actor: Any, case: Case) -> bool:
    return any(
        area_roles_scope_covers(actor, Perm.CASE_DISPATCH, code) for code in _case_codes(case)
    )


def handles_for_organisation(actor: Any, case: Case, *, include_summoned: bool = True) -> bool:
    organisations = {case.department_id, case.property_company_id} - {None}
    for _role, code, organization in organisation_memberships(actor, Perm.CASE_HANDLE):
        if not any(case_code.startswith(code) for case_code in _case_codes(case)):
            continue
        if organization in organisations:
            return True
        if (
            include_summoned
            and case.is_whistled
            and case.whistles.filter(summonses__department_id=organization).exists()
        ):
            return True
    return False


def can_handle(actor: Any, case: Case) -> bool:
    """Whether the actor may take a handler's step (accept, start, resolve, return …)."""
    if not is_authenticated(actor):
        return False
    if case.assignee_id is not None and case.assignee_id == actor.pk:
        return True
    if can_dispatch(actor, case):
        return True
    if any(area_roles_scope_covers(actor, Perm.CASE_HANDLE, code) for code in _case_codes(case)):
        return True
    return handles_for_organisation(actor, case)


def can_grab(actor: Any, case: Case) -> bool:
    """抢单: property staff take an open, unassigned property matter in their company's estates."""
    if not is_authenticated(actor) or not case.category.is_property_matter or case.estate is None:
        return False
    company = case.estate.property_company_id
    if company is None:
        return False
    return any(
        role == Role.PROPERTY_STAFF and organization == company
        for role, _code, organization in organisation_memberships(actor, Perm.CASE_HANDLE)
    )


def can_view(actor: Any, case: Case) -> bool:
    if not is_authenticated(actor):
        return False
    if actor.is_superuser or case.reporter_id == actor.pk or case.assignee_id == actor.pk:
        return True
    if any(area_roles_scope_covers(actor, Perm.CASE_VIEW, code) for code in _case_codes(case)):
        return True
    if can_grab(actor, case) and case.is_open:
        return True
    for _role, code, organization in organisation_memberships(actor, Perm.CASE_VIEW):
        if not any(case_code.startswith(code) for case_code in _case_codes(case)):
            continue
        if organization in {case.department_id, case.property_company_id}:
            return True
        if (
            case.is_whistled
            and case.whistles.filter(summonses__department_id=organization).exists()
        ):
            return True
    return False
