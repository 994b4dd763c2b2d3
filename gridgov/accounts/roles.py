"""Roles and the permission codes they grant (DESIGN D7).

A permission is always held *for a place*: a ``Membership(user, cell, role)`` grants the role's
codes over that cell and everything below it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    OPERATOR = "operator", _("Operations-centre operator")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PROPERTY_STAFF = "property_staff", _("Property-company staff")
    RESIDENT = "resident", _("Resident")


class Perm:
    """Permission codes. Named ``<area>.<verb>``; the area is the app that enforces it."""

    DASHBOARD_VIEW = "dashboard.view"
    CELL_VIEW = "grids.view_cell"
    CELL_MANAGE = "grids.manage_cell"
    STAFF_VIEW = "grids.view_staff"
    STAFF_MANAGE = "grids.manage_staff"
    USER_MANAGE = "accounts.manage_users"
    AUDIT_VIEW = "core.view_audit"
    ADMIN_SITE = "core.use_admin"
    # People and housing (registry)
    PLACE_VIEW = "registry.view_place"
    PLACE_MANAGE = "registry.manage_place"
    PERSON_VIEW = "registry.view_person"
    PERSON_MANAGE = "registry.manage_person"
    # Reveal one masked identifier in clear, with a stated purpose (audited).
    PERSON_REVEAL = "registry.reveal_person"
    # PIPL sensitive categories: minors under 14 and health-related data.
    SENSITIVE_VIEW = "registry.view_sensitive"
    LEASE_REGISTER = "registry.register_lease"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    QUALITY_VIEW = "registry.view_quality"
    # Cases (工单)
    CASE_REPORT = "cases.report"  # file a case about one's own surroundings
    CASE_VIEW = "cases.view_case"  # see the cases of an area
    CASE_INTAKE = "cases.intake"  # hotline operator's form, cases for others
    CASE_HANDLE = "cases.handle"  # accept, work on, resolve the cases routed to one's body
    CASE_DISPATCH = "cases.dispatch"  # route, merge, escalate, whistle, close
    CASE_VISIT = "cases.visit"  # 电子走访
    CASE_CALLBACK = (
        "cases.record_callback"  # 回访: the satisfaction of a reporter without an account
    )
    CASE_STATISTICS = "cases.view_statistics"
    CASE_CATALOGUE = "cases.manage_catalogue"
    OPEN311_CLIENTS = "cases.manage_api_clients"
    # Sensing (设备, 事件). Property staff hold the view codes only for their company's devices.
    DEVICE_VIEW = "sensing.view_device"
    DEVICE_MANAGE = "sensing.manage_device"
    EVENT_VIEW = "sensing.view_event"
    ALARM_VIEW = "sensing.view_alarm"  # the alarms of one's area (property staff: their devices')
    ALARM_HANDLE = "sensing.handle_alarm"  # acknowledge, clear with a note, open a case
    SCENARIO_MANAGE = "sensing.manage_scenario"  # edit the scenarios (versioned)
    ACCESS_VIEW = "sensing.view_access"  # gate flows and the absence list of one's area
    # Participation (业主表决, 征询, 项目, 物业测评). Owners and residents take part through their
    # link to a registry person (``registry.PersonAccount``), not through a staff permission.
    PARTICIPATION_TAKE_PART = "participation.take_part"  # vote, answer, rate as oneself
    PARTICIPATION_VIEW = "participation.view"  # the votes, consultations, projects of an area
    VOTE_MANAGE = "participation.manage_vote"  # open and close votes, paper ballots, proxies
    CONSULTATION_MANAGE = "participation.manage_consultation"
    PROJECT_MANAGE = "participation.manage_project"  # stages, dates, documents
    RATING_MANAGE = "participation.manage_rating"  # surveys, service items, list thresholds
    DISCLOSURE_EDIT = "participation.edit_disclosure"  # 四公开一监督 page of an estate


ALL_PERMISSIONS: frozenset[str] = frozenset(
    value for name, value in vars(Perm).items() if name.isupper()
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PLATFORM_ADMIN: ALL_PERMISSIONS,
    Role.OPERATOR: frozenset(
        {
            Perm.CASE_REPORT,
            Perm.CASE_VIEW,
            Perm.CASE_INTAKE,
            Perm.CASE_HANDLE,
            Perm.CASE_DISPATCH,
            Perm.CASE_CALLBACK,
            Perm.CASE_STATISTICS,
            Perm.DASHBOARD_VIEW,
            Perm.CELL_VIEW,
            Perm.STAFF_VIEW,
            Perm.AUDIT_VIEW,
            Perm.PLACE_VIEW,
            Perm.PERSON_VIEW,
            Perm.REGISTRY_EXPORT,
            Perm.QUALITY_VIEW,
            Perm.DEVICE_VIEW,
            Perm.DEVICE_MANAGE,
            Perm.EVENT_VIEW,
            Perm.ALARM_VIEW,
            Perm.ALARM_HANDLE,
            Perm.ACCESS_VIEW,
            Perm.PARTICIPATION_VIEW,
        }
    ),
    Role.DEPARTMENT_HANDLER: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.CELL_VIEW,
            Perm.PLACE_VIEW,
            Perm.CASE_VIEW,
            Perm.CASE_HANDLE,
            Perm.CASE_STATISTICS,
            Perm.PARTICIPATION_VIEW,
        }
    ),
    Role.COMMUNITY_STAFF: frozenset(
        {
            Perm.CASE_REPORT,
            Perm.CASE_VIEW,
            Perm.CASE_INTAKE,
            Perm.CASE_HANDLE,
            Perm.CASE_DISPATCH,
            Perm.CASE_VISIT,
            Perm.CASE_CALLBACK,
            Perm.CASE_STATISTICS,
            Perm.DASHBOARD_VIEW,
            Perm.CELL_VIEW,
            Perm.STAFF_VIEW,
            Perm.STAFF_MANAGE,
            Perm.PLACE_VIEW,
            Perm.PLACE_MANAGE,
            Perm.PERSON_VIEW,
            Perm.PERSON_MANAGE,
            Perm.PERSON_REVEAL,
            Perm.SENSITIVE_VIEW,
            Perm.LEASE_REGISTER,
            Perm.REGISTRY_IMPORT,
            Perm.REGISTRY_EXPORT,
            Perm.QUALITY_VIEW,
            Perm.DEVICE_VIEW,
            Perm.EVENT_VIEW,
            Perm.ALARM_VIEW,
            Perm.ALARM_HANDLE,
            Perm.ACCESS_VIEW,
            Perm.PARTICIPATION_VIEW,
            Perm.VOTE_MANAGE,
            Perm.CONSULTATION_MANAGE,
            Perm.PROJECT_MANAGE,
            Perm.RATING_MANAGE,
            Perm.DISCLOSURE_EDIT,
        }
    ),
    Role.GRID_WORKER: frozenset(
        {
            Perm.CASE_REPORT,
            Perm.CASE_VIEW,
            Perm.CASE_HANDLE,
            Perm.CASE_VISIT,
            Perm.DASHBOARD_VIEW,
            Perm.CELL_VIEW,
            Perm.STAFF_VIEW,
            Perm.PLACE_VIEW,
            Perm.PERSON_VIEW,
            Perm.PERSON_MANAGE,
            Perm.PERSON_REVEAL,
            Perm.LEASE_REGISTER,
            Perm.REGISTRY_EXPORT,
            Perm.QUALITY_VIEW,
            Perm.DEVICE_VIEW,
            Perm.EVENT_VIEW,
            Perm.ALARM_VIEW,
            Perm.ALARM_HANDLE,
            Perm.ACCESS_VIEW,
            Perm.PARTICIPATION_VIEW,
        }
    ),
    Role.PROPERTY_STAFF: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            Perm.CELL_VIEW,
            Perm.PLACE_VIEW,
            Perm.CASE_VIEW,
            Perm.CASE_HANDLE,
            Perm.DEVICE_VIEW,
            Perm.EVENT_VIEW,
            Perm.ALARM_VIEW,
            Perm.ALARM_HANDLE,
            Perm.PARTICIPATION_VIEW,
        }
    ),
    Role.RESIDENT: frozenset({Perm.CASE_REPORT, Perm.PARTICIPATION_TAKE_PART}),
}

# 等保 2.0 level 3: two-factor authentication for administrators and the operations centre.
TWO_FACTOR_ROLES: frozenset[str] = frozenset({Role.PLATFORM_ADMIN, Role.OPERATOR})
