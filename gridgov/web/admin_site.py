"""The GridGov admin site: for platform administrators only, and scoped like the pages.

Django's default admin site is not routed; every model is registered here with the scoped,
audited ModelAdmins from each app's ``admin.py``. Entry needs ``Perm.ADMIN_SITE`` (platform
administrators; superusers hold every permission).
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.admin import MembershipAdmin, OrganizationAdmin, UserAdmin
from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.cases.admin import CalendarOverrideAdmin, CategoryAdmin
from gridgov.cases.models import ApiClient, Category
from gridgov.cases.open311.admin import Open311ClientAdmin
from gridgov.core.admin import AuditEntryAdmin
from gridgov.core.models import AuditEntry, CalendarOverride
from gridgov.grids.admin import CellAdmin, StaffAssignmentAdmin
from gridgov.grids.models import Cell, StaffAssignment
from gridgov.registry.admin import (
    BuildingAdmin,
    DwellingAdmin,
    EstateAdmin,
    ImportJobAdmin,
    LeaseAdmin,
    PersonAdmin,
    TagAdmin,
    UnitAdmin,
)
from gridgov.registry.models import (
    Building,
    Dwelling,
    Estate,
    ImportJob,
    Lease,
    Person,
    Tag,
    Unit,
)
from gridgov.sensing.admin import DeadLetterAdmin, DeviceAdmin
from gridgov.sensing.models import DeadLetter, Device


class GridGovAdminSite(admin.AdminSite):
    site_header = _("GridGov administration")
    site_title = _("GridGov administration")
    index_title = _("System administration")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active) and has_permission(user, Perm.ADMIN_SITE)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # A signed-in user without the permission gets a plain 403, not the admin's login.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            response: HttpResponse = inner(request, *args, **kwargs)
            return response

        return update_wrapper(guarded, inner)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Sign-in happens on the platform's own page (lockout, two-factor); a signed-in user
        without the permission is refused rather than sent round in circles."""
        if request.user.is_authenticated:
            raise PermissionDenied
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))


class ScopedAuditEntryAdmin(AuditEntryAdmin):
    """Read-only audit trail for holders of ``Perm.AUDIT_VIEW``."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return has_permission(request.user, Perm.AUDIT_VIEW)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return has_permission(request.user, Perm.AUDIT_VIEW)


admin_site = GridGovAdminSite(name="admin")
admin_site.register(Cell, CellAdmin)
admin_site.register(StaffAssignment, StaffAssignmentAdmin)
admin_site.register(User, UserAdmin)
admin_site.register(Membership, MembershipAdmin)
admin_site.register(Organization, OrganizationAdmin)
admin_site.register(AuditEntry, ScopedAuditEntryAdmin)
admin_site.register(Estate, EstateAdmin)
admin_site.register(Building, BuildingAdmin)
admin_site.register(Unit, UnitAdmin)
admin_site.register(Dwelling, DwellingAdmin)
admin_site.register(Tag, TagAdmin)
admin_site.register(Person, PersonAdmin)
admin_site.register(Lease, LeaseAdmin)
admin_site.register(ImportJob, ImportJobAdmin)
admin_site.register(ApiClient, Open311ClientAdmin)
admin_site.register(Category, CategoryAdmin)
admin_site.register(CalendarOverride, CalendarOverrideAdmin)
admin_site.register(Device, DeviceAdmin)
admin_site.register(DeadLetter, DeadLetterAdmin)


def admin_site_urls() -> Any:
    return admin_site.urls
