"""Context every page gets: the demo flag, the navigation and who is signed in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

import gridgov
from gridgov.accounts.roles import Role
from gridgov.accounts.scoping import active_memberships
from gridgov.web.navigation import navigation_for


def _role_labels(user: Any) -> list[str]:
    codes = {role for role, _cell, _organization in active_memberships(user)}
    # Role order (most reach first), so the chip reads the same on every page.
    labels = [str(role.label) for role in Role if role.value in codes]
    if user.is_superuser and not labels:
        labels.append(str(_("Superuser")))
    return labels


def shell(request: HttpRequest) -> dict[str, Any]:
    context: dict[str, Any] = {
        "demo_mode": settings.DEMO_MODE,
        "gridgov_version": gridgov.__version__,
        "map_tile_url": settings.MAP_TILE_URL,
        "map_tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    match = getattr(request, "resolver_match", None)
    name = str(user) or user.get_username()
    context.update(
        nav_sections=navigation_for(user, current_view=match.view_name if match else None),
        shell_user_name=name,
        shell_user_initial=name[:1].upper(),
        shell_user_roles=_role_labels(user),
    )
    return context
