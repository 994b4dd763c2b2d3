"""Admin classes of the cases domain: the catalogue and the local calendar overrides.

Registered on the GridGov admin site in ``gridgov.web.admin_site``. Cases themselves are
worked through their pages and services (a timeline is append-only), never edited here.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.admin import ScopedAdmin
from gridgov.accounts.roles import Perm
from gridgov.cases.models import Category

_DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = (
            "code",
            "name",
            "parent",
            "description",
            "keywords",
            "department",
            "is_property_matter",
            "accept_within",
            "accept_unit",
            "resolve_within",
            "resolve_unit",
            "required_fields",
            "attributes",
            "is_active",
            "sort_order",
        )

    def clean_required_fields(self) -> list[str]:
        value = self.cleaned_data.get("required_fields") or []
        allowed = set(Category.RequiredField.values)
        if not isinstance(value, list) or any(item not in allowed for item in value):
            raise ValidationError(
                _("Required fields must be a list of: %(allowed)s."),
                params={"allowed": ", ".join(sorted(allowed))},
            )
        return value

    def clean_attributes(self) -> list[dict[str, object]]:
        value = self.cleaned_data.get("attributes") or []
        if not isinstance(value, list):
            raise ValidationError(_("Questions must be a list."))
        for item in value:
            if not isinstance(item, dict) or not item.get("code"):
                raise ValidationError(_("Every question needs a code."))
            if item.get("datatype", "string") not in _DATATYPES:
                raise ValidationError(
                    _("Unknown datatype of question %(code)s."), params={"code": item["code"]}
                )
            if item.get("datatype") in {"singlevaluelist", "multivaluelist"} and not item.get(
                "values"
            ):
                raise ValidationError(
                    _("Question %(code)s needs its values."), params={"code": item["code"]}
                )
        return value


class CategoryAdmin(ScopedAdmin):
    form = CategoryAdminForm
    view_permission = Perm.CASE_CATALOGUE
    manage_permission = Perm.CASE_CATALOGUE
    list_display = (
        "name",
        "code",
        "parent",
        "department",
        "is_property_matter",
        "accept_within",
        "accept_unit",
        "resolve_within",
        "resolve_unit",
        "is_active",
    )
    list_filter = ("is_active", "is_property_matter", "parent")
    search_fields = ("name", "code", "keywords")
    ordering = ("sort_order", "code")


class CalendarOverrideAdmin(ScopedAdmin):
    """The local override table: a day declared working or off here, whatever the national
    calendar says."""

    view_permission = Perm.CASE_CATALOGUE
    manage_permission = Perm.CASE_CATALOGUE
    list_display = ("day", "is_working_day", "note")
    list_filter = ("is_working_day",)
    ordering = ("-day",)


class ApiClientAdmin(ScopedAdmin):
    """Open311 client systems; keys are issued and revoked on their own page."""

    view_permission = Perm.OPEN311_CLIENTS
    manage_permission = None
    list_display = ("name", "key_prefix", "issued_at", "revoked_at", "last_used_at")
    readonly_fields = (
        "name",
        "contact",
        "key_prefix",
        "issued_by",
        "issued_at",
        "revoked_at",
        "last_used_at",
    )
