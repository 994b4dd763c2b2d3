"""Pages about rentals (房屋租赁登记): the lease list by state, and registering a lease with the
landlord and every tenant in one form (tenant rows added with htmx)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.registry.models import Lease
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.dwellings import dwelling_get_for_actor
from gridgov.registry.selectors.leases import lease_list_for_actor
from gridgov.registry.services.exports import lease_export
from gridgov.registry.services.leases import lease_register
from gridgov.registry.views.common import can, paginate, require
from gridgov.registry.views.forms import LeaseDatesForm, PartyForm

EXPIRING_DAYS = 30
MAX_TENANTS = 30
VIEWS = ("active", "expiring", "expired", "ended", "all")


def _lease_filters(view: str, today: datetime.date) -> dict[str, Any]:
    if view == "expiring":
        return {"expiring_within_days": EXPIRING_DAYS, "today": today}
    if view == "expired":
        return {"expiring_within_days": -1, "today": today}
    if view == "active":
        return {"status": Lease.Status.ACTIVE}
    if view == "ended":
        return {"status": Lease.Status.ENDED}
    return {}


@login_required
@never_cache
@require_GET
def lease_list(request: HttpRequest) -> HttpResponse:
    """Leases in scope: active, expiring within 30 days (for follow-up), expired but still
    active, ended, or all — soonest end first."""
    require(request, Perm.PERSON_VIEW)
    view = request.GET.get("view", "expiring")
    view = view if view in VIEWS else "expiring"
    today = timezone.localdate()
    cell = request.GET.get("cell", "").strip()[:32] or None
    leases = lease_list_for_actor(actor=request.user, cell_code=cell, **_lease_filters(view, today))
    page = paginate(leases, request.GET)
    presenter = PersonPresenter(request.user)
    rows = [
        {
            "lease": lease,
            "landlord": presenter.row(lease.landlord),
            "tenants": [presenter.row(link.person) for link in lease.lease_tenants.all()],
            "days_left": (lease.ends_on - today).days,
            "overdue_days": max((today - lease.ends_on).days, 0),
        }
        for lease in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "view": view,
        "cell": cell or "",
        "views": [
            ("expiring", _("Expiring within 30 days")),
            ("expired", _("Past their end, still active")),
            ("active", _("Active")),
            ("ended", _("Ended")),
            ("all", _("All")),
        ],
        "can_register": can(request, Perm.LEASE_REGISTER),
        "can_export": can(request, Perm.REGISTRY_EXPORT),
    }
    return render(request, "registry/lease_list.html", context)


@login_required
@require_POST
def lease_export_view(request: HttpRequest) -> HttpResponse:
    require(request, Perm.REGISTRY_EXPORT)
    view = request.POST.get("view", "all")
    filters = _lease_filters(view if view in VIEWS else "all", timezone.localdate())
    filters.pop("today", None)
    try:
        export = lease_export(
            actor=request.user,
            cell_code=request.POST.get("cell", "").strip()[:32] or None,
            **filters,
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("registry:lease_list")
    response = HttpResponse(
        export.content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _tenant_count(data: Any) -> int:
    try:
        count = int(data.get("tenant_count", 1))
    except (TypeError, ValueError):
        count = 1
    return max(1, min(count, MAX_TENANTS))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def lease_register_view(request: HttpRequest) -> HttpResponse:
    """房屋租赁登记: the landlord registers together with every tenant, all or nothing."""
    require(request, Perm.LEASE_REGISTER)
    data = request.POST if request.method == "POST" else None
    dwelling = None
    dwelling_id = (request.POST or request.GET).get("dwelling_id", "")
    if dwelling_id.isdigit():
        try:
            dwelling = dwelling_get_for_actor(actor=request.user, dwelling_id=int(dwelling_id))
        except Http404:
            dwelling = None
    count = _tenant_count(request.POST) if data else 1
    dates = LeaseDatesForm(data, initial={"dwelling_id": dwelling.pk if dwelling else None})
    landlord = PartyForm(data, prefix="landlord")
    tenants = [PartyForm(data, prefix=f"tenant{index}") for index in range(count)]
    if data is not None:
        forms_valid = [dates.is_valid(), landlord.is_valid()] + [t.is_valid() for t in tenants]
        if dwelling is None:
            dates.add_error(None, _("Choose the dwelling that is let."))
        elif all(forms_valid):
            try:
                lease = lease_register(
                    actor=request.user,
                    dwelling_id=dwelling.pk,
                    landlord=landlord.person_ref(),
                    tenants=[tenant.person_ref() for tenant in tenants],
                    started_on=dates.cleaned_data["started_on"],
                    ends_on=dates.cleaned_data["ends_on"],
                )
            except ValidationError as error:
                _spread_errors(error, dates, landlord, tenants)
            except PermissionDenied as error:
                dates.add_error(None, str(error) or _("You do not have permission to do this."))
            else:
                if lease.is_group_rental_warning:
                    messages.warning(
                        request,
                        _(
                            "The lease was registered. Warning: this dwelling now has less floor "
                            "area per occupant than the limit (group renting, 群租); the grid "
                            "workers were notified."
                        ),
                    )
                else:
                    messages.success(request, _("The lease was registered with its tenants."))
                return redirect("registry:dwelling_detail", pk=dwelling.pk)
    context = {
        "dates": dates,
        "landlord": landlord,
        "tenants": tenants,
        "dwelling": dwelling,
        "tenant_count": count,
    }
    return render(request, "registry/lease_register.html", context, status=400 if data else 200)


def _spread_errors(
    error: ValidationError, dates: LeaseDatesForm, landlord: PartyForm, tenants: list[PartyForm]
) -> None:
    """Put ``landlord.name`` / ``tenants[2].id_number`` reasons on the right form and field."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            dates.add_error(None, message)
        return
    for key, errors in error.error_dict.items():
        form: Any = dates
        field = key
        if key.startswith("landlord"):
            form, field = landlord, key.partition(".")[2]
        elif key.startswith("tenants["):
            index_text, _sep, field = key[len("tenants[") :].partition("]")
            field = field.lstrip(".")
            index = int(index_text) if index_text.isdigit() else 0
            form = tenants[index] if index < len(tenants) else dates
        target = field if field in form.fields else None
        for item in errors:
            form.add_error(target, item.messages)


@login_required
@require_GET
def lease_tenant_row(request: HttpRequest) -> HttpResponse:
    """One more empty tenant row for the lease form (htmx)."""
    require(request, Perm.LEASE_REGISTER)
    try:
        index = max(0, min(int(request.GET.get("index", "1")), MAX_TENANTS - 1))
    except ValueError:
        index = 1
    form = PartyForm(prefix=f"tenant{index}")
    return render(
        request,
        "registry/_tenant_row.html",
        {"form": form, "index": index, "number": index + 1, "next_index": index + 1},
    )
