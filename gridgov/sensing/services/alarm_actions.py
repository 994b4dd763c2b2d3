"""What happens to an alarm after it is raised, and what people do with it (告警处置).

``alarm_raised`` routes a new alarm at once: an in-app message to the people of the roles the
scenario names whose area covers the alarm's cell, and to the property staff of the company
that owns the device; a case (工单) when the scenario opens one. Staff then acknowledge (确认)
the alarm, clear it with a note (解除) or open a case by hand. Each human step is one
conditional ``UPDATE`` on the alarm's status, an ``AlarmStep`` and an audit row, together.

Alarms at or above their scenario's ``sms_min_severity`` also go by SMS to those told who have
a work phone on record (issue 5: "the patrol's phone at once"): one short Chinese text naming
the scenario and the building or area, never a resident's name, number or room.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm, Role
from gridgov.accounts.services.work_phones import WORK_PHONE_CONTEXT
from gridgov.cases.models import Case
from gridgov.cases.services.errors import CaseError
from gridgov.cases.services.intake import case_report_from_system
from gridgov.core.audit import audit_record
from gridgov.core.models import Notification
from gridgov.core.notifications import notify
from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep, Severity
from gridgov.sensing.selectors import alarm_for_actor, alarm_handling_allowed

logger = logging.getLogger(__name__)

CASE_SOURCE = "alarm"
MAX_RECIPIENTS = 50
NOTE_MAX = 500
# Severities from the least to the most urgent, for "at or above".
SEVERITY_ORDER: tuple[str, ...] = (
    Severity.INFO,
    Severity.WARNING,
    Severity.MAJOR,
    Severity.CRITICAL,
)
SMS_LANGUAGE = "zh-hans"


class AlarmError(ValidationError):
    """A refusal of an alarm action, with a clear message and a code."""

    default_message: Any = gettext_lazy("This alarm cannot be changed in this way.")
    default_code = "alarm_error"

    def __init__(self, message: Any = None, code: str | None = None) -> None:
        super().__init__(message or self.default_message, code=code or self.default_code)


class AlarmStateError(AlarmError):
    """The alarm is no longer in the state the step needs (someone was first)."""

    default_message = gettext_lazy("This step is not possible in the alarm's present state.")
    default_code = "alarm_state"


class AlarmNoteRequiredError(AlarmError):
    default_message = gettext_lazy("Say why the alarm is cleared.")
    default_code = "note_required"


class AlarmCategoryRequiredError(AlarmError):
    default_message = gettext_lazy("Choose the case category.")
    default_code = "category_required"


class AlarmNotFoundError(Http404):
    """An unknown alarm, or one outside the actor's area (the two look the same on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This alarm does not exist or is outside your area."))


def alarm_url(alarm_id: int) -> str:
    try:
        return reverse("alarms:detail", args=[alarm_id])
    except NoReverseMatch:
        return f"/alarms/{alarm_id}/"


def _ancestor_codes(cell_code: str) -> list[str]:
    """The codes of the cell and every cell above it (6-digit county code, then 3 per level)."""
    return [cell_code[:length] for length in range(6, len(cell_code) + 1, 3)]


def _roles_that_see_alarms(roles: list[str]) -> list[str]:
    """The scenario's roles that may open an alarm; property staff only through their company."""
    return [
        role
        for role in roles
        if role != Role.PROPERTY_STAFF
        and Perm.ALARM_VIEW in ROLE_PERMISSIONS.get(role, frozenset())
    ]


def alarm_recipients(alarm: Alarm) -> list[int]:
    """Who is told of a new alarm: the users holding one of the scenario's ``notify_roles`` over
    a cell that covers the alarm's cell, and the property staff of the company owning the
    device (within their area). Roles without ``sensing.view_alarm`` are never told."""
    codes = _ancestor_codes(alarm.cell.code)
    memberships = Membership.objects.filter(
        is_active=True, user__is_active=True, cell__code__in=codes, cell__is_active=True
    )
    user_ids: set[int] = set()
    roles = _roles_that_see_alarms(list(alarm.scenario.notify_roles or []))
    if roles:
        user_ids.update(memberships.filter(role__in=roles).values_list("user_id", flat=True))
    owner = alarm.device.owner if alarm.device_id and alarm.device else None
    if owner is not None and owner.kind == Organization.Kind.PROPERTY_COMPANY:
        user_ids.update(
            memberships.filter(role=Role.PROPERTY_STAFF, organization=owner).values_list(
                "user_id", flat=True
            )
        )
    return sorted(user_ids)[:MAX_RECIPIENTS]


