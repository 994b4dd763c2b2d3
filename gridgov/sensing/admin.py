"""Admin classes of the sensing domain: devices (设备) and dead letters (死信), read-only.

Registered on the GridGov admin site in ``gridgov.web.admin_site``. Devices are registered,
changed and re-keyed through the services (audited, the secret shown once), so the admin only
shows them and offers deactivation through ``device_deactivate``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.admin import ScopedAdmin
from gridgov.accounts.roles import Perm
from gridgov.sensing import selectors
from gridgov.sensing.models import Device
from gridgov.sensing.services.devices import device_deactivate


class _ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.action(description=_("Deactivate the selected devices"))
def deactivate_devices(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Device]) -> None:
    done = 0
    for code in queryset.filter(is_active=True).values_list("code", flat=True):
        try:
            device_deactivate(actor=request.user, code=code)
        except PermissionDenied:
            continue
        done += 1
    modeladmin.message_user(
        request, _("%(count)d device(s) deactivated.") % {"count": done}, messages.SUCCESS
    )


class DeviceAdmin(_ReadOnlyAdmin):
    view_permission = Perm.DEVICE_VIEW
    scope_code_field = "cell__code"
    list_display = ("code", "name", "category", "cell", "owner", "is_online", "last_seen_at")
    list_filter = ("category", "is_online", "is_active")
    search_fields = ("code", "name", "address")
    list_select_related = ("cell", "owner")
    fields = (
        "code",
        "name",
        "category",
        "cell",
        "estate",
        "building",
        "lng",
        "lat",
        "address",
        "owner",
        "gateway",
        "heartbeat_interval_seconds",
        "last_seen_at",
        "is_online",
        "is_active",
        "secret_rotated_at",
        "created_at",
    )
    readonly_fields = fields
    actions = [deactivate_devices]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.device_list_for_actor(actor=request.user, include_inactive=True)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        if not self._holds(request, Perm.DEVICE_MANAGE):
            found.pop("deactivate_devices", None)
        return found


class DeadLetterAdmin(_ReadOnlyAdmin):
    """Refused messages by reason. The payload is not shown: it may carry a card number."""

    view_permission = Perm.DEVICE_MANAGE
    list_display = ("received_at", "reason", "channel", "topic", "device_code", "size")
    list_filter = ("reason", "channel")
    search_fields = ("device_code", "topic")
    fields = ("received_at", "reason", "detail", "channel", "topic", "device_code", "size")
    readonly_fields = fields
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.dead_letter_list_for_actor(actor=request.user)
