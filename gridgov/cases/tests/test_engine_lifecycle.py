"""The state machine: the main path, every illegal step refused, two handlers at once."""

from __future__ import annotations

import datetime

import pytest

from gridgov.cases.models import Case, CaseEvent, Status
from gridgov.cases.services import (
    TRANSITIONS,
    ConcurrentChangeError,
    IllegalTransitionError,
    MissingFieldError,
    NotAllowedError,
    Upload,
    allowed_actions,
    case_accept,
    case_close,
    case_comment,
    case_dispatch,
    case_grab,
    case_merge,
    case_rate,
    case_reopen,
    case_resolve,
    case_resume,
    case_return,
    case_start,
    case_suspend,
)
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.tests.helpers_engine import PNG, World, local, report, world_fixture  # noqa: F401
from gridgov.core.models import AuditEntry, Notification

pytestmark = pytest.mark.django_db

T0 = local(2025, 9, 22, 10, 0)


def _walk_to(world: World, status: str) -> Case:
    case = report(world, now=T0)
    steps = {
        Status.NEW: [],
        Status.ACCEPTED: ["accept"],
        Status.DISPATCHED: ["accept", "dispatch"],
        Status.IN_PROGRESS: ["accept", "dispatch", "start"],
        Status.RESOLVED: ["accept", "dispatch", "start", "resolve"],
        Status.CLOSED: ["accept", "dispatch", "start", "resolve", "close"],
        Status.RETURNED: ["accept", "dispatch", "return"],
        Status.SUSPENDED: ["accept", "dispatch", "suspend"],
        Status.MERGED: ["merge"],
    }[status]
    operator = world.operator
    for step in steps:
        if step == "accept":
            case_accept(actor=operator, case_id=case.pk, now=T0)
        elif step == "dispatch":
            case_dispatch(actor=operator, case_id=case.pk, department_id=world.urban.pk, now=T0)
        elif step == "start":
            case_start(actor=world.handler, case_id=case.pk, now=T0)
        elif step == "resolve":
            case_resolve(actor=world.handler, case_id=case.pk, note="换了灯泡", now=T0)
        elif step == "close":
            case_close(actor=operator, case_id=case.pk, now=T0)
        elif step == "return":
            case_return(actor=world.handler, case_id=case.pk, reason="不是我们的", now=T0)
        elif step == "suspend":
            case_suspend(
                actor=world.handler,
                case_id=case.pk,
                reason="等供电公司",
                until=T0 + datetime.timedelta(days=2),
                now=T0,
            )
        elif step == "merge":
            other = report(world, now=T0, description="另一个")
            case_merge(actor=operator, case_id=case.pk, into_case_id=other.pk, now=T0)
    case.refresh_from_db()
    assert case.status == status
    return case


def _attempt(world: World, action: str, case: Case) -> None:
    operator = world.operator
    calls = {
        "accept": lambda: case_accept(actor=operator, case_id=case.pk, now=T0),
        "dispatch": lambda: case_dispatch(
            actor=operator, case_id=case.pk, department_id=world.urban.pk, now=T0
        ),
        "grab": lambda: case_grab(actor=world.property_staff, case_id=case.pk, now=T0),
        "start": lambda: case_start(actor=operator, case_id=case.pk, now=T0),
        "resolve": lambda: case_resolve(actor=operator, case_id=case.pk, note="好了", now=T0),
        "return": lambda: case_return(actor=operator, case_id=case.pk, reason="错派", now=T0),
        "reopen": lambda: case_reopen(actor=operator, case_id=case.pk, reason="没修好", now=T0),
        "suspend": lambda: case_suspend(
            actor=operator,
            case_id=case.pk,
            reason="等待",
            until=T0 + datetime.timedelta(days=1),
            now=T0,
        ),
        "resume": lambda: case_resume(actor=operator, case_id=case.pk, now=T0),
        "merge": lambda: case_merge(
            actor=operator, case_id=case.pk, into_case_id=report(world, now=T0).pk, now=T0
        ),
        "close": lambda: case_close(actor=operator, case_id=case.pk, now=T0),
    }
    calls[action]()