def _subject(alarm: Alarm) -> str:
    return _("Alarm (%(severity)s): %(summary)s") % {
        "severity": alarm.get_severity_display(),
        "summary": alarm.summary,
    }


def alarm_goes_by_sms(alarm: Alarm) -> bool:
    """Whether the alarm's severity reaches its scenario's ``sms_min_severity``."""
    threshold = alarm.scenario.sms_min_severity
    if threshold not in SEVERITY_ORDER or alarm.severity not in SEVERITY_ORDER:
        return False
    return SEVERITY_ORDER.index(alarm.severity) >= SEVERITY_ORDER.index(threshold)


def _sms_place(alarm: Alarm) -> str:
    """The building (estate and building label) or the area: never a room or a person."""
    if alarm.building_id and alarm.building is not None:
        return str(alarm.building)
    device = alarm.device
    if device is not None and device.building_id and device.building is not None:
        return str(device.building)
    return alarm.cell.name


def alarm_sms_text(alarm: Alarm) -> tuple[str, str]:
    """The SMS (subject, body), always in Chinese: a phone has no language setting here."""
    with translation.override(SMS_LANGUAGE):
        subject = _("[Alarm] %(severity)s: %(scenario)s") % {
            "severity": alarm.get_severity_display(),
            "scenario": alarm.scenario.name,
        }
        body = _("Where: %(place)s. See alarm #%(number)d on the platform.") % {
            "place": _sms_place(alarm),
            "number": alarm.pk,
        }
    return subject, body


def _work_phones(user_ids: list[int]) -> dict[int, str]:
    """The encrypted work phones of those recipients who have one."""
    return dict(
        User.objects.filter(pk__in=user_ids)
        .exclude(work_phone_encrypted="")
        .values_list("pk", "work_phone_encrypted")
    )


def _notify_once(alarm_id: int) -> None:
    """Tell the recipients and record how many, once per alarm (a retry adds nothing)."""
    with transaction.atomic():
        alarm = (
            Alarm.objects.select_for_update(of=("self",))
            .select_related(
                "scenario", "cell", "device__owner", "building__estate", "device__building__estate"
            )
            .get(pk=alarm_id)
        )
        if alarm.steps.filter(action=AlarmStep.Action.NOTIFIED).exists():
            return
        recipients = alarm_recipients(alarm)
        subject = _subject(alarm)
        body = alarm.scenario.name
        url = alarm_url(alarm.pk)
        phones = _work_phones(recipients) if alarm_goes_by_sms(alarm) else {}
        sms_subject, sms_body = alarm_sms_text(alarm) if phones else ("", "")
        for user_id in recipients:
            notify(
                recipient_id=user_id,
                subject=subject,
                body=body,
                url=url,
                dedupe_key=f"alarm:{alarm.pk}:raised:{user_id}",
            )
            if user_id in phones:
                notify(
                    recipient_id=user_id,
                    subject=sms_subject,
                    body=sms_body,
                    dedupe_key=f"alarm:{alarm.pk}:raised:{user_id}",
                    sms_phone_encrypted=phones[user_id],
                    sms_phone_context=WORK_PHONE_CONTEXT,
                    channels=(Notification.Channel.SMS,),
                )
        note = _("%(count)d people told in-app") % {"count": len(recipients)}
        if phones:
            note = _("%(count)d people told in-app, %(sms)d of them also by SMS") % {
                "count": len(recipients),
                "sms": len(phones),
            }
        AlarmStep.objects.create(
            alarm=alarm, action=AlarmStep.Action.NOTIFIED, at=timezone.now(), note=note
        )
        if phones:
            # "At once" (issue 5): the patrol's SMS goes now, not at the next delivery round.
            transaction.on_commit(_deliver_sms_now, robust=True)


