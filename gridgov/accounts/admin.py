"""Admin classes for accounts, and the scoped, audited base every GridGov ModelAdmin uses.

The classes are registered on the GridGov admin site (``gridgov.web.admin_site``), never on
Django's default site. What an administrator sees and changes follows the same permission codes
and cell scope as the pages (DESIGN D7); every write through the admin is an audit row (D8).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.accounts.services.work_phones import user_set_work_phone, work_phone_normalize
from gridgov.core.audit import audit_record

CELL_MODEL_LABEL = "grids.Cell"


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows, choices and permissions follow the actor's scope.

    ``view_permission`` lets a user see the model; ``manage_permission`` lets them add, change
    and delete; ``scope_code_field`` is the path to the cell code rows are scoped by (``None``
    for models that belong to no cell).
    """

    view_permission: str = Perm.ADMIN_SITE
    manage_permission: str | None = None
    scope_code_field: str | None = None

    # --- permissions --------------------------------------------------------------------
    def _holds(self, request: HttpRequest, permission: str | None) -> bool:
        return permission is not None and has_permission(request.user, permission)

    def _covers(self, request: HttpRequest, obj: Model | None, permission: str | None) -> bool:
        if obj is None or self.scope_code_field is None or permission is None:
            return True
        code = self.object_cell_code(obj)
        return code is not None and scope_for(request.user, permission).covers(code)

    def object_cell_code(self, obj: Model) -> str | None:
        value: Any = obj
        for part in (self.scope_code_field or "").split("__"):
            value = getattr(value, part, None)
            if value is None:
                return None
        return str(value)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._holds(request, self.view_permission)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return (
            self._holds(request, self.view_permission)
            and self._covers(request, obj, self.view_permission)
        ) or self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._holds(request, self.manage_permission)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._holds(request, self.manage_permission) and self._covers(
            request, obj, self.manage_permission
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    # --- rows and choices ---------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if self.scope_code_field is None:
            return queryset
        return scope_for(request.user, self.view_permission).filter(
            queryset, code_field=self.scope_code_field
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if related is not None and related._meta.label == CELL_MODEL_LABEL:
            permission = self.manage_permission or self.view_permission
            kwargs["queryset"] = scope_for(request.user, permission).filter(
                related._default_manager.filter(is_active=True), code_field="code"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # --- audit ----------------------------------------------------------------------------
    def audit_label(self, obj: Model) -> str:
        """A label for the audit row; never personal data (names of people stay out)."""
        return ""

    def _audit(
        self, request: HttpRequest, action: str, obj: Model, changes: dict[str, Any]
    ) -> None:
        audit_record(
            actor=request.user,  # type: ignore[arg-type]
            action=action,
            target=obj,
            object_label=self.audit_label(obj),
            changes=changes,
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._audit(
            request,
            "admin.change" if change else "admin.add",
            obj,
            {"fields": sorted(form.changed_data)} if change else {},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit(request, "admin.delete", obj, {})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._audit(request, "admin.delete", obj, {})
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit(request, "admin.add", obj, {})
        for obj, fields in formset.changed_objects:
            self._audit(request, "admin.change", obj, {"fields": sorted(fields)})
        for obj in formset.deleted_objects:
            self._audit(request, "admin.delete", obj, {})


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("cell", "role", "organization", "is_active")
    autocomplete_fields = ("cell",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return scope_for(request.user, Perm.USER_MANAGE).filter(
            super().get_queryset(request), code_field="cell__code"
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related = db_field.related_model
        if related is not None and related._meta.label == CELL_MODEL_LABEL:
            kwargs["queryset"] = scope_for(request.user, Perm.USER_MANAGE).filter(
                related._default_manager.filter(is_active=True), code_field="code"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_permission(request.user, Perm.USER_MANAGE)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_permission(request.user, Perm.USER_MANAGE)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_permission(request.user, Perm.USER_MANAGE)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_permission(request.user, Perm.USER_MANAGE)


class _WorkPhoneFields(forms.Form):
    """The work phone as the administrator types it; stored only through the service."""

    work_phone = forms.CharField(
        label=_("Work phone"),
        required=False,
        max_length=20,
        help_text=_("A mobile number for alarm SMS. Leave empty to keep the one on record."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )
    remove_work_phone = forms.BooleanField(label=_("Remove the work phone"), required=False)

    def clean_work_phone(self) -> str:
        raw = self.cleaned_data.get("work_phone", "")
        if not raw.strip():
            return ""
        try:
            return work_phone_normalize(raw)
        except ValidationError as error:
            raise ValidationError(error.message_dict["work_phone"]) from None


class UserChangeWithWorkPhoneForm(UserChangeForm, _WorkPhoneFields):  # type: ignore[misc]
    pass


class UserCreationWithWorkPhoneForm(AdminUserCreationForm, _WorkPhoneFields):  # type: ignore[misc]
    pass


class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    """Accounts with a membership in the actor's scope, and accounts not yet placed anywhere
    (a new account must be visible to the administrator who places it)."""

    view_permission = Perm.USER_MANAGE
    manage_permission = Perm.USER_MANAGE
    list_display = (
        "username",
        "display_name",
        "work_phone_masked",
        "is_active",
        "totp_confirmed_at",
        "last_login",
    )
    list_filter = ("is_active", "memberships__role")
    search_fields = ("username", "display_name")
    ordering = ("username",)
    inlines = (MembershipInline,)
    form = UserChangeWithWorkPhoneForm
    add_form = UserCreationWithWorkPhoneForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (None, {"fields": ("display_name", "is_active")}),
        (_("Work phone"), {"fields": ("work_phone", "work_phone_on_record", "remove_work_phone")}),
        (None, {"fields": ("totp_confirmed_at", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "work_phone", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("work_phone_on_record", "totp_confirmed_at", "last_login", "date_joined")

    @admin.display(description=_("Work phone"))
    def work_phone_masked(self, obj: Any) -> str:
        return str(obj.work_phone_masked or "—")

    @admin.display(description=_("Work phone on record"))
    def work_phone_on_record(self, obj: Any) -> str:
        return str(obj.work_phone_masked or "—")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        phone = form.cleaned_data.get("work_phone", "")
        if phone or form.cleaned_data.get("remove_work_phone"):
            user_set_work_phone(actor=request.user, user=obj, phone=phone)  # type: ignore[arg-type]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        scope = scope_for(request.user, Perm.USER_MANAGE)
        if scope.is_global:
            return queryset
        if scope.is_empty:
            return queryset.none()
        in_scope = Membership.objects.filter(scope.q("cell__code")).values("user_id")
        placed = Membership.objects.values("user_id")
        return queryset.filter(Q(pk__in=in_scope) | ~Q(pk__in=placed))

    def _covers(self, request: HttpRequest, obj: Model | None, permission: str | None) -> bool:
        if obj is None:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()


class MembershipAdmin(ScopedAdmin):
    view_permission = Perm.USER_MANAGE
    manage_permission = Perm.USER_MANAGE
    scope_code_field = "cell__code"
    list_display = ("user", "role", "cell", "organization", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "cell__code", "cell__name")
    autocomplete_fields = ("user", "cell")
    list_select_related = ("user", "cell", "organization")

    def audit_label(self, obj: Model) -> str:
        membership: Any = obj
        return f"{membership.role} @ {membership.cell_id and membership.cell.code}"


class OrganizationAdmin(ScopedAdmin):
    view_permission = Perm.USER_MANAGE
    manage_permission = Perm.USER_MANAGE
    list_display = ("name", "code", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")

    def audit_label(self, obj: Model) -> str:
        return str(obj)
