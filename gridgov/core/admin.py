"""Admin class for the audit trail: read-only, registered by ``gridgov.web.admin_site``."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from gridgov.core.models import AuditEntry


class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is append-only: nobody adds, changes or deletes rows here."""

    list_display = (
        "id",
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "action", "object_type", "object_id")
    date_hierarchy = "at"
    ordering = ("-id",)
    readonly_fields = [field.name for field in AuditEntry._meta.fields]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
