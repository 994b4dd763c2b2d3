"""Alarms reach the patrol's phone (issue 5): SMS from the scenario's ``sms_min_severity`` on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridgov.accounts.roles import Role
from gridgov.accounts.services.work_phones import WORK_PHONE_CONTEXT, user_set_work_phone
from gridgov.core.crypto import decrypt_text
from gridgov.core.models import Notification
from gridgov.core.notifications import SMS_PHONE_CONTEXT, ConsoleSmsBackend, deliver_pending
from gridgov.registry.tests.factories import BuildingFactory
from gridgov.sensing.models import AlarmStep
from gridgov.sensing.services.alarm_actions import alarm_raised, alarm_sms_text
from gridgov.sensing.services.alarms import AlarmDraft, clear_condition, raise_alarms
from gridgov.sensing.tests.factories import AlarmFactory, DeviceFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def patrol(town, make_member):
    """Two grid workers over grid A, one with a work phone; an operator without one."""
    with_phone = make_member(Role.GRID_WORKER, town.grid_a, "patrol_phone")
    user_set_work_phone(actor=None, user=with_phone, phone="139 1234 5678")
    make_member(Role.GRID_WORKER, town.grid_a, "patrol_no_phone")
    return with_phone


def _sms_rows():
    return Notification.objects.filter(channel=Notification.Channel.SMS).order_by("id")


def _draft(scenario, device, town, at: datetime = T0, severity: str = "critical") -> AlarmDraft:
    return AlarmDraft(
        scenario_id=scenario.pk,
        scenario_version=1,
        severity=severity,
        suppress_seconds=scenario.suppress_seconds,
        condition_key=f"{scenario.pk}:d:{device.pk}",
        summary="烟感报警：3号楼",
        cell_id=town.grid_a.pk,
        occurred_at=at,
        occurrences=1,
        device_id=device.pk,
        values={},
    )


def test_a_critical_alarm_sends_one_sms_to_each_recipient_with_a_work_phone(town, patrol):
    # given
    scenario = ScenarioFactory(
        name="烟感报警", severity="critical", notify_roles=[Role.GRID_WORKER]
    )
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    # when
    alarm_raised(alarm.pk)

    # then
    sms = list(_sms_rows())
    assert [row.recipient_id for row in sms] == [patrol.pk]
    assert decrypt_text(sms[0].phone_encrypted, associated_data=SMS_PHONE_CONTEXT) == (
        "13912345678"
    )
    assert sms[0].status == Notification.Status.PENDING
    in_app = Notification.objects.filter(channel=Notification.Channel.IN_APP)
    assert in_app.count() == 2
    step = alarm.steps.get(action=AlarmStep.Action.NOTIFIED)
    assert step.note == "已站内通知 2 人，其中 1 人同时短信通知"


def test_the_alarm_sms_is_short_chinese_and_names_the_building_not_the_resident(town, patrol):
    building = BuildingFactory(cell=town.micro_a1)
    scenario = ScenarioFactory(name="燃气泄漏", severity="critical", notify_roles=["grid_worker"])
    alarm = AlarmFactory(
        scenario=scenario, cell=town.micro_a1, building=building, summary="燃气泄漏：张三家"
    )

    alarm_raised(alarm.pk)
    ConsoleSmsBackend.sent.clear()
    delivered = deliver_pending()

    assert delivered == 1
    subject, body = alarm_sms_text(alarm)
    assert subject == "【告警】紧急：燃气泄漏"
    assert body == f"地点：{building}。详见平台告警 #{alarm.pk}。"
    assert list(ConsoleSmsBackend.sent) == [("139****5678", f"{subject} {body}")]
    assert "张三" not in subject + body


def test_a_warning_alarm_sends_no_sms(town, patrol):
    scenario = ScenarioFactory(severity="warning", notify_roles=[Role.GRID_WORKER])
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    alarm_raised(alarm.pk)

    assert _sms_rows().count() == 0
    assert Notification.objects.filter(channel=Notification.Channel.IN_APP).count() == 2
    assert alarm.steps.get(action=AlarmStep.Action.NOTIFIED).note == "已站内通知 2 人"


def test_a_major_alarm_sends_sms_when_its_scenario_starts_sms_at_major(town, patrol):
    scenario = ScenarioFactory(
        severity="major", sms_min_severity="major", notify_roles=[Role.GRID_WORKER]
    )
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    alarm_raised(alarm.pk)

    assert list(_sms_rows().values_list("recipient_id", flat=True)) == [patrol.pk]


def test_a_scenario_without_an_sms_severity_never_sends_sms(town, patrol):
    scenario = ScenarioFactory(
        severity="critical", sms_min_severity="", notify_roles=[Role.GRID_WORKER]
    )
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    alarm_raised(alarm.pk)

    assert _sms_rows().count() == 0


def test_an_alarm_raised_again_sends_no_second_sms(town, patrol):
    # given a critical alarm, routed once
    scenario = ScenarioFactory(
        severity="critical", suppress_seconds=600, notify_roles=[Role.GRID_WORKER]
    )
    device = DeviceFactory(code="smoke-1", cell=town.grid_a)
    first = raise_alarms([_draft(scenario, device, town)])
    alarm_raised(first.raised[0])
    assert _sms_rows().count() == 1

    # when the condition occurs again while open, and again after clearing within the window
    again = raise_alarms([_draft(scenario, device, town, at=T0 + timedelta(minutes=1))])
    for alarm_id in again.raised + again.bumped:
        alarm_raised(alarm_id)
    clear_condition(_draft(scenario, device, town).condition_key, at=T0 + timedelta(minutes=2))
    suppressed = raise_alarms([_draft(scenario, device, town, at=T0 + timedelta(minutes=5))])
    for alarm_id in suppressed.raised:
        alarm_raised(alarm_id)

    # then
    assert (again.raised, again.bumped) == ([], first.raised)
    assert suppressed.raised == []
    assert _sms_rows().count() == 1


def test_routing_a_critical_alarm_twice_sends_no_second_sms(town, patrol):
    scenario = ScenarioFactory(severity="critical", notify_roles=[Role.GRID_WORKER])
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    alarm_raised(alarm.pk)
    alarm_raised(alarm.pk)

    assert _sms_rows().count() == 1


def test_a_work_phone_is_stored_encrypted_and_shown_masked(town, patrol):
    patrol.refresh_from_db()

    assert "13912345678" not in patrol.work_phone_encrypted
    assert (
        decrypt_text(patrol.work_phone_encrypted, associated_data=WORK_PHONE_CONTEXT)
        == "13912345678"
    )
    assert patrol.work_phone_masked == "139****5678"


def test_the_alarm_sms_is_handed_to_the_gateway_when_the_alarm_is_stored_without_waiting(
    town, patrol, django_capture_on_commit_callbacks
):
    # given
    scenario = ScenarioFactory(name="烟感报警", severity="critical", notify_roles=["grid_worker"])
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)
    ConsoleSmsBackend.sent.clear()

    # when: the commit that stored the notifications runs its callbacks
    with django_capture_on_commit_callbacks(execute=True):
        alarm_raised(alarm.pk)

    # then: delivered at once (the periodic delivery job did not run)
    assert [row.status for row in _sms_rows()] == [Notification.Status.SENT]
    assert [masked for masked, _text in ConsoleSmsBackend.sent] == ["139****5678"]


def test_an_alarm_without_sms_recipients_does_not_start_a_delivery(
    town, make_member, django_capture_on_commit_callbacks
):
    # given: the only recipient has no work phone
    make_member(Role.GRID_WORKER, town.grid_a, "patrol_without_phone")
    scenario = ScenarioFactory(name="烟感报警", severity="critical", notify_roles=["grid_worker"])
    alarm = AlarmFactory(scenario=scenario, cell=town.micro_a1)

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        alarm_raised(alarm.pk)

    # then
    assert callbacks == []
    assert not _sms_rows().exists()
