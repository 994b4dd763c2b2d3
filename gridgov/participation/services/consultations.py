"""Writes of consultations (征询): open one, answer it, record a door-to-door answer, remind
those who have not answered, close it.

Each household (or owner) answers once: the database's unique constraint decides, so two
answers arriving together still leave exactly one (no check-then-write). Residents answer as
the registry person their account is linked to (实名); staff record answers collected door to
door. Reminders go out at most once a day per consultation (a conditional update claims the
day), in-app to linked accounts and by SMS to the phone the registry holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.core.models import Notification
from gridgov.core.notifications import notify
from gridgov.grids.models import Cell
from gridgov.participation.models import Consultation, ConsultationAnswer, ConsultationScope
from gridgov.participation.selectors.consultations import (
    Respondent,
    consultation_is_open,
    consultation_result,
    eligible_by_estate,
    respondent_for,
    unanswered_households,
    unanswered_owners,
)
from gridgov.registry.models import Building, Estate, HouseholdMember, Person, Unit
from gridgov.registry.selectors.accounts import person_for_account

Choice = ConsultationAnswer.Choice
# Reminders go out in the daytime only (local hours).
REMINDER_HOURS = range(9, 20)


@dataclass(frozen=True)
class Place:
    """A place to consult: a whole estate, one of its buildings, or one doorway."""

    estate_id: int
    building_id: int | None = None
    unit_id: int | None = None


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _common_cell(codes: Sequence[str]) -> Cell:
    """The deepest area whose subtree holds every estate consulted."""
    prefix = codes[0]
    for code in codes[1:]:
        length = 0
        while length < min(len(prefix), len(code)) and prefix[length] == code[length]:
            length += 1
        prefix = prefix[:length]
    candidates = [prefix[:length] for length in range(len(prefix), 0, -1)]
    cell = Cell.objects.filter(code__in=candidates).order_by("-depth").first()
    if cell is None:
        raise _refuse(_("The estates consulted share no area."), "invalid_scope")
    return cell


def _scope_rows(places: Sequence[Place]) -> list[ConsultationScope]:
    if not places:
        raise _refuse(_("Choose at least one estate, building or doorway."), "invalid_scope")
    estates = Estate.objects.select_related("cell").in_bulk({p.estate_id for p in places})
    buildings = Building.objects.in_bulk({p.building_id for p in places if p.building_id})
    units = Unit.objects.in_bulk({p.unit_id for p in places if p.unit_id})
    rows = []
    for place in places:
        estate = estates.get(place.estate_id)
        building = buildings.get(place.building_id) if place.building_id else None
        unit = units.get(place.unit_id) if place.unit_id else None
        if (
            estate is None
            or (place.building_id and (building is None or building.estate_id != estate.pk))
            or (
                place.unit_id
                and (unit is None or building is None or unit.building_id != building.pk)
            )
        ):
            raise _refuse(_("A building or doorway is not part of its estate."), "invalid_scope")
        rows.append(
            ConsultationScope(estate=estate, building_id=place.building_id, unit_id=place.unit_id)
        )
    return rows


def consultation_create(
    *,
    actor: Any,
    title: str,
    question: str,
    places: Sequence[Place],
    audience: str = Consultation.Audience.HOUSEHOLDS,
    basis: str = Consultation.Basis.ELIGIBLE,
    pass_numerator: int = 2,
    pass_denominator: int = 3,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime,
) -> Consultation:
    """Open a consultation over ``places``; the actor manages consultations over every estate.

    Refused: no place, a building outside its estate, a pass share outside (0, 1], a closing
    time not after the opening, or a scope where nobody is to be consulted.
    """
    scopes = _scope_rows(places)
    estate_cells = {scope.estate.cell.code for scope in scopes}
    if not all(has_permission(actor, Perm.CONSULTATION_MANAGE, cell_code=c) for c in estate_cells):
        raise PermissionDenied
    if audience not in Consultation.Audience.values or basis not in Consultation.Basis.values:
        raise _refuse(_("Choose who answers and how the share is counted."), "invalid")
    if not 0 < pass_numerator <= pass_denominator:
        raise _refuse(_("The pass share must be more than 0 and at most 1."), "invalid_rule")
    opening = opens_at or timezone.now()
    if closes_at <= opening:
        raise _refuse(_("The consultation must close after it opens."), "invalid_dates")
    consultation = Consultation(
        title=title.strip()[:120],
        question=question.strip(),
        audience=audience,
        basis=basis,
        pass_numerator=pass_numerator,
        pass_denominator=pass_denominator,
        opens_at=opening,
        closes_at=closes_at,
        cell=_common_cell(sorted(estate_cells)),
        created_by=actor,
    )
    if not consultation.title or not consultation.question:
        raise _refuse(_("A consultation needs a title and a question."), "invalid")
    if not any(eligible_by_estate(consultation, scopes).values()):
        raise _refuse(_("Nobody lives in or owns a dwelling in the places chosen."), "empty_scope")
    with transaction.atomic():
        consultation.save()
        for scope in scopes:
            scope.consultation = consultation
        ConsultationScope.objects.bulk_create(scopes)
        audit_record(
            actor=actor,
            action="participation.consultation_create",
            target=consultation,
            object_label=consultation.title,
            changes={
                "audience": audience,
                "basis": basis,
                "rule": f"{pass_numerator}/{pass_denominator}",
                "estates": sorted({scope.estate_id for scope in scopes}),
                "closes_at": closes_at.isoformat(),
            },
        )
    return consultation


def _locked_open(consultation_id: int) -> Consultation:
    consultation = (
        Consultation.objects.select_for_update().select_related("cell").get(pk=consultation_id)
    )
    now = timezone.now()
    if consultation.status == Consultation.Status.CLOSED or now >= consultation.closes_at:
        raise _refuse(_("This consultation is closed; answers are no longer taken."), "closed")
    if now < consultation.opens_at:
        raise _refuse(_("This consultation is not open yet."), "not_open")
    return consultation


def _save_answer(
    *,
    actor: Any,
    consultation: Consultation,
    respondent: Respondent,
    choice: str,
    channel: str,
) -> ConsultationAnswer:
    if choice not in Choice.values:
        raise _refuse(_("Answer in favour or against."), "invalid_choice")
    answer = ConsultationAnswer(
        consultation=consultation,
        household_id=respondent.household_id,
        owner_id=respondent.owner_id,
        answered_by=respondent.person if channel == ConsultationAnswer.Channel.ONLINE else None,
        choice=choice,
        channel=channel,
        recorded_by=actor,
        answered_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            answer.save()
    except IntegrityError:
        raise _refuse(
            _("This household or owner has already answered; an answer cannot be given twice."),
            "already_answered",
        ) from None
    audit_record(
        actor=actor,
        action="participation.consultation_answer",
        target=answer,
        object_label=consultation.title,
        changes={"consultation": consultation.pk, "channel": channel},
    )
    return answer


def consultation_answer(*, actor: Any, consultation_id: int, choice: str) -> ConsultationAnswer:
    """A resident answers for their household (or as an owner), as their registry person.

    Refused: an account not linked to a registry person, a person not consulted (outside the
    scope), a closed or not yet open consultation, a second answer of the same household.
    """
    if not has_permission(actor, Perm.PARTICIPATION_TAKE_PART):
        raise PermissionDenied
    person = person_for_account(actor)
    if person is None:
        raise _refuse(
            _("Your account is not linked to a registered resident; ask the community office."),
            "not_linked",
        )
    with transaction.atomic():
        consultation = _locked_open(consultation_id)
        respondent = respondent_for(person=person, consultation=consultation)
        if respondent is None:
            raise _refuse(_("This consultation does not ask your household."), "outside_scope")
        return _save_answer(
            actor=actor,
            consultation=consultation,
            respondent=respondent,
            choice=choice,
            channel=ConsultationAnswer.Channel.ONLINE,
        )


def consultation_answer_record(
    *,
    actor: Any,
    consultation_id: int,
    choice: str,
    household_id: int | None = None,
    owner_id: int | None = None,
) -> ConsultationAnswer:
    """Staff record an answer collected door to door (上门征询) for a household or an owner."""
    with transaction.atomic():
        consultation = Consultation.objects.select_related("cell").get(pk=consultation_id)
        if not has_permission(actor, Perm.CONSULTATION_MANAGE, cell_code=consultation.cell.code):
            raise PermissionDenied
        consultation = _locked_open(consultation_id)
        scopes = list(consultation.scopes.all())
        eligible: set[int] = set().union(*eligible_by_estate(consultation, scopes).values())
        if consultation.audience == Consultation.Audience.OWNERS:
            respondent = Respondent(person=None, owner_id=owner_id)
            unit = owner_id
        else:
            respondent = Respondent(person=None, household_id=household_id)
            unit = household_id
        if unit is None or unit not in eligible:
            raise _refuse(
                _("This household or owner is not among those consulted."), "outside_scope"
            )
        return _save_answer(
            actor=actor,
            consultation=consultation,
            respondent=respondent,
            choice=choice,
            channel=ConsultationAnswer.Channel.DOOR_TO_DOOR,
        )


def consultation_close(*, actor: Any, consultation_id: int) -> Consultation:
    """Close a consultation early or at its time; its figures are recorded in the audit row."""
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update().select_related("cell").get(pk=consultation_id)
        )
        if not has_permission(actor, Perm.CONSULTATION_MANAGE, cell_code=consultation.cell.code):
            raise PermissionDenied
        if consultation.status == Consultation.Status.CLOSED:
            raise _refuse(_("This consultation is closed already."), "closed")
        now = timezone.now()
        consultation.status = Consultation.Status.CLOSED
        consultation.closed_at = now
        consultation.closes_at = min(consultation.closes_at, now)
        if consultation.closes_at <= consultation.opens_at:
            consultation.opens_at = consultation.closes_at - datetime.timedelta(seconds=1)
        consultation.save(update_fields=["status", "closed_at", "closes_at", "opens_at"])
        result = consultation_result(consultation)
        audit_record(
            actor=actor,
            action="participation.consultation_close",
            target=consultation,
            object_label=consultation.title,
            changes={
                "passed": result.overall.passed,
                "in_favour": result.overall.in_favour,
                "eligible": result.overall.eligible,
                "estates_passed": result.estates_passed,
                "estates": len(result.estates),
            },
        )
    return consultation


# --- reminders -------------------------------------------------------------------------------


def _claim_reminder_day(consultation_id: int, today: datetime.date) -> bool:
    """Take today's reminder round; a second run the same day (any process) gets nothing."""
    claimed = (
        Consultation.objects.filter(pk=consultation_id)
        .filter(Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
        .update(last_reminded_on=today)
    )
    return claimed == 1


def _reminder_people(consultation: Consultation) -> list[tuple[int, Person]]:
    """(household or owner id, person to tell) for everyone who has not answered."""
    if consultation.audience == Consultation.Audience.OWNERS:
        owners = unanswered_owners(consultation).select_related("account")
        return [(owner.pk, owner) for owner in owners]
    members = HouseholdMember.objects.filter(
        household__in=unanswered_households(consultation), left_on__isnull=True
    ).select_related("person", "person__account")
    return [(member.household_id, member.person) for member in members]


def consultation_remind(
    *, actor: Any, consultation_id: int, today: datetime.date | None = None
) -> int:
    """Remind those consulted who have not answered: in-app to each linked account, one SMS per
    household (or owner) to the registered phone. At most once a day per consultation; returns
    the number of messages recorded (0 when today's round was taken already)."""
    day = today or timezone.localdate()
    consultation = Consultation.objects.select_related("cell").get(pk=consultation_id)
    if actor is not None and not has_permission(
        actor, Perm.CONSULTATION_MANAGE, cell_code=consultation.cell.code
    ):
        raise PermissionDenied
    if not consultation_is_open(consultation):
        raise _refuse(_("Only an open consultation sends reminders."), "closed")
    with transaction.atomic():
        if not _claim_reminder_day(consultation.pk, day):
            return 0
        people = _reminder_people(consultation)
        subject = _("Please answer the consultation: %(title)s") % {"title": consultation.title}
        body = _("Answer by %(date)s in the GridGov app, or tell your community office.") % {
            "date": timezone.localtime(consultation.closes_at).strftime("%Y-%m-%d")
        }
        url = f"/participation/my/consultations/{consultation.pk}/"
        sent = 0
        texted: set[int] = set()
        for unit, person in people:
            key = f"consultation:{consultation.pk}:remind:{day.isoformat()}:{unit}"
            account = getattr(person, "account", None)
            if account is not None:
                sent += len(
                    notify(
                        recipient_id=account.user_id,
                        subject=subject,
                        body=body,
                        url=url,
                        dedupe_key=f"{key}:person:{person.pk}",
                    )
                )
            if unit not in texted and person.phone_encrypted:
                texted.add(unit)
                sent += len(
                    notify(
                        recipient_id=None,
                        subject=subject,
                        body=body,
                        dedupe_key=f"{key}:sms",
                        sms_phone_encrypted=person.phone_encrypted,
                        channels=(Notification.Channel.SMS,),
                    )
                )
        audit_record(
            actor=actor,
            action="participation.consultation_remind",
            target=consultation,
            object_label=consultation.title,
            changes={
                "unanswered": len({unit for unit, _p in people}),
                "messages": sent,
                "day": day.isoformat(),
            },
        )
    return sent


def consultation_reminders_send(
    *, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> int:
    """The daily round over every open consultation (the periodic job); returns messages.

    Runs every hour but sends only in the daytime (``REMINDER_HOURS``, Shanghai time) and at
    most once a day per consultation, so nobody is texted at night.
    """
    moment = now or timezone.now()
    if timezone.localtime(moment).hour not in REMINDER_HOURS:
        return 0
    ids = Consultation.objects.filter(
        status=Consultation.Status.OPEN, opens_at__lte=moment, closes_at__gt=moment
    ).values_list("pk", flat=True)
    return sum(consultation_remind(actor=None, consultation_id=pk, today=today) for pk in ids)


def consultations_close_due(*, now: datetime.datetime | None = None) -> int:
    """Mark consultations past their closing time closed (the periodic job); returns how
    many. Answers are refused from the closing time on whether or not this has run."""
    moment = now or timezone.now()
    due = Consultation.objects.filter(status=Consultation.Status.OPEN, closes_at__lte=moment)
    closed = 0
    for consultation_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            changed = Consultation.objects.filter(
                pk=consultation_id, status=Consultation.Status.OPEN
            ).update(status=Consultation.Status.CLOSED, closed_at=moment)
            if changed:
                consultation = Consultation.objects.get(pk=consultation_id)
                result = consultation_result(consultation)
                audit_record(
                    actor=None,
                    action="participation.consultation_close",
                    target=consultation,
                    object_label=consultation.title,
                    changes={
                        "passed": result.overall.passed,
                        "estates_passed": result.estates_passed,
                        "estates": len(result.estates),
                        "automatic": True,
                    },
                )
                closed += 1
    return closed
