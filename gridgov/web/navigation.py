"""The signed-in shell's navigation: what each item needs, decided by permission codes only.

No role names here: a role shows an item because it grants the item's permission code
somewhere (``gridgov.accounts.scoping.has_permission``), so a new role needs no template change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    icon: str
    # One code, or alternatives (any of them shows the item), or None for everyone.
    permission: str | tuple[str, ...] | None
    # View names (``namespace:name``) under which the item is highlighted.
    active_for: tuple[str, ...]


@dataclass(frozen=True)
class NavSection:
    title: Promise
    items: tuple[NavItem, ...]


NAVIGATION: tuple[NavSection, ...] = (
    NavSection(
        _("Workbench"),
        (
            NavItem("home", _("Overview"), "web:home", "speedometer2", None, ("web:home",)),
            NavItem(
                "notifications",
                _("Notifications"),
                "cases:notifications",
                "bell",
                None,
                ("cases:notifications",),
            ),
            NavItem(
                "my_identity",
                _("My identity"),
                "registry:my_identity",
                "person-badge",
                Perm.PARTICIPATION_TAKE_PART,
                ("registry:my_identity",),
            ),
            NavItem(
                "alarms",
                _("Alarm board"),
                "alarms:board",
                "broadcast",
                Perm.ALARM_VIEW,
                ("alarms:board", "alarms:detail"),
            ),
            NavItem(
                "access",
                _("Gate access"),
                "access:flows",
                "door-open",
                Perm.ACCESS_VIEW,
                ("access:flows", "access:absence"),
            ),
        ),
    ),
    NavSection(
        _("Cases"),
        (
            NavItem(
                "cases",
                _("Case queues"),
                "cases:queue",
                "inboxes",
                (Perm.CASE_VIEW, Perm.CASE_REPORT),
                ("cases:queue", "cases:case_detail"),
            ),
            NavItem(
                "case_report",
                _("Report a problem"),
                "cases:report",
                "megaphone",
                Perm.CASE_REPORT,
                ("cases:report",),
            ),
            NavItem(
                "case_hotline",
                _("Hotline intake"),
                "cases:hotline",
                "telephone-inbound",
                Perm.CASE_INTAKE,
                ("cases:hotline",),
            ),
            NavItem(
                "case_visits",
                _("Visits"),
                "cases:visit_home",
                "qr-code-scan",
                Perm.CASE_VISIT,
                ("cases:visit_home", "cases:visit", "cases:qr_sheet"),
            ),
            NavItem(
                "case_map", _("Case map"), "cases:map", "pin-map", Perm.CASE_VIEW, ("cases:map",)
            ),
            NavItem(
                "case_statistics",
                _("Case statistics"),
                "cases:statistics",
                "bar-chart-line",
                Perm.CASE_STATISTICS,
                ("cases:statistics",),
            ),
        ),
    ),
    NavSection(
        _("Participation"),
        (
            NavItem(
                "votes",
                _("Owners' votes"),
                "participation:vote_list",
                "check2-square",
                Perm.PARTICIPATION_VIEW,
                (
                    "participation:vote_list",
                    "participation:vote_create",
                    "participation:vote_detail",
                    "participation:vote_record",
                    "participation:vote_result",
                    "participation:vote_ballots",
                ),
            ),
            NavItem(
                "my_votes",
                _("My votes"),
                "participation:my_votes",
                "ui-checks",
                Perm.PARTICIPATION_TAKE_PART,
                ("participation:my_votes", "participation:my_vote"),
            ),
            NavItem(
                "consultations",
                _("Consultations"),
                "participation:consultation_list",
                "chat-square-text",
                Perm.PARTICIPATION_VIEW,
                (
                    "participation:consultation_list",
                    "participation:consultation_create",
                    "participation:consultation_detail",
                    "participation:consultation_record",
                ),
            ),
            NavItem(
                "my_consultations",
                _("My consultations"),
                "participation:my_consultations",
                "chat-square-dots",
                Perm.PARTICIPATION_TAKE_PART,
                ("participation:my_consultations", "participation:my_consultation"),
            ),
            NavItem(
                "projects",
                _("Projects"),
                "participation:project_programme",
                "building-up",
                Perm.PARTICIPATION_VIEW,
                (
                    "participation:project_programme",
                    "participation:project_create",
                    "participation:project_detail",
                ),
            ),
            NavItem(
                "my_projects",
                _("My doorway's project"),
                "participation:my_projects",
                "building-check",
                Perm.PARTICIPATION_TAKE_PART,
                ("participation:my_projects",),
            ),
            NavItem(
                "ratings",
                _("Property-service rating"),
                "participation:rating_home",
                "star-half",
                (Perm.PARTICIPATION_VIEW, Perm.RATING_MANAGE, Perm.PARTICIPATION_TAKE_PART),
                (
                    "participation:rating_home",
                    "participation:rating_form",
                    "participation:service_items",
                    "participation:ranking",
                    "participation:ranking_latest",
                    "participation:score_detail",
                ),
            ),
            NavItem(
                "disclosure",
                _("Disclosure (四公开一监督)"),
                "participation:disclosure_list",
                "clipboard-data",
                (Perm.PARTICIPATION_VIEW, Perm.DISCLOSURE_EDIT, Perm.PARTICIPATION_TAKE_PART),
                (
                    "participation:disclosure_list",
                    "participation:disclosure",
                    "participation:disclosure_edit",
                ),
            ),
        ),
    ),
    NavSection(
        _("Grid management"),
        (
            NavItem(
                "tree",
                _("Areas and grids"),
                "grids:tree",
                "diagram-3",
                Perm.CELL_VIEW,
                ("grids:tree", "grids:cell_detail"),
            ),
            NavItem("map", _("Grid map"), "grids:map", "map", Perm.CELL_VIEW, ("grids:map",)),
            NavItem(
                "staff",
                _("Staff directory"),
                "web:staff",
                "people",
                Perm.STAFF_VIEW,
                ("web:staff",),
            ),
        ),
    ),
    NavSection(
        _("People and housing"),
        (
            NavItem(
                "people",
                _("People"),
                "registry:person_list",
                "person-vcard",
                Perm.PERSON_VIEW,
                ("registry:person_list", "registry:person_detail", "registry:person_register"),
            ),
            NavItem(
                "places",
                _("Housing"),
                "registry:place_list",
                "buildings",
                Perm.PLACE_VIEW,
                (
                    "registry:place_list",
                    "registry:estate_detail",
                    "registry:building_detail",
                    "registry:dwelling_detail",
                ),
            ),
            NavItem(
                "leases",
                _("Rental registration"),
                "registry:lease_list",
                "key",
                Perm.PERSON_VIEW,
                ("registry:lease_list", "registry:lease_register"),
            ),
            NavItem(
                "tags",
                _("Person tags"),
                "registry:tag_list",
                "tags",
                Perm.PERSON_VIEW,
                ("registry:tag_list",),
            ),
            NavItem(
                "imports",
                _("Excel import"),
                "registry:import_list",
                "file-earmark-spreadsheet",
                Perm.REGISTRY_IMPORT,
                ("registry:import_list", "registry:import_new", "registry:import_detail"),
            ),
            NavItem(
                "quality",
                _("Data quality"),
                "registry:quality",
                "clipboard-check",
                Perm.QUALITY_VIEW,
                ("registry:quality",),
            ),
        ),
    ),
    NavSection(
        _("System"),
        (
            NavItem(
                "admin",
                _("System administration"),
                "admin:index",
                "gear",
                Perm.ADMIN_SITE,
                ("admin:index",),
            ),
            NavItem(
                "api",
                _("API documentation"),
                "api-docs",
                "code-square",
                Perm.ADMIN_SITE,
                ("api-docs",),
            ),
        ),
    ),
)


def navigation_for(actor: Any, *, current_view: str | None) -> list[dict[str, Any]]:
    """The sections and items ``actor`` may use, with the current page's item marked active."""
    allowed: dict[str, bool] = {}

    def permitted(permission: str | tuple[str, ...] | None) -> bool:
        if permission is None:
            return True
        if isinstance(permission, tuple):
            return any(permitted(code) for code in permission)
        if permission not in allowed:
            allowed[permission] = has_permission(actor, permission)
        return allowed[permission]

    sections = []
    for section in NAVIGATION:
        items = [
            {
                "key": item.key,
                "label": item.label,
                "url": reverse(item.url_name),
                "icon": item.icon,
                "active": current_view in item.active_for,
            }
            for item in section.items
            if permitted(item.permission)
        ]
        if items:
            sections.append({"title": section.title, "items": items})
    return sections


def permitted_nav_keys(actor: Any) -> set[str]:
    """The keys of every navigation item ``actor`` may use (tests and quick links use it)."""
    return {
        item["key"]
        for section in navigation_for(actor, current_view=None)
        for item in section["items"]
    }
