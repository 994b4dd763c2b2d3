"""Accounts, organisations and memberships: who may create them and grant which roles.

Rules (DESIGN D7): a membership is granted over a cell only by someone holding
``accounts.manage_users`` over that cell, and nobody grants a role whose permissions reach
further than their own there. ``actor=None`` is the platform itself (management commands,
the demo generator), which may do all of it.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from gridgov.accounts.errors import AccessDeniedError
from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import forget_cached_memberships, has_permission
from gridgov.core.audit import audit_record


class _Cell(Protocol):
    pk: Any
    code: str


def _require(actor: User | None, permission: str, *, cell_code: str | None = None) -> None:
    if actor is not None and not has_permission(actor, permission, cell_code=cell_code):
        raise AccessDeniedError(_("You do not have permission to do this."))


def _require_reach(actor: User | None, role: str, cell_code: str) -> None:
    """The actor must manage users over the cell and hold every permission of ``role`` there."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")}, code="invalid_role")
    _require(actor, Perm.USER_MANAGE, cell_code=cell_code)
    if actor is None:
        return
    if any(
        not has_permission(actor, permission, cell_code=cell_code)
        for permission in ROLE_PERMISSIONS[role]
    ):
        raise AccessDeniedError(_("You cannot grant a role that reaches further than your own."))


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a sign-in account; the password must pass ``AUTH_PASSWORD_VALIDATORS``."""
    _require(actor, Perm.USER_MANAGE)
    username = username.strip()
    user = User(username=username, display_name=display_name.strip(), email=email.strip())
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("A user with that username already exists.")}, code="duplicate"
        )
    user.full_clean(exclude=["password"])
    validate_password(password, user=user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValidationError(
            {"username": _("A user with that username already exists.")}, code="duplicate"
        ) from error
    audit_record(actor=actor, action="accounts.user.created", target=user, object_label=username)
    return user


def _may_manage_user(actor: User, user: User) -> bool:
    if actor.is_superuser:
        return True
    cell_codes = list(user.memberships.filter(is_active=True).values_list("cell__code", flat=True))
    return bool(cell_codes) and all(
        has_permission(actor, Perm.USER_MANAGE, cell_code=code) for code in cell_codes
    )


@transaction.atomic
def user_set_password(
    *,
    actor: User | None,
    user: User,
    password: str,
    current_password: str | None = None,
) -> User:
    """Set a new password. Users changing their own give the current one; administrators
    need ``accounts.manage_users`` over every cell the user works in. API tokens issued
    with the old password stop working."""
    is_own = actor is not None and actor.pk == user.pk
    if is_own:
        if not user.check_password(current_password or ""):
            raise ValidationError(
                {"current_password": _("The current password is incorrect.")},
                code="wrong_password",
            )
    elif actor is not None and not _may_manage_user(actor, user):
        raise AccessDeniedError(_("You do not have permission to do this."))
    if user.check_password(password):
        raise ValidationError(
            {"password": _("The new password must differ from the current one.")},
            code="password_unchanged",
        )
    validate_password(password, user=user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    Token.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="accounts.password.changed",
        target=user,
        changes={"by": "self" if is_own else "administrator"},
    )
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: User | None,
    user: User,
    cell: _Cell,
    role: str,
    organization: Organization | None = None,
) -> Membership:
    """Give ``user`` the ``role`` over ``cell`` and its subtree (reactivating a revoked one)."""
    _require_reach(actor, role, cell.code)
    membership, created = Membership.objects.get_or_create(
        user=user, cell_id=cell.pk, role=role, defaults={"organization": organization}
    )
    if (
        not created
        and membership.is_active
        and membership.organization_id == getattr(organization, "pk", None)
    ):
        return membership
    membership.is_active = True
    membership.organization = organization
    membership.save(update_fields=["is_active", "organization"])
    forget_cached_memberships(user)
    audit_record(
        actor=actor,
        action="accounts.membership.granted",
        target=membership,
        object_label=f"{role}@{cell.code}",
        changes={"user": user.pk, "cell": cell.code, "role": role},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: User | None, membership: Membership) -> Membership:
    """End a membership; the row stays for the record."""
    membership = Membership.objects.select_related("cell").select_for_update().get(pk=membership.pk)
    _require_reach(actor, membership.role, membership.cell.code)
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    forget_cached_memberships(membership.user)
    audit_record(
        actor=actor,
        action="accounts.membership.revoked",
        target=membership,
        object_label=f"{membership.role}@{membership.cell.code}",
        changes={"user": membership.user_id, "cell": membership.cell.code},
    )
    return membership


@transaction.atomic
def organization_create(*, actor: User | None, code: str, name: str, kind: str) -> Organization:
    """Register a body staff work for (operations centre, department, committee, company)."""
    _require(actor, Perm.USER_MANAGE)
    organization = Organization(code=code.strip(), name=name.strip(), kind=kind)
    organization.full_clean()
    organization.save()
    audit_record(
        actor=actor,
        action="accounts.organization.created",
        target=organization,
        object_label=organization.name,
    )
    return organization