def test_main_path_report_to_rated_closure(world: World) -> None:
    case = report(world, now=T0)
    assert case.status == Status.NEW
    assert len(case.number) == 14
    assert case.number.startswith("20250922")
    assert case.cell == world.town.micro_a1
    assert case.handling_cell == world.town.micro_a1
    assert case.department == world.urban
    assert case.reporter_phone_last4 == "5678"
    assert "13812345678" not in case.reporter_phone_encrypted
    case = case_accept(actor=world.operator, case_id=case.pk, expected_version=case.version, now=T0)
    case = case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        assignee_id=world.handler.pk,
        expected_version=case.version,
        now=T0,
    )
    assert Notification.objects.filter(recipient=world.handler).exists()
    case = case_start(actor=world.handler, case_id=case.pk, expected_version=case.version, now=T0)
    case = case_resolve(
        actor=world.handler,
        case_id=case.pk,
        note="已更换灯泡",
        uploads=[Upload("after.png", "image/png", PNG)],
        expected_version=case.version,
        now=T0 + datetime.timedelta(hours=3),
    )
    assert case.status == Status.RESOLVED
    assert case.attachments.count() == 1
    told = Notification.objects.filter(recipient=world.resident, channel="in_app")
    assert told.filter(subject__contains=case.number).exists()
    assert Notification.objects.filter(channel="sms", status="pending").count() == 1
    case = case_rate(actor=world.resident, case_id=case.pk, rating=5, comment="很快")
    assert case.status == Status.CLOSED
    assert case.rating == 5
    actions = list(case.events.order_by("at", "id").values_list("action", flat=True))
    assert actions == [
        CaseEvent.Action.CREATED,
        CaseEvent.Action.ACCEPTED,
        CaseEvent.Action.DISPATCHED,
        CaseEvent.Action.STARTED,
        CaseEvent.Action.RESOLVED,
        CaseEvent.Action.RATED,
        CaseEvent.Action.CLOSED,
    ]
    assert (
        AuditEntry.objects.filter(object_id=str(case.pk), action__startswith="cases.").count() >= 6
    )


@pytest.mark.parametrize(
    "status",
    [
        Status.NEW,
        Status.ACCEPTED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
        Status.RETURNED,
        Status.SUSPENDED,
        Status.MERGED,
    ],
)
def test_every_illegal_transition_is_refused(world: World, status: str) -> None:
    for action, (from_statuses, _target) in TRANSITIONS.items():
        if status in from_statuses or action == "grab":
            continue
        case = _walk_to(world, status)
        version = case.version
        with pytest.raises(IllegalTransitionError):
            _attempt(world, action, case)
        case.refresh_from_db()
        assert case.status == status, action
        assert case.version == version, action


def test_every_allowed_transition_is_taken(world: World) -> None:
    for action, (from_statuses, target) in TRANSITIONS.items():
        if action == "grab":
            continue
        for status in from_statuses:
            case = _walk_to(world, status)
            _attempt(world, action, case)
            case.refresh_from_db()
            expected = target or case.status
            assert case.status == expected, (action, status)


def test_two_handlers_at_once_exactly_one_wins(world: World) -> None:
    case = report(world, now=T0)
    seen = case.version
    case_accept(actor=world.operator, case_id=case.pk, expected_version=seen, now=T0)
    with pytest.raises(ConcurrentChangeError) as refused:
        case_dispatch(
            actor=world.operator,
            case_id=case.pk,
            department_id=world.housing.pk,
            expected_version=seen,
            now=T0,
        )
    assert (
        "reload" in str(refused.value.messages[0]).lower()
        or refused.value.code == "concurrent_change"
    )
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.department == world.urban
    assert case.events.count() == 2


def test_second_accept_with_the_same_version_is_told(world: World) -> None:
    case = report(world, now=T0)
    seen = case.version
    case_accept(actor=world.operator, case_id=case.pk, expected_version=seen, now=T0)
    with pytest.raises(ConcurrentChangeError):
        case_accept(actor=world.handler, case_id=case.pk, expected_version=seen, now=T0)
    assert Case.objects.get(pk=case.pk).events.filter(action="accepted").count() == 1


