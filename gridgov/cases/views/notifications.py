"""In-app notifications: the list page, marking one read, and the bell's unread count."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.notifications import notification_mark_read, notifications_for_user


@login_required
@never_cache
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    items = notifications_for_user(actor=request.user, unread_only=unread_only)
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "cases/notifications.html", {"page": page, "unread_only": unread_only})


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one read and go where it points (inside this site only)."""
    notification_mark_read(actor=request.user, notification_id=pk)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("cases:notifications")


@login_required
@never_cache
@require_GET
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The top bar's bell with the unread count (loaded by htmx on every page)."""
    count = notifications_for_user(actor=request.user, unread_only=True).count()
    return render(request, "cases/_bell.html", {"unread": count})
