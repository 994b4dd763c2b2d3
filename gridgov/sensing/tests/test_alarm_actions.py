"""Routing a new alarm, and what staff do with it: acknowledge, clear, open a case; scoping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from gridgov.cases.models import Case, Category, Channel
from gridgov.core.models import AuditEntry, Notification
from gridgov.registry.tests.factories import DwellingFactory, PersonFactory, ResidencyFactory
from gridgov.sensing import selectors
from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep
from gridgov.sensing.services.alarm_actions import (
    AlarmCategoryRequiredError,
    AlarmNoteRequiredError,
    AlarmNotFoundError,
    AlarmStateError,
    alarm_acknowledge,
    alarm_clear,
    alarm_open_case,
    alarm_raised,
    alarm_recipients,
)
from gridgov.sensing.services.alarms import AlarmDraft, raise_alarms
from gridgov.sensing.tests.factories import (
    RECEIVED_AT,
    AlarmFactory,
    DeviceFactory,
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db

POINT_A1 = {"lng": 121.05, "lat": 31.1}


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(code="fire-exit", name="消防通道", sort_order=1)


def _alarm(town, **kwargs) -> Alarm:
    kwargs.setdefault("cell", town.micro_a1)
    alarm = AlarmFactory(**kwargs)
    alarm.device.lng, alarm.device.lat = POINT_A1["lng"], POINT_A1["lat"]
    alarm.device.save(update_fields=["lng", "lat"])
    return alarm


def _told(alarm: Alarm) -> set[str]:
    return set(
        Notification.objects.filter(dedupe_key__startswith=f"alarm:{alarm.pk}:").values_list(
            "recipient__username", flat=True
        )
    )


def _steps(alarm: Alarm) -> list[str]:
    return list(alarm.steps.order_by("id").values_list("action", flat=True))


def test_a_new_alarm_tells_the_named_roles_over_its_cell_and_the_owners_property_staff(
    town, make_member
):
    # given
    company = OrganizationFactory(code="wuye", kind=Organization.Kind.PROPERTY_COMPANY)
    other_company = OrganizationFactory(code="wuye2", kind=Organization.Kind.PROPERTY_COMPANY)
    make_member(Role.GRID_WORKER, town.grid_a, "worker_a")
    make_member(Role.GRID_WORKER, town.grid_b, "worker_b")
    make_member(Role.OPERATOR, town.town, "operator")
    make_member(Role.COMMUNITY_STAFF, town.community_a, "community_a")
    make_member(Role.DEPARTMENT_HANDLER, town.town, "handler")
    for username, organisation, cell in (
        ("property_own", company, town.community_a),
        ("property_other", other_company, town.community_a),
        ("property_own_elsewhere", company, town.community_b),
    ):
        MembershipFactory(
            user=UserFactory(username=username),
            cell=cell,
            role=Role.PROPERTY_STAFF,
            organization=organisation,
        )
    scenario = ScenarioFactory(
        notify_roles=[Role.GRID_WORKER, Role.OPERATOR, Role.DEPARTMENT_HANDLER]
    )
    alarm = _alarm(town, scenario=scenario)
    alarm.device.owner = company
    alarm.device.save(update_fields=["owner"])

    # when
    alarm_raised(alarm.pk)

    # then
    assert _told(alarm) == {"worker_a", "operator", "property_own"}
    notified = alarm.steps.get(action=AlarmStep.Action.NOTIFIED)
    assert notified.note == "已站内通知 3 人"
    assert Notification.objects.filter(channel=Notification.Channel.SMS).count() == 0


def test_a_deactivated_member_is_not_told(town, make_member):
    worker = make_member(Role.GRID_WORKER, town.grid_a, "worker_a")
    worker.memberships.update(is_active=False)
    alarm = _alarm(town)

    assert alarm_recipients(alarm) == []


def test_routing_twice_tells_nobody_twice_and_opens_one_case(town, make_member, category):
    make_member(Role.GRID_WORKER, town.grid_a, "worker_a")
    scenario = ScenarioFactory(opens_case=True, case_category_code=category.code)
    alarm = _alarm(town, scenario=scenario)

    alarm_raised(alarm.pk)
    alarm_raised(alarm.pk)

    assert Notification.objects.filter(dedupe_key__startswith=f"alarm:{alarm.pk}:").count() == 1
    assert _steps(alarm) == [AlarmStep.Action.NOTIFIED, AlarmStep.Action.CASE_OPENED]
    assert Case.objects.filter(channel=Channel.SYSTEM).count() == 1


def test_a_scenario_that_opens_cases_opens_one_linked_both_ways(town, category):
    scenario = ScenarioFactory(opens_case=True, case_category_code=category.code)
    alarm = _alarm(town, scenario=scenario)

    alarm_raised(alarm.pk)

    alarm.refresh_from_db()
    case = alarm.case
    assert case is not None
    assert case.channel == Channel.SYSTEM
    assert case.category == category
    assert case.cell == town.micro_a1
    assert case.source_ref == f"alarm:{alarm.pk}"
    assert list(case.alarms.all()) == [alarm]
    opened = alarm.steps.get(action=AlarmStep.Action.CASE_OPENED)
    assert opened.actor is None
    assert case.number in opened.note


def test_a_scenario_without_a_case_opens_none(town, category):
    alarm = _alarm(town, scenario=ScenarioFactory(opens_case=False))

    alarm_raised(alarm.pk)

    alarm.refresh_from_db()
    assert alarm.case is None
    assert Case.objects.count() == 0


def test_an_unknown_case_category_leaves_the_alarm_without_a_case_and_raises_nothing(town):
    scenario = ScenarioFactory(opens_case=True, case_category_code="no-such-category")
    alarm = _alarm(town, scenario=scenario)

    alarm_raised(alarm.pk)

    alarm.refresh_from_db()
    assert alarm.case is None
    assert Case.objects.count() == 0
    assert _steps(alarm) == [AlarmStep.Action.NOTIFIED]


def test_an_alarm_cleared_before_routing_is_left_alone(town, make_member, category):
    make_member(Role.GRID_WORKER, town.grid_a, "worker_a")
    scenario = ScenarioFactory(opens_case=True, case_category_code=category.code)
    alarm = _alarm(town, scenario=scenario, status=AlarmStatus.CLEARED)

    alarm_raised(alarm.pk)

    assert _told(alarm) == set()
    assert _steps(alarm) == []
    assert Case.objects.count() == 0


def test_acknowledging_records_who_and_when_with_a_step_and_an_audit_row(town, grid_worker_a):
    alarm = _alarm(town)

    result = alarm_acknowledge(actor=grid_worker_a, alarm_id=alarm.pk)

    assert result.status == AlarmStatus.ACKNOWLEDGED
    assert result.acknowledged_by == grid_worker_a
    assert result.acknowledged_at is not None
    step = alarm.steps.get()
    assert (step.action, step.actor) == (AlarmStep.Action.ACKNOWLEDGED, grid_worker_a)
    assert AuditEntry.objects.filter(
        action="sensing.alarm_acknowledge", object_id=str(alarm.pk), actor=grid_worker_a
    ).exists()


def test_a_second_acknowledgement_is_refused_and_changes_nothing(town, grid_worker_a, operator):
    alarm = _alarm(town)
    alarm_acknowledge(actor=grid_worker_a, alarm_id=alarm.pk)

    with pytest.raises(AlarmStateError) as refused:
        alarm_acknowledge(actor=operator, alarm_id=alarm.pk)

    assert refused.value.code == "alarm_state"
    assert refused.value.messages == ["该告警已被确认，无需重复确认。"]
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == grid_worker_a
    assert alarm.steps.count() == 1
    assert AuditEntry.objects.filter(action="sensing.alarm_acknowledge").count() == 1


def test_clearing_needs_a_note_and_loses_nothing_without_one(town, grid_worker_a):
    alarm = _alarm(town)

    with pytest.raises(AlarmNoteRequiredError):
        alarm_clear(actor=grid_worker_a, alarm_id=alarm.pk, note="   ")

    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE
    assert alarm.steps.count() == 0
    assert not AuditEntry.objects.filter(action="sensing.alarm_clear").exists()


def test_clearing_with_a_note_closes_the_alarm_once(town, grid_worker_a):
    alarm = _alarm(town)
    alarm_acknowledge(actor=grid_worker_a, alarm_id=alarm.pk)

    cleared = alarm_clear(actor=grid_worker_a, alarm_id=alarm.pk, note="已现场关门")

    assert cleared.status == AlarmStatus.CLEARED
    assert (cleared.cleared_by, cleared.clear_note) == (grid_worker_a, "已现场关门")
    assert _steps(alarm) == [AlarmStep.Action.ACKNOWLEDGED, AlarmStep.Action.CLEARED]
    with pytest.raises(AlarmStateError):
        alarm_clear(actor=grid_worker_a, alarm_id=alarm.pk, note="再次解除")
    with pytest.raises(AlarmStateError):
        alarm_acknowledge(actor=grid_worker_a, alarm_id=alarm.pk)
    assert alarm.steps.count() == 2


def test_a_case_opened_by_hand_is_linked_both_ways_and_audited(town, grid_worker_a, category):
    alarm = _alarm(town)

    case = alarm_open_case(
        actor=grid_worker_a, alarm_id=alarm.pk, category_code=category.code, note="需物业处理"
    )

    alarm.refresh_from_db()
    assert alarm.case == case
    assert list(case.alarms.all()) == [alarm]
    assert "需物业处理" in case.description
    step = alarm.steps.get(action=AlarmStep.Action.CASE_OPENED)
    assert step.actor == grid_worker_a
    assert AuditEntry.objects.filter(
        action="sensing.alarm_open_case", object_id=str(alarm.pk)
    ).exists()


def test_a_second_case_for_one_alarm_is_refused(town, grid_worker_a, category):
    scenario = ScenarioFactory(opens_case=True, case_category_code=category.code)
    alarm = _alarm(town, scenario=scenario)
    alarm_raised(alarm.pk)

    with pytest.raises(AlarmStateError):
        alarm_open_case(actor=grid_worker_a, alarm_id=alarm.pk)

    assert Case.objects.count() == 1
    assert alarm.steps.filter(action=AlarmStep.Action.CASE_OPENED).count() == 1


def test_a_case_by_hand_needs_a_category_when_the_scenario_names_none(town, grid_worker_a):
    alarm = _alarm(town)

    with pytest.raises(AlarmCategoryRequiredError):
        alarm_open_case(actor=grid_worker_a, alarm_id=alarm.pk)

    assert Case.objects.count() == 0


def test_a_grid_worker_of_another_grid_can_neither_see_nor_handle_the_alarm(town, make_member):
    outsider = make_member(Role.GRID_WORKER, town.grid_b, "worker_b")
    alarm = _alarm(town)

    assert list(selectors.alarm_list_for_actor(actor=outsider)) == []
    with pytest.raises(AlarmNotFoundError):
        alarm_acknowledge(actor=outsider, alarm_id=alarm.pk)
    with pytest.raises(AlarmNotFoundError):
        alarm_clear(actor=outsider, alarm_id=alarm.pk, note="x")

    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE
    assert alarm.steps.count() == 0


def test_a_resident_cannot_handle_alarms(town, make_member):
    resident = make_member(Role.RESIDENT, town.grid_a, "resident")
    alarm = _alarm(town)

    with pytest.raises(AlarmNotFoundError):
        alarm_acknowledge(actor=resident, alarm_id=alarm.pk)


def test_property_staff_see_and_handle_only_their_companys_device_alarms(town):
    company = OrganizationFactory(code="wuye", kind=Organization.Kind.PROPERTY_COMPANY)
    staff = UserFactory(username="property")
    MembershipFactory(
        user=staff, cell=town.community_a, role=Role.PROPERTY_STAFF, organization=company
    )
    own = _alarm(town)
    own.device.owner = company
    own.device.save(update_fields=["owner"])
    other = _alarm(town)

    assert list(selectors.alarm_list_for_actor(actor=staff)) == [own]
    alarm_acknowledge(actor=staff, alarm_id=own.pk)
    with pytest.raises(AlarmNotFoundError):
        alarm_acknowledge(actor=staff, alarm_id=other.pk)


def test_handling_needs_the_handle_permission_where_the_alarm_is(town, grid_worker_a, monkeypatch):
    alarm = _alarm(town)
    monkeypatch.setattr(
        "gridgov.sensing.services.alarm_actions.alarm_handling_allowed",
        lambda **kwargs: False,
    )

    with pytest.raises(PermissionDenied):
        alarm_acknowledge(actor=grid_worker_a, alarm_id=alarm.pk)

    assert alarm.steps.count() == 0


def test_the_list_filters_by_subtree_severity_scenario_status_and_time(town, operator):
    door = ScenarioFactory(code="door", severity="warning")
    smoke = ScenarioFactory(code="smoke", severity="critical")
    in_a1 = _alarm(town, scenario=door)
    in_b1 = _alarm(town, scenario=smoke, cell=town.micro_b1)
    old = _alarm(
        town, scenario=smoke, cell=town.micro_a2, raised_at=RECEIVED_AT - timedelta(days=2)
    )
    cleared = _alarm(town, scenario=door, status=AlarmStatus.CLEARED)

    def ids(**filters) -> set[int]:
        return {alarm.pk for alarm in selectors.alarm_list_for_actor(actor=operator, **filters)}

    assert ids() == {in_a1.pk, in_b1.pk, old.pk, cleared.pk}
    assert ids(cell_code=town.community_a.code) == {in_a1.pk, old.pk, cleared.pk}
    assert ids(severities=["critical"]) == {in_b1.pk, old.pk}
    assert ids(scenario_code="door") == {in_a1.pk, cleared.pk}
    assert ids(statuses=["active"]) == {in_a1.pk, in_b1.pk, old.pk}
    assert ids(since=RECEIVED_AT - timedelta(hours=1)) == {in_a1.pk, in_b1.pk, cleared.pk}
    assert ids(after_id=in_b1.pk) == {old.pk, cleared.pk}


def test_the_board_counts_open_alarms_by_status_and_severity(town, operator, grid_worker_a):
    smoke = ScenarioFactory(code="smoke", severity="critical")
    _alarm(town)
    _alarm(town, scenario=smoke, status=AlarmStatus.ACKNOWLEDGED)
    _alarm(town, scenario=smoke, cell=town.micro_b1)
    _alarm(town, status=AlarmStatus.CLEARED)

    counts = selectors.alarm_counts_for_actor(actor=operator)
    mine = selectors.alarm_counts_for_actor(actor=grid_worker_a)

    assert (counts["active"], counts["acknowledged"]) == (2, 1)
    assert (counts["critical"], counts["warning"], counts["major"]) == (2, 1, 0)
    assert (mine["active"], mine["acknowledged"], mine["critical"]) == (1, 1, 1)


def test_a_dwellings_history_holds_its_alarms_and_its_residents(town, operator):
    dwelling = DwellingFactory(cell=town.micro_a1)
    resident = PersonFactory()
    ResidencyFactory(person=resident, dwelling=dwelling)
    at_home = _alarm(town, dwelling=dwelling)
    about_resident = _alarm(town, person=resident)
    elsewhere = _alarm(town)

    history = selectors.alarm_history_for_dwelling(actor=operator, dwelling_id=dwelling.pk)
    own_only = selectors.alarm_history_for_dwelling(
        actor=operator, dwelling_id=dwelling.pk, include_residents=False
    )

    assert {alarm.pk for alarm in history} == {at_home.pk, about_resident.pk}
    assert elsewhere.pk not in {alarm.pk for alarm in history}
    assert list(own_only) == [at_home]


def test_an_alarm_raised_by_the_engine_is_routed_after_the_commit(
    town, make_member, category, django_capture_on_commit_callbacks
):
    make_member(Role.GRID_WORKER, town.grid_a, "worker_a")
    scenario = ScenarioFactory(opens_case=True, case_category_code=category.code)
    device = DeviceFactory(cell=town.micro_a1, lng=POINT_A1["lng"], lat=POINT_A1["lat"])
    draft = AlarmDraft(
        scenario_id=scenario.pk,
        scenario_version=scenario.version,
        severity=scenario.severity,
        suppress_seconds=0,
        condition_key=f"{scenario.code}:{device.code}",
        summary="消防通道门常开",
        cell_id=town.micro_a1.pk,
        occurred_at=RECEIVED_AT,
        device_id=device.pk,
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = raise_alarms([draft])

    alarm = Alarm.objects.get(pk=result.raised[0])
    assert _told(alarm) == {"worker_a"}
    assert alarm.case is not None
    assert AlarmStep.Action.NOTIFIED in _steps(alarm)