def test_return_reopen_suspend_resume_and_merge(world: World) -> None:
    case = _walk_to(world, Status.DISPATCHED)
    with pytest.raises(MissingFieldError):
        case_return(actor=world.handler, case_id=case.pk, reason=" ", now=T0)
    case = case_return(actor=world.handler, case_id=case.pk, reason="属于房管", now=T0)
    assert case.status == Status.RETURNED
    assert case.assignee is None
    case = case_dispatch(
        actor=world.operator, case_id=case.pk, department_id=world.housing.pk, now=T0
    )
    assert case.department == world.housing
    case = case_start(actor=world.housing_handler, case_id=case.pk, now=T0)
    due = case.resolve_due_at
    case = case_suspend(
        actor=world.housing_handler,
        case_id=case.pk,
        reason="等待供电公司",
        until=T0 + datetime.timedelta(days=3),
        now=T0,
    )
    assert case.status == Status.SUSPENDED
    assert case.status_before_suspension == Status.IN_PROGRESS
    case = case_resume(
        actor=world.housing_handler, case_id=case.pk, now=T0 + datetime.timedelta(days=1)
    )
    assert case.status == Status.IN_PROGRESS
    assert case.resolve_due_at == due + datetime.timedelta(days=1)
    case = case_resolve(actor=world.housing_handler, case_id=case.pk, note="完成", now=T0)
    case = case_reopen(actor=world.operator, case_id=case.pk, reason="居民说没修好", now=T0)
    assert case.status == Status.DISPATCHED
    assert case.reopen_count == 1
    assert case.resolved_at is None
    twin = report(world, now=T0)
    with pytest.raises(IllegalTransitionError):
        case_merge(actor=world.operator, case_id=twin.pk, into_case_id=twin.pk, now=T0)
    twin = case_merge(actor=world.operator, case_id=twin.pk, into_case_id=case.pk, now=T0)
    assert twin.status == Status.MERGED
    assert twin.merged_into == case


def test_suspend_needs_a_future_time_limit(world: World) -> None:
    case = _walk_to(world, Status.DISPATCHED)
    with pytest.raises(MissingFieldError):
        case_suspend(actor=world.handler, case_id=case.pk, reason="等", until=T0, now=T0)


def test_resolution_needs_evidence(world: World) -> None:
    case = report(world, category="refuse", now=T0, description="垃圾堆在路边")
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=T0)
    case_start(actor=world.handler, case_id=case.pk, now=T0)
    with pytest.raises(MissingFieldError):
        case_resolve(actor=world.handler, case_id=case.pk, note="", now=T0)
    with pytest.raises(MissingFieldError) as refused:
        case_resolve(actor=world.handler, case_id=case.pk, note="清理完毕", now=T0)
    assert refused.value.code == "photo"
    case = case_resolve(
        actor=world.handler,
        case_id=case.pk,
        note="清理完毕",
        uploads=[Upload("x.png", "image/png", PNG)],
        now=T0,
    )
    assert case.status == Status.RESOLVED


def test_permissions_per_role(world: World) -> None:
    case = report(world, now=T0)
    # A resident may not accept; a handler of another department does not even see it.
    with pytest.raises((NotAllowedError, CaseNotFoundError)):
        case_accept(actor=world.resident, case_id=case.pk, now=T0)
    with pytest.raises(CaseNotFoundError):
        case_accept(actor=world.other_handler, case_id=case.pk, now=T0)
    with pytest.raises(CaseNotFoundError):
        case_accept(actor=world.community, case_id=case.pk, now=T0)  # community B: other area
    with pytest.raises(CaseNotFoundError):
        case_comment(actor=world.other_resident, case_id=case.pk, note="我也看到了", now=T0)
    # The handler of the routed department may accept but not dispatch.
    assert "accept" in allowed_actions(actor=world.handler, case=case)
    assert "dispatch" not in allowed_actions(actor=world.handler, case=case)
    with pytest.raises(NotAllowedError):
        case_dispatch(actor=world.handler, case_id=case.pk, department_id=world.fire.pk, now=T0)
    assert set(allowed_actions(actor=world.operator, case=case)) >= {"accept", "dispatch", "merge"}
    assert allowed_actions(actor=world.resident, case=case) == ["comment"]
    assert allowed_actions(actor=world.other_resident, case=case) == []
    # The grid worker of grid A handles cases in the grid.
    case_accept(actor=world.gridworker, case_id=case.pk, now=T0)
    # The reporter's comment is on the timeline.
    event = case_comment(actor=world.resident, case_id=case.pk, note="还没修", now=T0)
    assert event.action == CaseEvent.Action.COMMENTED


def test_property_company_grabs_property_matters_in_its_estates(world: World) -> None:
    case = report(
        world,
        category="property-facility",
        description="楼道栏杆松动",
        building_id=world.building.pk,
        now=T0,
    )
    assert case.estate == world.estate
    assert case.property_company == world.company
    assert "grab" in allowed_actions(actor=world.property_staff, case=case)
    case = case_grab(actor=world.property_staff, case_id=case.pk, now=T0)
    assert case.status == Status.DISPATCHED
    assert case.assignee == world.property_staff
    with pytest.raises(IllegalTransitionError):
        case_grab(actor=world.property_staff, case_id=case.pk, now=T0)
    # A street light is not a property matter: not theirs to take, and not visible.
    light = report(world, now=T0)
    with pytest.raises(CaseNotFoundError):
        case_grab(actor=world.property_staff, case_id=light.pk, now=T0)
