"""Open311 client systems in the admin site: issue a key (shown once), revoke keys.

A platform administrator adds a client system by name; the key is issued by the service and
shown on the next page only. Keys are revoked with the list's action; nothing is deleted, so
the cases a client filed keep their source.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.cases.admin import ApiClientAdmin
from gridgov.cases.models import ApiClient
from gridgov.cases.services.api_clients import api_client_issue, api_client_revoke


class ApiClientIssueForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ("name", "contact")


@admin.action(description=gettext_lazy("Revoke the selected keys"))
def revoke_keys(modeladmin: Any, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
    count = 0
    for client in queryset.filter(revoked_at__isnull=True):
        api_client_revoke(actor=request.user, client_id=client.pk)
        count += 1
    messages.success(request, _("%(count)d keys revoked.") % {"count": count})


class Open311ClientAdmin(ApiClientAdmin):
    """Issue on add, revoke by action; no edits, no deletes."""

    manage_permission = Perm.OPEN311_CLIENTS  # type: ignore[assignment]
    list_display = (  # type: ignore[assignment]
        "name",
        "contact",
        "key_prefix",
        "issued_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("name", "contact", "key_prefix")
    actions = [revoke_keys]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiClientIssueForm
            kwargs["fields"] = ("name", "contact")
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The list's revoke action needs the change right; a client's fields stay read-only.
        return self._holds(request, self.manage_permission)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiClient, form: Any, change: bool) -> None:
        if change:
            return
        client, key = api_client_issue(actor=request.user, name=obj.name, contact=obj.contact)
        obj.pk = client.pk
        obj.__dict__.update({k: v for k, v in client.__dict__.items() if not k.startswith("_")})
        request._open311_issued_key = key  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # the service wrote the audit row

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: Any = None
    ) -> HttpResponse:
        key = getattr(request, "_open311_issued_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "client": obj,
            "key": key,
            "opts": self.opts,
            "title": _("Open311 API key issued"),
        }
        response = TemplateResponse(request, "admin/cases/apiclient/key_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response
