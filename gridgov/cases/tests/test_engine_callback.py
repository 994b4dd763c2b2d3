"""回访: staff record the satisfaction of a reporter who has no account (hotline, visit,
Open311, alarm) — who may, when, once, and what a poor callback does."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from gridgov.accounts.roles import Role
from gridgov.cases.models import Case, CaseEvent, Channel, Status
from gridgov.cases.services import (
    CallbackNotAllowedError,
    MissingFieldError,
    RatingNotAllowedError,
    allowed_actions,
    case_accept,
    case_dispatch,
    case_rate,
    case_rate_by_callback,
    case_resolve,
    case_start,
    close_unrated_cases,
    visit_record,
)
from gridgov.cases.tests.helpers_engine import (  # noqa: F401 - fixture
    POINT_A1,
    World,
    _member,
    local,
    report,
    world_fixture,
)
from gridgov.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = local(2025, 9, 22, 10, 0)
LATER = local(2025, 9, 23, 15, 0)


def _hotline(world: World, when: datetime.datetime = T0) -> Case:
    return report(
        world,
        actor=world.operator,
        channel=Channel.HOTLINE,
        reporter_name="王阿姨",
        reporter_phone="13912345678",
        now=when,
    )


def _resolve(world: World, case: Case, when: datetime.datetime = T0) -> Case:
    case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        assignee_id=world.handler.pk,
        now=when,
    )
    case_start(actor=world.handler, case_id=case.pk, now=when)
    return case_resolve(actor=world.handler, case_id=case.pk, note="已更换灯泡", now=when)


def _rated_events(case: Case) -> int:
    return CaseEvent.objects.filter(case=case, action=CaseEvent.Action.RATED).count()


def test_the_operations_centre_records_a_callback_that_closes_a_hotline_case(world):
    # given a hotline case the department resolved
    case = _resolve(world, _hotline(world))

    # when the operator calls the caller back and records her satisfaction
    case = case_rate_by_callback(
        actor=world.operator, case_id=case.pk, rating=4, comment="灯亮了，满意", now=LATER
    )

    # then the case is closed with the rating, marked as a callback by the operator
    assert case.status == Status.CLOSED
    assert case.rating == 4
    assert case.rating_comment == "灯亮了，满意"
    assert case.rated_at == LATER
    assert case.closed_at == LATER
    rated = CaseEvent.objects.get(case=case, action=CaseEvent.Action.RATED)
    assert rated.actor == world.operator
    assert rated.note == "灯亮了，满意"
    assert rated.data == {
        "rating": 4,
        "callback": True,
        "recorded_by": world.operator.pk,
        "recorded_by_label": rated.actor_label,
    }
    assert rated.actor_label == (world.operator.display_name or world.operator.username)
    closed = CaseEvent.objects.get(case=case, action=CaseEvent.Action.CLOSED)
    assert (closed.from_status, closed.to_status) == (Status.RESOLVED, Status.CLOSED)
    audit = AuditEntry.objects.get(object_id=str(case.pk), action="cases.rate")
    assert audit.changes == {"rating": 4, "callback": True}


def test_community_staff_record_callbacks_only_for_their_own_community(world):
    case = _resolve(world, _hotline(world))
    community_a = _member(Role.COMMUNITY_STAFF, world.town.community_a, "community_a")
    with pytest.raises(CallbackNotAllowedError) as refused:
        case_rate_by_callback(actor=world.community, case_id=case.pk, rating=5)
    assert refused.value.code == "callback_not_allowed"
    assert _rated_events(case) == 0
    case = case_rate_by_callback(actor=community_a, case_id=case.pk, rating=5)
    assert case.rating == 5
    assert case.status == Status.CLOSED


@pytest.mark.parametrize(
    "who", ["handler", "other_handler", "gridworker", "property_staff", "resident", None]
)
def test_nobody_without_the_callback_permission_records_one(world, who):
    case = _resolve(world, _hotline(world))
    actor = getattr(world, who) if who else None
    with pytest.raises(CallbackNotAllowedError) as refused:
        case_rate_by_callback(actor=actor, case_id=case.pk, rating=5)
    assert refused.value.code == "callback_not_allowed"
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert case.rating is None
    assert _rated_events(case) == 0
    assert "callback" not in allowed_actions(actor=actor, case=case)


def test_whoever_worked_on_the_case_cannot_record_its_callback(world):
    # given a hotline case the operator took on and resolved himself
    case = _hotline(world)
    case_accept(actor=world.operator, case_id=case.pk, now=T0)
    case_start(actor=world.operator, case_id=case.pk, now=T0)
    case = case_resolve(actor=world.operator, case_id=case.pk, note="已处理", now=T0)
    assert "callback" not in allowed_actions(actor=world.operator, case=case)

    # when he tries to record the callback, he is refused
    with pytest.raises(CallbackNotAllowedError) as refused:
        case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=5)
    assert refused.value.code == "callback_by_handler"
    assert Case.objects.get(pk=case.pk).rating is None

    # and a colleague of the operations centre records it
    colleague = _member(Role.OPERATOR, world.town.town, "operator_2")
    assert "callback" in allowed_actions(actor=colleague, case=case)
    assert case_rate_by_callback(actor=colleague, case_id=case.pk, rating=3).rating == 3


def test_the_assigned_handler_cannot_record_the_callback_even_as_a_dispatcher(world):
    case = _hotline(world)
    community_a = _member(Role.COMMUNITY_STAFF, world.town.community_a, "community_a")
    case_dispatch(actor=world.operator, case_id=case.pk, assignee_id=community_a.pk, now=T0)
    case_start(actor=world.handler, case_id=case.pk, now=T0)
    case_resolve(actor=world.handler, case_id=case.pk, note="已处理", now=T0)
    with pytest.raises(CallbackNotAllowedError) as refused:
        case_rate_by_callback(actor=community_a, case_id=case.pk, rating=5)
    assert refused.value.code == "callback_by_handler"
    assert Case.objects.get(pk=case.pk).rating is None


def test_a_residents_own_case_is_rated_by_her_not_by_callback(world):
    case = _resolve(world, report(world, now=T0))
    with pytest.raises(RatingNotAllowedError) as refused:
        case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=5)
    assert refused.value.code == "callback_wrong_channel"
    assert "callback" not in allowed_actions(actor=world.operator, case=case)
    assert Case.objects.get(pk=case.pk).rating is None
    assert case_rate(actor=world.resident, case_id=case.pk, rating=5).rating == 5


def test_a_callback_before_the_case_is_resolved_is_refused(world):
    case = _hotline(world)
    with pytest.raises(RatingNotAllowedError):
        case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=5)
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=T0)
    case_start(actor=world.handler, case_id=case.pk, now=T0)
    with pytest.raises(RatingNotAllowedError) as refused:
        case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=5)
    assert refused.value.code == "rating_not_allowed"
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.rating is None
    assert "callback" not in allowed_actions(actor=world.operator, case=case)


def test_a_callback_is_recorded_once(world):
    case = _resolve(world, _hotline(world))
    case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=5, now=LATER)
    colleague = _member(Role.OPERATOR, world.town.town, "operator_2")
    with pytest.raises(RatingNotAllowedError):
        case_rate_by_callback(actor=colleague, case_id=case.pk, rating=1, reopen=True)
    case.refresh_from_db()
    assert case.rating == 5
    assert case.status == Status.CLOSED
    assert _rated_events(case) == 1
    assert "callback" not in allowed_actions(actor=colleague, case=case)


def test_a_rating_outside_one_to_five_is_refused(world):
    case = _resolve(world, _hotline(world))
    for rating in (0, 6, "good"):
        with pytest.raises(MissingFieldError):
            case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=rating)
    assert _rated_events(case) == 0


def test_an_unsatisfied_callback_reopens_the_case(world):
    case = _resolve(world, _hotline(world))
    with pytest.raises(RatingNotAllowedError) as refused:
        case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=3, reopen=True)
    assert refused.value.code == "reopen_needs_low_rating"
    assert Case.objects.get(pk=case.pk).rating is None

    case = case_rate_by_callback(
        actor=world.operator, case_id=case.pk, rating=1, comment="灯还是不亮", reopen=True
    )

    assert case.status == Status.DISPATCHED
    assert case.reopen_count == 1
    assert case.rating == 1
    assert case.resolved_at is None
    reopened = CaseEvent.objects.get(case=case, action=CaseEvent.Action.REOPENED)
    assert reopened.note == "灯还是不亮"
    assert reopened.actor == world.operator
    assert not CaseEvent.objects.filter(case=case, action=CaseEvent.Action.CLOSED).exists()


def test_an_unsatisfied_callback_without_words_reopens_with_a_reason(world):
    case = _resolve(world, _hotline(world))
    with translation.override("zh-hans"):
        case = case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=2, reopen=True)
    reopened = CaseEvent.objects.get(case=case, action=CaseEvent.Action.REOPENED)
    assert reopened.note == "回访时报事人表示不满意。"


def test_a_callback_after_the_automatic_closure_keeps_the_case_closed(world):
    case = _resolve(world, _hotline(world, local(2025, 9, 1, 10, 0)), local(2025, 9, 1, 10, 0))
    assert close_unrated_cases(now=T0) == 1
    case = case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=4, now=LATER)
    assert case.status == Status.CLOSED
    assert case.rating == 4
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.CLOSED).count() == 1


def test_a_visit_case_gets_its_callback_from_the_community(world):
    # given a case a grid worker opened on a visit, resolved by the department
    visit = visit_record(
        actor=world.gridworker,
        building_id=world.building.pk,
        note="路灯不亮，住户反映好几天了",
        open_case_category="street-light",
        now=T0,
        **POINT_A1,
    )
    case = _resolve(world, visit.case)
    community_a = _member(Role.COMMUNITY_STAFF, world.town.community_a, "community_a")
    assert "callback" in allowed_actions(actor=community_a, case=case)
    assert "callback" not in allowed_actions(actor=world.gridworker, case=case)

    case = case_rate_by_callback(actor=community_a, case_id=case.pk, rating=5, comment="满意")

    assert case.channel == Channel.VISIT
    assert case.status == Status.CLOSED
    assert case.rating == 5
    rated = CaseEvent.objects.get(case=case, action=CaseEvent.Action.RATED)
    assert rated.data["recorded_by"] == community_a.pk


@pytest.mark.parametrize("channel", [Channel.OPEN311, Channel.SYSTEM])
def test_client_system_and_alarm_cases_take_callbacks_too(world, channel):
    case = _resolve(world, report(world, actor=None, channel=channel, now=T0))
    case = case_rate_by_callback(actor=world.operator, case_id=case.pk, rating=4)
    assert case.status == Status.CLOSED
    assert case.rating == 4
