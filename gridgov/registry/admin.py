"""Admin classes of the people-and-housing registry, scoped by cell code and audited.

Registered on the GridGov admin site in ``gridgov.web.admin_site``. Places and the tag catalogue
can be maintained here; people, leases and imports are read-only — every write about a person
goes through ``registry.services`` (encryption, duplicate check, audit), and identifiers are
shown masked, as everywhere else (DESIGN D6).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import display as admin_display
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.admin import ScopedAdmin
from gridgov.accounts.roles import Perm
from gridgov.registry.presenters import masked_id_number, masked_phone


class _PlaceAdmin(ScopedAdmin):
    view_permission = Perm.PLACE_VIEW
    manage_permission = Perm.PLACE_MANAGE
    scope_code_field = "cell__code"


class EstateAdmin(_PlaceAdmin):
    list_display = ("code", "name", "kind", "cell", "property_company")
    list_filter = ("kind",)
    search_fields = ("code", "name", "address")
    list_select_related = ("cell", "property_company")
    ordering = ("code",)


class BuildingAdmin(_PlaceAdmin):
    list_display = ("label", "estate", "cell", "floors")
    search_fields = ("label", "estate__name", "address")
    list_select_related = ("estate", "cell")


class UnitAdmin(ScopedAdmin):
    view_permission = Perm.PLACE_VIEW
    manage_permission = Perm.PLACE_MANAGE
    scope_code_field = "building__cell__code"
    list_display = ("label", "building")
    search_fields = ("label", "building__label", "building__estate__name")
    list_select_related = ("building__estate",)


class DwellingAdmin(_PlaceAdmin):
    list_display = ("address", "use", "area_m2", "floor", "cell")
    list_filter = ("use",)
    search_fields = ("address", "room")
    list_select_related = ("cell",)
    raw_id_fields = ("building", "unit")


class TagAdmin(ScopedAdmin):
    view_permission = Perm.ADMIN_SITE
    manage_permission = Perm.ADMIN_SITE
    list_display = ("name", "code", "kind", "sensitivity", "sort_order", "is_active")
    list_filter = ("kind", "sensitivity", "is_active")
    search_fields = ("code", "name")
    ordering = ("sort_order", "code")

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Tags carried by people are kept; deactivate them instead.
        return False


class _ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PersonAdmin(_ReadOnlyAdmin):
    view_permission = Perm.PERSON_VIEW
    scope_code_field = "cell__code"
    list_display = ("pk", "name", "id_type", "masked_id", "masked_phone", "cell", "verified_at")
    list_filter = ("id_type", "is_migrant", "is_deceased")
    search_fields = ("name", "name_pinyin", "name_initials")
    list_select_related = ("cell",)
    fields = (
        "name",
        "id_type",
        "masked_id",
        "masked_phone",
        "sex",
        "birth_date",
        "ethnicity",
        "hukou_address",
        "is_migrant",
        "contact_name",
        "cell",
        "is_deceased",
        "verified_at",
        "version",
    )
    readonly_fields = fields

    @admin_display(description=_("document number"))
    def masked_id(self, obj: Any) -> str:
        return masked_id_number(obj)

    @admin_display(description=_("phone"))
    def masked_phone(self, obj: Any) -> str:
        return masked_phone(obj)

    def audit_label(self, obj: Model) -> str:
        return f"person {obj.pk}"


class LeaseAdmin(_ReadOnlyAdmin):
    view_permission = Perm.PERSON_VIEW
    scope_code_field = "dwelling__cell__code"
    list_display = ("pk", "dwelling", "started_on", "ends_on", "status", "is_group_rental_warning")
    list_filter = ("status", "is_group_rental_warning")
    list_select_related = ("dwelling",)
    fields = ("dwelling", "started_on", "ends_on", "status", "registered_at", "registered_by")
    readonly_fields = fields


class ImportJobAdmin(_ReadOnlyAdmin):
    view_permission = Perm.ADMIN_SITE
    list_display = ("pk", "kind", "status", "original_name", "created_by", "created_at")
    list_filter = ("kind", "status")
    fields = (
        "kind",
        "status",
        "original_name",
        "cell",
        "created_by",
        "created_at",
        "total_rows",
        "error_count",
        "created_count",
        "updated_count",
        "message",
    )
    readonly_fields = fields
