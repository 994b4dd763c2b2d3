"""Admin classes for the area hierarchy and staff assignments, scoped by cell code.

Registered on the GridGov admin site in ``gridgov.web.admin_site``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.admin import ScopedAdmin
from gridgov.accounts.roles import Perm
from gridgov.grids.geo import InvalidBoundaryError, boundary_metrics
from gridgov.grids.models import Cell


class CellAdminForm(forms.ModelForm):
    class Meta:
        model = Cell
        fields = ("code", "name", "level", "parent", "sort_order", "boundary", "is_active")

    def clean_boundary(self) -> Any:
        boundary = self.cleaned_data.get("boundary")
        if boundary in (None, "", {}):
            return None
        try:
            boundary_metrics(boundary)
        except InvalidBoundaryError as error:
            raise forms.ValidationError(
                _("The boundary is not a valid GeoJSON polygon: %(reason)s"),
                params={"reason": error},
            ) from error
        return boundary

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code, parent = cleaned.get("code"), cleaned.get("parent")
        if code and parent is not None and not code.startswith(parent.code):
            self.add_error("code", _("A code must begin with its parent area's code."))
        return cleaned


class CellAdmin(ScopedAdmin):
    form = CellAdminForm
    view_permission = Perm.CELL_VIEW
    manage_permission = Perm.CELL_MANAGE
    scope_code_field = "code"
    list_display = ("code", "name", "level", "parent", "depth", "staff_count", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    ordering = ("code",)
    readonly_fields = (
        "depth",
        "area_km2",
        "descendant_count",
        "staff_count",
        "statistics_updated_at",
    )
    fieldsets = (
        (None, {"fields": ("code", "name", "level", "parent", "sort_order", "is_active")}),
        (_("Boundary"), {"fields": ("boundary", "area_km2")}),
        (
            _("Figures"),
            {"fields": ("depth", "descendant_count", "staff_count", "statistics_updated_at")},
        ),
    )

    def audit_label(self, obj: Model) -> str:
        return str(obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.depth = obj.parent.depth + 1 if obj.parent else 0
        for name in ("min_lng", "min_lat", "max_lng", "max_lat", "centroid_lng", "centroid_lat"):
            setattr(obj, name, None)
        obj.area_km2 = None
        if obj.boundary:
            metrics = boundary_metrics(obj.boundary)
            for name, value in vars(metrics).items():
                setattr(obj, name, value)
        super().save_model(request, obj, form, change)


class StaffAssignmentAdmin(ScopedAdmin):
    view_permission = Perm.STAFF_VIEW
    manage_permission = Perm.STAFF_MANAGE
    scope_code_field = "cell__code"
    list_display = ("user", "post", "cell", "started_on", "ended_on")
    list_filter = ("post",)
    search_fields = ("user__display_name", "user__username", "cell__code", "cell__name")
    autocomplete_fields = ("cell", "user")
    list_select_related = ("user", "cell")
    date_hierarchy = "started_on"

    def audit_label(self, obj: Model) -> str:
        assignment: Any = obj
        return f"{assignment.post} @ {assignment.cell.code}"
