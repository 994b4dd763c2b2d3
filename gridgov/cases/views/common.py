"""Helpers shared by the case pages: permission checks, uploads and the queue tabs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm, Role
from gridgov.accounts.scoping import has_permission, roles_of
from gridgov.cases.models import Status
from gridgov.cases.services import Upload

# Bootstrap colour of each status badge.
STATUS_TONES: dict[str, str] = {
    Status.NEW: "primary",
    Status.ACCEPTED: "info",
    Status.DISPATCHED: "info",
    Status.IN_PROGRESS: "warning",
    Status.RESOLVED: "success",
    Status.CLOSED: "secondary",
    Status.RETURNED: "danger",
    Status.SUSPENDED: "dark",
    Status.MERGED: "light",
}

# Marker colour of each status on the maps (the legend shows the same).
STATUS_COLORS: dict[str, str] = {
    Status.NEW: "#1f5fd1",
    Status.ACCEPTED: "#0b8fb3",
    Status.DISPATCHED: "#6d3fd8",
    Status.IN_PROGRESS: "#d97706",
    Status.RESOLVED: "#13804f",
    Status.CLOSED: "#6b7a90",
    Status.RETURNED: "#c2255c",
    Status.SUSPENDED: "#343a40",
    Status.MERGED: "#adb5bd",
}
LATE_COLOR = "#c92a2a"

# Queue tab → (label, icon, who sees the tab).
QUEUE_TABS: tuple[tuple[str, Any, str], ...] = (
    ("mine", _("Mine"), "person-check"),
    ("department", _("My department"), "building"),
    ("cell", _("My area"), "geo-alt"),
    ("late", _("Late"), "alarm"),
    ("whistled", _("Whistled"), "megaphone"),
    ("grab", _("To take"), "hand-index"),
    ("reported", _("My reports"), "chat-left-text"),
)


def require(request: HttpRequest, *permissions: str) -> None:
    """At least one of ``permissions`` somewhere, else 403."""
    if not any(has_permission(request.user, permission) for permission in permissions):
        raise PermissionDenied


def can(request: HttpRequest, permission: str) -> bool:
    return has_permission(request.user, permission)


def queue_tabs_for(actor: Any) -> list[str]:
    """The queue tabs a user has, decided by permission codes and organisation."""
    roles = roles_of(actor)
    tabs: list[str] = []
    handles = has_permission(actor, Perm.CASE_HANDLE)
    views = has_permission(actor, Perm.CASE_VIEW)
    if handles:
        tabs.append("mine")
    if handles and (roles & {Role.DEPARTMENT_HANDLER, Role.PROPERTY_STAFF} or actor.is_superuser):
        tabs.append("department")
    if views and (
        roles - {Role.DEPARTMENT_HANDLER, Role.PROPERTY_STAFF, Role.RESIDENT} or actor.is_superuser
    ):
        tabs.append("cell")
    if views:
        tabs.extend(["late", "whistled"])
    if Role.PROPERTY_STAFF in roles:
        tabs.append("grab")
    if has_permission(actor, Perm.CASE_REPORT):
        tabs.append("reported")
    return tabs


def upload_limit() -> int:
    return int(getattr(settings, "GRIDGOV_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))


def uploads_from(request: HttpRequest, *names: str) -> list[Upload]:
    """The files posted under ``names`` as the services take them. Oversized files are passed
    with their first bytes only beyond the limit check, so that the service refuses them."""
    limit = upload_limit()
    uploads: list[Upload] = []
    for name in names:
        for item in request.FILES.getlist(name):
            uploads.append(_upload(item, limit))
    return uploads


def _upload(item: UploadedFile, limit: int) -> Upload:
    # Never read a huge file into memory: one byte past the limit is enough for the size check
    # in the service to refuse it.
    oversized = bool(item.size and item.size > limit)
    data = item.read(limit + 1) if oversized else item.read()
    return Upload(
        name=item.name or "upload",
        content_type=item.content_type or "application/octet-stream",
        data=data,
    )


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None
