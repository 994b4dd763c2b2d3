"""What the case services tell people: new and late work to handlers, the outcome to residents."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from gridgov.accounts.models import Membership
from gridgov.accounts.roles import Role
from gridgov.cases.models import Case
from gridgov.core.models import Notification
from gridgov.core.notifications import notify

MAX_TEAM_RECIPIENTS = 20


def case_url(case: Case) -> str:
    try:
        return reverse("cases:detail", args=[case.pk])
    except NoReverseMatch:
        return f"/cases/{case.pk}/"


def team_of(case: Case) -> list[int]:
    """Who is told of work on the case: the assignee, else the staff of its department or
    property company whose area covers it."""
    if case.assignee_id:
        return [case.assignee_id]
    return team_for(
        handling_cell=case.handling_cell,
        organisations=[case.property_company_id, case.department_id],
    )


def team_for(*, handling_cell: Any, organisations: list[Any]) -> list[int]:
    """The staff of these organisations (ids or rows) whose area covers ``handling_cell``."""
    organisations = [getattr(item, "pk", item) for item in organisations if item]
    if not organisations:
        return []
    codes = [handling_cell.code[:length] for length in range(6, len(handling_cell.code) + 1, 3)]
    users = (
        Membership.objects.filter(
            organization_id__in=organisations,
            is_active=True,
            role__in=[Role.DEPARTMENT_HANDLER, Role.PROPERTY_STAFF],
            user__is_active=True,
        )
        .filter(Q(cell__code__in=codes))
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")[:MAX_TEAM_RECIPIENTS]
    )
    return list(users)


def tell_new_work(case: Case, *, reason: str = "", team: list[int] | None = None) -> None:
    for user_id in team_of(case) if team is None else team:
        notify(
            recipient_id=user_id,
            subject=_("New case %(number)s: %(title)s")
            % {"number": case.number, "title": case.title},
            body=case.description[:200],
            url=case_url(case),
            # Told once per person per round of work (a reopened case is new work again).
            dedupe_key=f"case:{case.pk}:new:{case.reopen_count}:{user_id}",
        )


def tell_late(case: Case, *, deadline: str, stamp: Any) -> None:
    for user_id in team_of(case):
        notify(
            recipient_id=user_id,
            subject=_("Case %(number)s is overdue") % {"number": case.number},
            body=case.title,
            url=case_url(case),
            dedupe_key=f"case:{case.pk}:late:{deadline}:{stamp}:{user_id}",
        )


def tell_reminder(case: Case, *, deadline: str, due: Any) -> None:
    for user_id in team_of(case):
        notify(
            recipient_id=user_id,
            subject=_("Case %(number)s is due soon") % {"number": case.number},
            body=case.title,
            url=case_url(case),
            dedupe_key=f"case:{case.pk}:remind:{deadline}:{due}:{user_id}",
        )


def tell_resolved(case: Case) -> None:
    """The resident learns the case is done: in-app when a user reported it, and by SMS."""
    subject = _("Your report %(number)s has been resolved") % {"number": case.number}
    body = _("Please rate how it was handled.")
    channels = []
    if case.reporter_id:
        channels.append(Notification.Channel.IN_APP)
    if case.reporter_phone_encrypted:
        channels.append(Notification.Channel.SMS)
    if not channels:
        return
    notify(
        recipient_id=case.reporter_id,
        subject=subject,
        body=body,
        url=case_url(case),
        dedupe_key=f"case:{case.pk}:resolved:{case.resolved_at:%Y%m%d%H%M%S%f}",
        sms_phone_encrypted=case.reporter_phone_encrypted,
        channels=channels,
    )


def tell_summoned(case: Case, *, department_id: int, whistle_id: int) -> None:
    users = (
        Membership.objects.filter(
            organization_id=department_id, is_active=True, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")[:MAX_TEAM_RECIPIENTS]
    )
    for user_id in users:
        notify(
            recipient_id=user_id,
            subject=_("Whistle on case %(number)s: report in") % {"number": case.number},
            body=case.title,
            url=case_url(case),
            dedupe_key=f"whistle:{whistle_id}:{department_id}:{user_id}",
        )