def _deliver_sms_now() -> None:
    from gridgov.cases.tasks import deliver_notifications

    deliver_notifications.delay()


def _case_location(alarm: Alarm) -> dict[str, Any]:
    """Where the case is: the dwelling, the building, the device's point, or the cell's centre."""
    if alarm.dwelling_id:
        return {"dwelling_id": alarm.dwelling_id}
    if alarm.building_id:
        return {"building_id": alarm.building_id}
    device = alarm.device
    if device is not None and device.lat is not None and device.lng is not None:
        return {"lat": device.lat, "lng": device.lng}
    if device is not None and device.building_id:
        return {"building_id": device.building_id}
    cell = alarm.cell
    return {"lat": cell.centroid_lat, "lng": cell.centroid_lng}


def _case_description(alarm: Alarm, note: str = "") -> str:
    lines = [
        _("Alarm: %(summary)s") % {"summary": alarm.summary},
        _("Scenario: %(name)s") % {"name": alarm.scenario.name},
        _("Raised at %(time)s, %(count)d occurrences")
        % {
            "time": timezone.localtime(alarm.raised_at).strftime("%Y-%m-%d %H:%M"),
            "count": alarm.occurrences,
        },
    ]
    if alarm.device_id and alarm.device is not None:
        lines.append(
            _("Device: %(code)s %(name)s") % {"code": alarm.device.code, "name": alarm.device.name}
        )
    if note:
        lines.append(note)
    return "\n".join(lines)


def _link_case(alarm: Alarm, case: Case, *, actor: Any, note: str) -> bool:
    """Link the case to the alarm unless one is linked already; the step only when linked."""
    linked = Alarm.objects.filter(pk=alarm.pk, case__isnull=True).update(case=case)
    if linked:
        AlarmStep.objects.create(
            alarm=alarm,
            action=AlarmStep.Action.CASE_OPENED,
            at=timezone.now(),
            actor=actor,
            note=(_("Case %(number)s") % {"number": case.number} + (f" · {note}" if note else ""))[
                :NOTE_MAX
            ],
        )
    return bool(linked)


def _open_case_by_rule(alarm_id: int) -> None:
    alarm = Alarm.objects.select_related("scenario", "cell", "device").get(pk=alarm_id)
    if alarm.case_id is not None or not alarm.scenario.opens_case:
        return
    try:
        with transaction.atomic():
            case = case_report_from_system(
                source=CASE_SOURCE,
                source_ref=str(alarm.pk),
                category_code=alarm.scenario.case_category_code,
                description=_case_description(alarm),
                **_case_location(alarm),
            )
            _link_case(alarm, case, actor=None, note="")
    except CaseError as error:
        # The alarm stands without its case; staff can open one by hand from the alarm page.
        logger.warning("alarm %s: no case opened (%s)", alarm.pk, error.code)


def alarm_raised(alarm_id: int) -> None:
    """Called once, after the commit, for every newly raised alarm: notify, then open the
    scenario's case. Safe to call again: nobody is told twice and one case is opened at most.
    An alarm already cleared when this runs is left alone."""
    status = Alarm.objects.filter(pk=alarm_id).values_list("status", flat=True).first()
    if status is None or status == AlarmStatus.CLEARED:
        return
    _notify_once(alarm_id)
    _open_case_by_rule(alarm_id)


def _alarm_to_handle(actor: Any, alarm_id: int) -> Alarm:
    """The alarm if the actor sees it (else 404) and may handle it (else 403)."""
    try:
        alarm = alarm_for_actor(actor=actor, alarm_id=alarm_id)
    except Alarm.DoesNotExist:
        raise AlarmNotFoundError from None
    if not alarm_handling_allowed(actor=actor, alarm=alarm):
        raise PermissionDenied(_("You may not handle this alarm."))
    return alarm


