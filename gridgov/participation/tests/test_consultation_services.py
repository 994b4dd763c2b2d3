"""Consultations (征询): opening, answering once, door-to-door answers, pass rules, reminders."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry, Notification
from gridgov.participation.models import Consultation, ConsultationAnswer
from gridgov.participation.selectors.consultations import consultation_result, percent
from gridgov.participation.services.consultations import (
    Place,
    consultation_answer,
    consultation_answer_record,
    consultation_close,
    consultation_create,
    consultation_remind,
    consultation_reminders_send,
    consultations_close_due,
)
from gridgov.participation.tests.factories import (
    ConsultationAnswerFactory,
    consultation_over,
    estate_with_households,
    resident_account,
)
from gridgov.registry.tests.factories import HouseholdMemberFactory, PersonFactory

IN_TWO_WEEKS = datetime.timedelta(days=14)


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


def _refusal_code(error: ValidationError) -> str:
    return str(error.code)


def test_community_staff_open_a_consultation_over_two_estates_in_the_lowest_common_area(
    town, staff
):
    first = estate_with_households(town.grid_a, households=2)
    second = estate_with_households(town.micro_a1, households=1)

    consultation = consultation_create(
        actor=staff,
        title="加装电梯意向征询",
        question="是否同意加装电梯?",
        places=[Place(first.estate.pk), Place(second.estate.pk)],
        closes_at=timezone.now() + IN_TWO_WEEKS,
    )

    assert consultation.cell == town.grid_a
    assert sorted(consultation.scopes.values_list("estate_id", flat=True)) == sorted(
        [first.estate.pk, second.estate.pk]
    )
    assert AuditEntry.objects.filter(action="participation.consultation_create").count() == 1


def test_opening_a_consultation_outside_ones_area_is_refused(town, staff):
    elsewhere = estate_with_households(town.grid_b, households=1)

    with pytest.raises(PermissionDenied):
        consultation_create(
            actor=staff,
            title="征询",
            question="?",
            places=[Place(elsewhere.estate.pk)],
            closes_at=timezone.now() + IN_TWO_WEEKS,
        )

    assert Consultation.objects.count() == 0


def test_a_consultation_where_nobody_lives_is_refused(town, staff):
    empty = estate_with_households(town.grid_a, households=0)

    with pytest.raises(ValidationError) as refusal:
        consultation_create(
            actor=staff,
            title="征询",
            question="?",
            places=[Place(empty.estate.pk)],
            closes_at=timezone.now() + IN_TWO_WEEKS,
        )

    assert _refusal_code(refusal.value) == "empty_scope"
    assert Consultation.objects.count() == 0


def test_a_pass_share_above_one_is_refused(town, staff):
    place = estate_with_households(town.grid_a, households=1)

    with pytest.raises(ValidationError) as refusal:
        consultation_create(
            actor=staff,
            title="征询",
            question="?",
            places=[Place(place.estate.pk)],
            pass_numerator=4,
            pass_denominator=3,
            closes_at=timezone.now() + IN_TWO_WEEKS,
        )

    assert _refusal_code(refusal.value) == "invalid_rule"
    assert Consultation.objects.count() == 0


def test_a_doorway_of_another_estate_is_refused_as_scope(town, staff):
    first = estate_with_households(town.grid_a, households=1)
    second = estate_with_households(town.grid_a, households=1)

    with pytest.raises(ValidationError) as refusal:
        consultation_create(
            actor=staff,
            title="征询",
            question="?",
            places=[Place(first.estate.pk, second.building.pk, second.unit_1.pk)],
            closes_at=timezone.now() + IN_TWO_WEEKS,
        )

    assert _refusal_code(refusal.value) == "invalid_scope"
    assert Consultation.objects.count() == 0


def test_a_resident_answers_for_their_household_from_their_account(town):
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over([place], cell=town.grid_a)
    resident = resident_account(place.people[0], town.grid_a)

    answer = consultation_answer(actor=resident, consultation_id=consultation.pk, choice="yes")

    assert answer.household_id == place.households[0].pk
    assert answer.answered_by_id == place.people[0].pk
    assert answer.channel == ConsultationAnswer.Channel.ONLINE


def test_a_second_answer_of_the_same_household_is_refused_and_the_first_stands(town):
    place = estate_with_households(town.grid_a, households=1)
    spouse = PersonFactory(cell=town.grid_a)
    HouseholdMemberFactory(household=place.households[0], person=spouse, relation="spouse")
    consultation = consultation_over([place], cell=town.grid_a)
    consultation_answer(
        actor=resident_account(place.people[0], town.grid_a),
        consultation_id=consultation.pk,
        choice="yes",
    )

    with pytest.raises(ValidationError) as refusal:
        consultation_answer(
            actor=resident_account(spouse, town.grid_a),
            consultation_id=consultation.pk,
            choice="no",
        )

    assert _refusal_code(refusal.value) == "already_answered"
    assert list(ConsultationAnswer.objects.values_list("choice", flat=True)) == ["yes"]


def test_the_database_refuses_a_second_answer_of_a_household_without_any_check(db):
    from django.db import IntegrityError, transaction

    answer = ConsultationAnswerFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationAnswerFactory(consultation=answer.consultation, household=answer.household)

    assert ConsultationAnswer.objects.count() == 1


def test_a_resident_outside_the_scope_cannot_answer(town):
    inside = estate_with_households(town.grid_a, households=1)
    outside = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([inside], cell=town.grid_a)

    with pytest.raises(ValidationError) as refusal:
        consultation_answer(
            actor=resident_account(outside.people[0], town.grid_a),
            consultation_id=consultation.pk,
            choice="yes",
        )

    assert _refusal_code(refusal.value) == "outside_scope"
    assert ConsultationAnswer.objects.count() == 0


def test_an_answer_after_the_close_is_refused(town):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over(
        [place],
        cell=town.grid_a,
        opens_at=timezone.now() - datetime.timedelta(days=10),
        closes_at=timezone.now() - datetime.timedelta(minutes=1),
    )

    with pytest.raises(ValidationError) as refusal:
        consultation_answer(
            actor=resident_account(place.people[0], town.grid_a),
            consultation_id=consultation.pk,
            choice="yes",
        )

    assert _refusal_code(refusal.value) == "closed"
    assert ConsultationAnswer.objects.count() == 0


def test_an_account_not_linked_to_a_resident_cannot_answer(town, make_member):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a)
    stranger = make_member(Role.RESIDENT, town.grid_a)

    with pytest.raises(ValidationError) as refusal:
        consultation_answer(actor=stranger, consultation_id=consultation.pk, choice="yes")

    assert _refusal_code(refusal.value) == "not_linked"
    assert ConsultationAnswer.objects.count() == 0


def test_an_owner_consultation_takes_one_answer_per_owner(town):
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over(
        [place], cell=town.grid_a, audience=Consultation.Audience.OWNERS
    )
    owner = resident_account(place.people[1], town.grid_a)

    answer = consultation_answer(actor=owner, consultation_id=consultation.pk, choice="no")

    assert (answer.owner_id, answer.household_id) == (place.people[1].pk, None)
    with pytest.raises(ValidationError):
        consultation_answer(actor=owner, consultation_id=consultation.pk, choice="yes")
    assert ConsultationAnswer.objects.count() == 1


def test_staff_record_a_door_to_door_answer_for_a_household_in_scope(town, staff):
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over([place], cell=town.grid_a)

    answer = consultation_answer_record(
        actor=staff,
        consultation_id=consultation.pk,
        choice="yes",
        household_id=place.households[1].pk,
    )

    assert answer.channel == ConsultationAnswer.Channel.DOOR_TO_DOOR
    assert answer.recorded_by == staff


def test_staff_cannot_record_an_answer_for_a_household_outside_the_scope(town, staff):
    place = estate_with_households(town.grid_a, households=1)
    other = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a)

    with pytest.raises(ValidationError) as refusal:
        consultation_answer_record(
            actor=staff,
            consultation_id=consultation.pk,
            choice="yes",
            household_id=other.households[0].pk,
        )

    assert _refusal_code(refusal.value) == "outside_scope"
    assert ConsultationAnswer.objects.count() == 0


def test_a_door_to_door_answer_for_a_household_that_answered_online_is_refused(town, staff):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a)
    consultation_answer(
        actor=resident_account(place.people[0], town.grid_a),
        consultation_id=consultation.pk,
        choice="no",
    )

    with pytest.raises(ValidationError) as refusal:
        consultation_answer_record(
            actor=staff,
            consultation_id=consultation.pk,
            choice="yes",
            household_id=place.households[0].pk,
        )

    assert _refusal_code(refusal.value) == "already_answered"
    assert list(ConsultationAnswer.objects.values_list("choice", flat=True)) == ["no"]


def _answer(consultation: Consultation, households, choices: str) -> None:
    for household, choice in zip(households, choices, strict=False):
        ConsultationAnswerFactory(
            consultation=consultation, household=household, choice="yes" if choice == "y" else "no"
        )


def test_exactly_two_thirds_in_favour_passes_and_one_household_short_fails(town):
    passing = estate_with_households(town.grid_a, households=3, name="甲小区")
    failing = estate_with_households(town.grid_a, households=3, name="乙小区")
    consultation = consultation_over([passing, failing], cell=town.grid_a)
    _answer(consultation, passing.households, "yyn")
    _answer(consultation, failing.households, "yn")

    result = consultation_result(consultation)

    by_name = {row.estate_name: row.tally for row in result.estates}
    assert (by_name["甲小区"].share, by_name["甲小区"].passed) == (Fraction(2, 3), True)
    assert (by_name["乙小区"].share, by_name["乙小区"].passed) == (Fraction(1, 3), False)
    assert (result.overall.in_favour, result.overall.eligible) == (3, 6)
    assert result.overall.passed is False
    assert (result.estates_passed, len(result.estates)) == (1, 2)


def test_a_share_of_those_who_answered_counts_only_the_answers(town):
    place = estate_with_households(town.grid_a, households=4)
    consultation = consultation_over([place], cell=town.grid_a, basis=Consultation.Basis.ANSWERED)
    _answer(consultation, place.households, "yyn")

    tally = consultation_result(consultation).overall

    assert (tally.share, tally.answered, tally.eligible, tally.passed) == (
        Fraction(2, 3),
        3,
        4,
        True,
    )


def test_eighteen_of_nineteen_reads_as_ninety_five_percent():
    assert percent(Fraction(18, 19)) == 95
    assert percent(Fraction(1, 2)) == 50
    assert percent(Fraction(2, 3)) == 67


def test_a_doorway_scope_consults_only_that_doorway(town):
    place = estate_with_households(town.grid_a, households=3, in_unit_2=1)
    consultation = consultation_over([], cell=town.grid_a)
    consultation.scopes.create(estate=place.estate, building=place.building, unit=place.unit_2)

    tally = consultation_result(consultation).overall

    assert tally.eligible == 1


def test_closing_records_the_outcome_and_refuses_later_answers(town, staff):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a)
    _answer(consultation, place.households, "y")

    consultation_close(actor=staff, consultation_id=consultation.pk)

    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CLOSED
    entry = AuditEntry.objects.get(action="participation.consultation_close")
    assert entry.changes["passed"] is True
    with pytest.raises(ValidationError):
        consultation_close(actor=staff, consultation_id=consultation.pk)


def test_reminders_reach_unanswered_households_in_app_and_by_sms_once_a_day(town, staff):
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over([place], cell=town.grid_a)
    resident_account(place.people[1], town.grid_a)
    _answer(consultation, place.households[:1], "y")
    today = timezone.localdate()

    sent = consultation_remind(actor=staff, consultation_id=consultation.pk, today=today)
    again = consultation_remind(actor=staff, consultation_id=consultation.pk, today=today)

    assert sent == 2  # the second household: one in-app message, one SMS
    assert again == 0
    channels = sorted(Notification.objects.values_list("channel", flat=True))
    assert channels == sorted([Notification.Channel.IN_APP, Notification.Channel.SMS])


def test_reminders_go_out_again_the_next_day(town, staff):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a)
    today = timezone.localdate()
    consultation_remind(actor=staff, consultation_id=consultation.pk, today=today)

    sent = consultation_remind(
        actor=staff, consultation_id=consultation.pk, today=today + datetime.timedelta(days=1)
    )

    assert sent == 1
    assert Notification.objects.count() == 2


def test_a_closed_consultation_sends_no_reminders(town, staff):
    place = estate_with_households(town.grid_a, households=1)
    consultation = consultation_over([place], cell=town.grid_a, status="closed")

    with pytest.raises(ValidationError):
        consultation_remind(actor=staff, consultation_id=consultation.pk)

    assert Notification.objects.count() == 0


def _local(hour: int) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(hour, 30))
    )


def test_the_daily_round_reminds_in_the_daytime_but_not_at_night(town):
    place = estate_with_households(town.grid_a, households=1)
    consultation_over(
        [place],
        cell=town.grid_a,
        opens_at=_local(0) - datetime.timedelta(days=1),
        closes_at=_local(0) + datetime.timedelta(days=2),
    )

    at_night = consultation_reminders_send(now=_local(2))
    in_the_morning = consultation_reminders_send(now=_local(10))
    an_hour_later = consultation_reminders_send(now=_local(11))

    assert (at_night, in_the_morning, an_hour_later) == (0, 1, 0)


def test_consultations_past_their_time_are_closed_by_the_periodic_job(town):
    place = estate_with_households(town.grid_a, households=1)
    due = consultation_over(
        [place],
        cell=town.grid_a,
        opens_at=timezone.now() - datetime.timedelta(days=3),
        closes_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    running = consultation_over([place], cell=town.grid_a)

    closed = consultations_close_due()

    due.refresh_from_db()
    running.refresh_from_db()
    assert closed == 1
    assert (due.status, running.status) == ("closed", "open")
    assert consultations_close_due() == 0
