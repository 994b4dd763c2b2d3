"""Reading devices, events and dead letters — always for an acting user (DESIGN D7).

Staff see the devices of the cells they work in (``scope_for``). Property-company staff see
only their company's devices there. Events follow their device's visibility.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.scoping import Scope, active_memberships, has_permission, scope_for
from gridgov.sensing.models import DeadLetter, Device, Event


def _device_visibility(actor: Any, permission: str, prefix: str = "") -> Q | None:
    """A filter on devices (through ``prefix``) the actor may see, or ``None`` for nothing."""
    scope = scope_for(actor, permission)
    if scope.is_global:
        return Q()
    if scope.is_empty:
        return None
    area_codes: set[str] = set()
    condition = Q(pk__in=[])
    for role, cell_code, organization_id in active_memberships(actor):
        if permission not in ROLE_PERMISSIONS.get(role, frozenset()):
            continue
        if role == Role.PROPERTY_STAFF:
            if organization_id is not None:
                condition |= Q(
                    **{
                        f"{prefix}cell__code__startswith": cell_code,
                        f"{prefix}owner_id": organization_id,
                    }
                )
        else:
            area_codes.add(cell_code)
    if area_codes:
        condition |= Scope(cell_codes=tuple(sorted(area_codes))).q(f"{prefix}cell__code")
    return condition


def device_list_for_actor(
    *,
    actor: Any,
    category: str | None = None,
    cell_code: str | None = None,
    is_online: bool | None = None,
    include_inactive: bool = False,
    search: str | None = None,
) -> QuerySet[Device]:
    visible = _device_visibility(actor, Perm.DEVICE_VIEW)
    if visible is None:
        return Device.objects.none()
    devices = Device.objects.filter(visible).select_related(
        "cell", "owner", "estate", "building", "gateway"
    )
    if not include_inactive:
        devices = devices.filter(is_active=True)
    if category:
        devices = devices.filter(category=category)
    if cell_code:
        devices = devices.filter(cell__code__startswith=cell_code)
    if is_online is not None:
        devices = devices.filter(is_online=is_online)
    if search:
        devices = devices.filter(Q(code__icontains=search) | Q(name__icontains=search))
    return devices.order_by("code")


def device_get_for_actor(*, actor: Any, code: str) -> Device:
    """The device if the actor may see it; ``Device.DoesNotExist`` otherwise (no hint it exists)."""
    return device_list_for_actor(actor=actor, include_inactive=True).get(code=code)


def event_list_for_actor(
    *,
    actor: Any,
    device_code: str | None = None,
    kinds: Iterable[str] = (),
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> QuerySet[Event]:
    visible = _device_visibility(actor, Perm.EVENT_VIEW, prefix="device__")
    if visible is None:
        return Event.objects.none()
    events = Event.objects.filter(visible).select_related("device")
    if device_code:
        events = events.filter(device__code=device_code)
    kinds = [kind for kind in kinds if kind]
    if kinds:
        events = events.filter(kind__in=kinds)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_to is not None:
        events = events.filter(occurred_at__lt=occurred_to)
    return events.order_by("-occurred_at", "-id")


def dead_letters_visible(actor: Any) -> bool:
    """Dead letters are the platform's, not a place's: for those who manage devices."""
    return has_permission(actor, Perm.DEVICE_MANAGE)


def dead_letter_list_for_actor(
    *,
    actor: Any,
    reason: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> QuerySet[DeadLetter]:
    if not dead_letters_visible(actor):
        return DeadLetter.objects.none()
    letters = DeadLetter.objects.defer("payload")
    if reason:
        letters = letters.filter(reason=reason)
    if received_from is not None:
        letters = letters.filter(received_at__gte=received_from)
    if received_to is not None:
        letters = letters.filter(received_at__lt=received_to)
    return letters.order_by("-received_at", "-id")


def dead_letter_counts_for_actor(
    *,
    actor: Any,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> dict[str, int]:
    """Reason code → count, for the period."""
    letters = dead_letter_list_for_actor(
        actor=actor, received_from=received_from, received_to=received_to
    )
    return {
        row["reason"]: row["total"]
        for row in letters.order_by().values("reason").annotate(total=Count("id"))
    }