def _refuse_state(alarm_id: int) -> AlarmStateError:
    status = Alarm.objects.filter(pk=alarm_id).values_list("status", flat=True).first()
    if status == AlarmStatus.ACKNOWLEDGED:
        return AlarmStateError(_("This alarm has already been acknowledged."))
    if status == AlarmStatus.CLEARED:
        return AlarmStateError(_("This alarm has already been cleared."))
    return AlarmStateError()


def _label(alarm: Alarm) -> str:
    return f"{alarm.scenario.code} #{alarm.pk}"


def alarm_acknowledge(*, actor: Any, alarm_id: int) -> Alarm:
    """确认: an active alarm becomes acknowledged, once; a second acknowledgement is refused."""
    alarm = _alarm_to_handle(actor, alarm_id)
    now = timezone.now()
    with transaction.atomic():
        changed = Alarm.objects.filter(pk=alarm.pk, status=AlarmStatus.ACTIVE).update(
            status=AlarmStatus.ACKNOWLEDGED, acknowledged_by=actor, acknowledged_at=now
        )
        if not changed:
            raise _refuse_state(alarm.pk)
        AlarmStep.objects.create(
            alarm=alarm, action=AlarmStep.Action.ACKNOWLEDGED, at=now, actor=actor
        )
        audit_record(
            actor=actor,
            action="sensing.alarm_acknowledge",
            target=alarm,
            object_label=_label(alarm),
        )
    alarm.refresh_from_db()
    return alarm


def alarm_clear(*, actor: Any, alarm_id: int, note: str) -> Alarm:
    """解除: an active or acknowledged alarm is cleared by hand, with a note saying why."""
    text = (note or "").strip()
    if not text:
        raise AlarmNoteRequiredError
    if len(text) > NOTE_MAX:
        raise AlarmError(_("The note is too long (at most 500 characters)."), code="note_too_long")
    alarm = _alarm_to_handle(actor, alarm_id)
    now = timezone.now()
    with transaction.atomic():
        changed = Alarm.objects.filter(
            pk=alarm.pk, status__in=[AlarmStatus.ACTIVE, AlarmStatus.ACKNOWLEDGED]
        ).update(status=AlarmStatus.CLEARED, cleared_by=actor, cleared_at=now, clear_note=text)
        if not changed:
            raise _refuse_state(alarm.pk)
        AlarmStep.objects.create(
            alarm=alarm, action=AlarmStep.Action.CLEARED, at=now, actor=actor, note=text
        )
        audit_record(
            actor=actor, action="sensing.alarm_clear", target=alarm, object_label=_label(alarm)
        )
    alarm.refresh_from_db()
    return alarm


def alarm_open_case(
    *, actor: Any, alarm_id: int, category_code: str | None = None, note: str = ""
) -> Case:
    """Open a case (工单) for the alarm by hand, in the given category or the scenario's.

    One case per alarm: the case is filed as the system's report of this alarm, so it is the
    same case the scenario's rule would open; an alarm that has a case is refused.
    """
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise AlarmError(_("The note is too long (at most 500 characters)."), code="note_too_long")
    alarm = _alarm_to_handle(actor, alarm_id)
    category = (category_code or "").strip() or alarm.scenario.case_category_code
    if not category:
        raise AlarmCategoryRequiredError
    with transaction.atomic():
        locked = Alarm.objects.select_for_update().get(pk=alarm.pk)
        if locked.case_id is not None:
            raise AlarmStateError(_("A case has already been opened for this alarm."))
        case = case_report_from_system(
            source=CASE_SOURCE,
            source_ref=str(alarm.pk),
            category_code=category,
            description=_case_description(alarm, text),
            **_case_location(alarm),
        )
        if not _link_case(alarm, case, actor=actor, note=text):
            raise AlarmStateError(_("A case has already been opened for this alarm."))
        audit_record(
            actor=actor,
            action="sensing.alarm_open_case",
            target=alarm,
            object_label=_label(alarm),
            changes={"case": case.number, "category": category},
        )
    return case
