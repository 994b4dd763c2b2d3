"""The catalogue's scenarios, fed as devices send: native JSON, ThingsBoard and Frigate messages
through ``ingest_messages``, then the periodic scans, and the exact alarms that result."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from gridgov.core.crypto import decrypt_text
from gridgov.core.models import Notification
from gridgov.core.notifications import SMS_PHONE_CONTEXT
from gridgov.registry.models import PersonTag, Tag
from gridgov.registry.tests.factories import (
    BuildingFactory,
    DwellingFactory,
    EstateFactory,
    PersonFactory,
    ResidencyFactory,
    TagFactory,
)
from gridgov.sensing.adapters import FRIGATE_TOPIC, THINGSBOARD_TOPIC
from gridgov.sensing.models import AccessCard, Alarm, AlarmStatus, AlarmStep, Device, Scenario
from gridgov.sensing.services.devices import device_offline_scan
from gridgov.sensing.services.ingest import RawMessage, ingest_messages
from gridgov.sensing.services.rules import condition_key, devices_went_offline, scan_conditions
from gridgov.sensing.services.scenarios import install_scenarios
from gridgov.sensing.tests.factories import (
    DeviceFactory,
    card_pass_hash,
    feed,
    native_message,
)

pytestmark = pytest.mark.django_db

# 10:00 in the town (Asia/Shanghai).
T0 = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def catalogue(town):
    install_scenarios()
    return {scenario.code: scenario for scenario in Scenario.objects.all()}


def _device(town, code: str, category: str, **fields) -> Device:
    return DeviceFactory(code=code, category=category, cell=town.grid_a, **fields)


def _alarms(code: str) -> list[Alarm]:
    return list(Alarm.objects.filter(scenario__code=code).order_by("id"))


def _key(catalogue, code: str, **subject) -> str:
    scenario = catalogue[code]
    from gridgov.sensing.services.rules import Rule

    rule = Rule(
        id=scenario.pk,
        code=scenario.code,
        name=scenario.name,
        kind=scenario.kind,
        categories=frozenset(),
        kinds=frozenset(),
        params={},
        severity=scenario.severity,
        suppress_seconds=0,
        version=1,
    )
    return condition_key(rule, **subject)


def _assert_one_alarm(code: str, *, occurrences: int, status: str = AlarmStatus.ACTIVE) -> Alarm:
    alarms = _alarms(code)
    assert len(alarms) == 1
    assert Alarm.objects.count() == 1  # and no other scenario raised anything
    alarm = alarms[0]
    assert (alarm.occurrences, alarm.status) == (occurrences, status)
    return alarm


# --- HELD: 门禁常开, 消防通道占用 -------------------------------------------------------------


def test_a_door_open_under_five_minutes_raises_nothing(town, catalogue):
    _device(town, "door-1", "door_sensor")
    feed("door-1", T0, "e-0", "door_open", state="open")

    scan_conditions(T0 + timedelta(minutes=4))

    assert Alarm.objects.count() == 0


def test_fifty_reports_of_one_open_door_are_one_alarm_with_fifty_occurrences(town, catalogue):
    door = _device(town, "door-1", "door_sensor")
    feed("door-1", T0, "e-0", "door_open", state="open")
    scan_conditions(T0 + timedelta(minutes=6))
    scan_conditions(T0 + timedelta(minutes=7))  # seeing it again is not a new occurrence

    start = T0 + timedelta(minutes=7)
    for n in range(1, 50):
        feed("door-1", start + timedelta(seconds=10 * n), f"e-{n}", "door_open", state="open")

    alarm = _assert_one_alarm("door-held-open", occurrences=50)
    assert alarm.condition_key == _key(catalogue, "door-held-open", device_id=door.pk)
    assert (alarm.device, alarm.cell, alarm.severity) == (door, town.grid_a, "warning")
    assert alarm.raised_at == T0 + timedelta(minutes=6)
    assert alarm.last_occurred_at == start + timedelta(seconds=490)
    assert alarm.scenario_version == 1
    assert list(alarm.steps.values_list("action", flat=True)) == [AlarmStep.Action.RAISED]


def test_a_door_reporting_open_past_five_minutes_raises_without_the_scan(town, catalogue):
    _device(town, "door-1", "door_sensor")
    feed("door-1", T0, "e-0", "door_open", state="open")

    feed("door-1", T0 + timedelta(minutes=5, seconds=1), "e-1", "door_open", state="open")

    _assert_one_alarm("door-held-open", occurrences=1)


def test_a_door_closing_clears_its_held_open_alarm(town, catalogue):
    _device(town, "door-1", "door_sensor")
    feed("door-1", T0, "e-0", "door_open", state="open")
    scan_conditions(T0 + timedelta(minutes=6))

    closed_at = T0 + timedelta(minutes=8)
    feed("door-1", closed_at, "e-1", "door_closed", state="closed")

    alarm = _assert_one_alarm("door-held-open", occurrences=1, status=AlarmStatus.CLEARED)
    assert alarm.cleared_at == closed_at
    step = alarm.steps.order_by("id").last()
    assert (step.action, step.note) == (AlarmStep.Action.CLEARED, "条件已结束，自动解除")


def test_a_door_reopened_within_the_suppression_window_raises_no_new_alarm(town, catalogue):
    _device(town, "door-1", "door_sensor")
    feed("door-1", T0, "e-0", "door_open", state="open")
    scan_conditions(T0 + timedelta(minutes=6))
    feed("door-1", T0 + timedelta(minutes=7), "e-1", "door_closed", state="closed")
    feed("door-1", T0 + timedelta(minutes=8), "e-2", "door_open", state="open")

    scan_conditions(T0 + timedelta(minutes=14))  # held 6 min, but 7 min after the clearing
    assert len(_alarms("door-held-open")) == 1

    scan_conditions(T0 + timedelta(minutes=18))  # 11 min after the clearing: past 600 s
    alarms = _alarms("door-held-open")
    assert [alarm.status for alarm in alarms] == [AlarmStatus.CLEARED, AlarmStatus.ACTIVE]


def test_a_car_in_the_fire_lane_for_ten_minutes_raises_and_leaving_clears(town, catalogue):
    _device(town, "lane-1", "parking_sensor")
    feed("lane-1", T0, "p-0", "parking", state="occupied")
    scan_conditions(T0 + timedelta(minutes=9))
    assert _alarms("fire-lane-occupied") == []

    scan_conditions(T0 + timedelta(minutes=11))
    alarm = _assert_one_alarm("fire-lane-occupied", occurrences=1)
    assert alarm.severity == "major"

    feed("lane-1", T0 + timedelta(minutes=20), "p-1", "parking", state="free")
    _assert_one_alarm("fire-lane-occupied", occurrences=1, status=AlarmStatus.CLEARED)


# --- EVENT: 电瓶车进电梯, 楼道液化气罐, 烟感报警, 高空抛物, 井盖异动 -----------------------------


def _frigate(camera: str, frigate_id: str, kind: str, start: datetime, end=None) -> RawMessage:
    after = {
        "id": frigate_id,
        "camera": camera,
        "label": "bicycle",
        "top_score": 0.91,
        "start_time": start.timestamp(),
        "end_time": end.timestamp() if end else None,
        "current_zones": ["car"],
    }
    body = {"type": kind, "before": after, "after": after}
    return RawMessage(
        channel="mqtt",
        topic=FRIGATE_TOPIC,
        payload=json.dumps(body).encode(),
        received_at=(end or start) + timedelta(seconds=1),
    )


def test_a_frigate_bicycle_in_the_elevator_raises_and_its_end_clears(town, catalogue):
    elevator = _device(town, "lift-3", "elevator_ebike_detector")

    ingest_messages([_frigate("lift-3", "1733200000.1-ab", "new", T0)])

    alarm = _assert_one_alarm("ebike-in-elevator", occurrences=1)
    assert (alarm.device, alarm.severity) == (elevator, "major")
    assert alarm.condition_key == _key(catalogue, "ebike-in-elevator", device_id=elevator.pk)

    end = T0 + timedelta(seconds=40)
    ingest_messages([_frigate("lift-3", "1733200000.1-ab", "end", T0, end)])

    alarm = _assert_one_alarm("ebike-in-elevator", occurrences=1, status=AlarmStatus.CLEARED)
    assert alarm.cleared_at == end


def test_e_bikes_seen_again_in_one_elevator_count_on_one_alarm(town, catalogue):
    _device(town, "lift-3", "elevator_ebike_detector")
    _device(town, "cam-street", "camera")  # a street camera's bicycle is no elevator's e-bike

    for n in range(3):
        feed("lift-3", T0 + timedelta(seconds=n), f"b-{n}", "ebike_detected", state="active")
    feed("cam-street", T0, "s-0", "ebike_detected", state="active")

    _assert_one_alarm("ebike-in-elevator", occurrences=3)


def test_a_gas_cylinder_in_the_stairwell_clears_after_thirty_quiet_minutes(town, catalogue):
    _device(town, "box-1", "ai_box")
    feed("box-1", T0, "g-0", "gas_cylinder_detected", values={"score": 0.8})
    feed("box-1", T0 + timedelta(minutes=5), "g-1", "gas_cylinder_detected")

    scan_conditions(T0 + timedelta(minutes=34))
    alarm = _assert_one_alarm("gas-cylinder-stairwell", occurrences=2)

    scan_conditions(T0 + timedelta(minutes=36))
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLEARED
    assert alarm.cleared_at == T0 + timedelta(minutes=36)


def test_a_smoke_alarm_raises_a_critical_alarm_and_its_reset_clears_it(town, catalogue):
    _device(town, "smoke-3", "smoke_detector")

    feed("smoke-3", T0, "s-1", "smoke_alarm", state="alarm", values={"obscuration": 4.2})
    alarm = _assert_one_alarm("smoke-alarm", occurrences=1)
    assert alarm.severity == "critical"
    assert alarm.summary.startswith("烟感报警：")

    feed("smoke-3", T0 + timedelta(minutes=3), "s-2", "smoke_clear", state="normal")
    _assert_one_alarm("smoke-alarm", occurrences=1, status=AlarmStatus.CLEARED)


def test_a_high_altitude_throw_raises_an_alarm(town, catalogue):
    camera = _device(town, "throw-cam-1", "high_altitude_camera")

    feed("throw-cam-1", T0, "t-1", "high_altitude_throw", values={"floor": 14})

    alarm = _assert_one_alarm("high-altitude-throw", occurrences=1)
    assert alarm.device == camera


def test_a_tilted_manhole_cover_raises_and_closing_it_clears(town, catalogue):
    _device(town, "cover-9", "manhole_cover")

    feed("cover-9", T0, "c-1", "cover_tilt", values={"angle": 12})
    _assert_one_alarm("manhole-cover-moved", occurrences=1)

    feed("cover-9", T0 + timedelta(minutes=30), "c-2", "cover_closed", state="normal")
    _assert_one_alarm("manhole-cover-moved", occurrences=1, status=AlarmStatus.CLEARED)


# --- THRESHOLD: 燃气泄漏, 消防栓水压不足, 垃圾满溢, 水表异常用水 -------------------------------


def test_a_gas_leak_raises_at_the_limit_and_clears_below_the_hysteresis(town, catalogue):
    _device(town, "gas-1", "gas_detector")

    feed("gas-1", T0, "r-1", "reading", values={"lel": 12})
    assert _alarms("gas-leak") == []
    feed("gas-1", T0 + timedelta(seconds=10), "r-2", "reading", values={"lel": 25})
    feed("gas-1", T0 + timedelta(seconds=20), "r-3", "reading", values={"lel": 31.5})
    feed("gas-1", T0 + timedelta(seconds=30), "r-4", "reading", values={"lel": 22})

    alarm = _assert_one_alarm("gas-leak", occurrences=2)
    assert alarm.values == {"lel": 31.5}

    feed("gas-1", T0 + timedelta(seconds=40), "r-5", "reading", values={"lel": 19})
    _assert_one_alarm("gas-leak", occurrences=2, status=AlarmStatus.CLEARED)


def test_low_hydrant_pressure_over_thingsboard_raises_and_recovery_clears(town, catalogue):
    hydrant = _device(town, "hydrant-12", "hydrant_pressure")

    def telemetry(*readings: tuple[datetime, float]) -> RawMessage:
        body = {
            "hydrant-12": [
                {"ts": int(at.timestamp() * 1000), "values": {"pressure_mpa": value}}
                for at, value in readings
            ]
        }
        return RawMessage(
            channel="mqtt",
            topic=THINGSBOARD_TOPIC,
            payload=json.dumps(body).encode(),
            received_at=readings[-1][0] + timedelta(seconds=1),
        )

    ingest_messages([telemetry((T0, 0.31), (T0 + timedelta(minutes=1), 0.12))])
    alarm = _assert_one_alarm("hydrant-pressure-low", occurrences=1)
    assert (alarm.device, alarm.values) == (hydrant, {"pressure_mpa": 0.12})

    ingest_messages([telemetry((T0 + timedelta(minutes=2), 0.15))])  # inside the hysteresis
    _assert_one_alarm("hydrant-pressure-low", occurrences=1)

    ingest_messages([telemetry((T0 + timedelta(minutes=3), 0.17))])
    _assert_one_alarm("hydrant-pressure-low", occurrences=1, status=AlarmStatus.CLEARED)


def test_a_full_bin_raises_and_emptying_it_clears(town, catalogue):
    _device(town, "bin-4", "smart_bin")

    feed("bin-4", T0, "f-1", "reading", values={"fill_percent": 95})
    _assert_one_alarm("bin-full", occurrences=1)

    feed("bin-4", T0 + timedelta(hours=2), "f-2", "reading", values={"fill_percent": 10})
    _assert_one_alarm("bin-full", occurrences=1, status=AlarmStatus.CLEARED)


def test_a_water_meter_flowing_like_a_burst_pipe_raises(town, catalogue):
    _device(town, "water-0301", "water_meter")

    feed("water-0301", T0, "w-1", "reading", values={"flow_m3h": 0.4})
    feed("water-0301", T0 + timedelta(minutes=1), "w-2", "reading", values={"flow_m3h": 3.1})

    alarm = _assert_one_alarm("water-abnormal-use", occurrences=1)
    assert alarm.values == {"flow_m3h": 3.1}


# --- OUTSIDE_HOURS: 垃圾违规投放, 跨门经营 ----------------------------------------------------


def test_garbage_dropped_outside_the_set_hours_raises_and_inside_does_not(town, catalogue):
    _device(town, "bin-cam-1", "smart_bin")
    _device(town, "bin-cam-2", "smart_bin")

    feed("bin-cam-1", T0 - timedelta(hours=3), "d-1", "garbage_drop")  # 07:00 local
    feed("bin-cam-2", T0, "d-2", "garbage_drop")  # 10:00 local
    feed("bin-cam-2", T0 + timedelta(minutes=5), "d-3", "garbage_drop")

    alarm = _assert_one_alarm("garbage-outside-hours", occurrences=2)
    assert alarm.device.code == "bin-cam-2"
    assert alarm.values == {"kind": "garbage_drop", "local_time": "10:05"}


def test_trading_outside_a_shop_after_the_morning_market_raises(town, catalogue):
    _device(town, "street-cam-1", "camera")

    feed("street-cam-1", T0 - timedelta(hours=3), "x-1", "street_trading")  # 07:00 local
    assert _alarms("trading-outside-shop") == []
    feed("street-cam-1", T0 + timedelta(hours=2), "x-2", "street_trading")  # 12:00 local

    _assert_one_alarm("trading-outside-shop", occurrences=1)


# --- COUNT: 陌生人夜间多次出现, 尾随进入 -------------------------------------------------------

NIGHT = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 23:00 local


def test_an_unknown_face_seen_three_times_at_night_raises_one_alarm(town, catalogue):
    _device(town, "face-1", "camera")
    _device(town, "face-2", "camera")
    stranger = "face-id-0071"

    feed("face-1", NIGHT, "f-1", "face_captured", person_card=stranger)
    feed("face-2", NIGHT + timedelta(minutes=30), "f-2", "face_captured", person_card=stranger)
    assert _alarms("stranger-at-night") == []
    feed("face-1", NIGHT + timedelta(minutes=70), "f-3", "face_captured", person_card=stranger)

    alarm = _assert_one_alarm("stranger-at-night", occurrences=1)
    assert alarm.condition_key == _key(
        catalogue, "stranger-at-night", card=card_pass_hash(stranger)
    )
    assert alarm.values == {"count": 3}


def test_a_residents_face_or_a_stranger_by_day_raises_nothing(town, catalogue):
    _device(town, "face-1", "camera")
    resident = PersonFactory(cell=town.grid_a)
    AccessCard.objects.create(
        person=resident, card_hash=card_pass_hash("face-id-0001"), issued_at=T0
    )

    for n in range(3):
        feed("face-1", NIGHT + timedelta(minutes=n), f"r-{n}", "face_captured",
             person_card="face-id-0001")  # fmt: skip
        feed("face-1", T0 + timedelta(minutes=n), f"d-{n}", "face_captured",
             person_card="face-id-0099")  # fmt: skip

    assert _alarms("stranger-at-night") == []


def test_two_people_through_a_gate_on_one_card_is_tailgating(town, catalogue):
    gate = _device(town, "gate-1", "access_control")
    feed("gate-1", T0, "c-1", "card_pass", person_card="card-1", values={"direction": "in"})
    feed("gate-1", T0 + timedelta(seconds=1), "p-1", "passage")
    assert _alarms("tailgating") == []

    feed("gate-1", T0 + timedelta(seconds=2), "p-2", "passage")

    alarm = _assert_one_alarm("tailgating", occurrences=1)
    assert alarm.device == gate


# --- MISSING: 设备离线, 独居老人多日未出门 ------------------------------------------------------


def test_a_device_gone_silent_raises_device_offline_and_its_next_report_clears(town, catalogue):
    device = _device(town, "smoke-7", "smoke_detector", heartbeat_interval_seconds=60)
    feed("smoke-7", T0, "h-1", "heartbeat")

    offline = device_offline_scan(now=T0 + timedelta(minutes=3))
    devices_went_offline(offline, now=T0 + timedelta(minutes=3))

    alarm = _assert_one_alarm("device-offline", occurrences=1)
    assert alarm.device == device
    assert alarm.raised_at == T0 + timedelta(minutes=3)

    feed("smoke-7", T0 + timedelta(minutes=10), "h-2", "heartbeat")
    _assert_one_alarm("device-offline", occurrences=1, status=AlarmStatus.CLEARED)


def _tagged_person(town, tag_code: str, card: str, **person_fields):
    estate = EstateFactory(cell=town.grid_a)
    dwelling = DwellingFactory(building=BuildingFactory(estate=estate, cell=town.micro_a1))
    person = PersonFactory(cell=town.grid_a, **person_fields)
    ResidencyFactory(person=person, dwelling=dwelling, started_on=date(2020, 1, 1))
    tag = Tag.objects.filter(code=tag_code).first() or TagFactory(code=tag_code)
    PersonTag.objects.create(person=person, tag=tag, source=PersonTag.Source.RULE, set_at=T0)
    AccessCard.objects.create(
        person=person,
        card_hash=card_pass_hash(card),
        dwelling=dwelling,
        issued_at=T0 - timedelta(days=30),
    )
    return person, dwelling


def test_an_elder_living_alone_not_seen_for_three_days_raises_and_a_pass_clears(town, catalogue):
    _device(town, "gate-1", "access_control")
    elder, dwelling = _tagged_person(town, "elderly-alone", "card-elder")
    feed("gate-1", T0 - timedelta(days=4), "c-0", "card_pass", person_card="card-elder",
         values={"direction": "in"})  # fmt: skip

    scan_conditions(T0)
    scan_conditions(T0 + timedelta(minutes=30))

    alarm = _assert_one_alarm("elder-not-seen", occurrences=1)
    assert (alarm.person, alarm.dwelling, alarm.cell) == (elder, dwelling, town.micro_a1)
    assert alarm.device is None
    assert alarm.condition_key == _key(catalogue, "elder-not-seen", person_id=elder.pk)
    assert "card" not in alarm.summary
    assert elder.name not in alarm.summary

    feed("gate-1", T0 + timedelta(hours=1), "c-1", "card_pass", person_card="card-elder",
         values={"direction": "out"})  # fmt: skip
    _assert_one_alarm("elder-not-seen", occurrences=1, status=AlarmStatus.CLEARED)


def test_an_elder_seen_within_three_days_raises_nothing(town, catalogue):
    _device(town, "gate-1", "access_control")
    _tagged_person(town, "elderly-alone", "card-elder")
    feed("gate-1", T0 - timedelta(days=2), "c-0", "card_pass", person_card="card-elder",
         values={"direction": "in"})  # fmt: skip

    scan_conditions(T0)

    assert _alarms("elder-not-seen") == []


# --- ARRIVAL: 未成年人到家提醒, 高龄老人到家提醒 -------------------------------------------------


def test_a_minor_arriving_home_sends_one_sms_an_hour_to_the_contact_and_no_alarm(town, catalogue):
    _device(town, "gate-1", "access_control", name="馨佳园南门")
    _tagged_person(town, "minor", "card-kid", contact_phone="13912345678")

    feed("gate-1", T0, "c-1", "card_pass", person_card="card-kid", values={"direction": "in"})
    feed("gate-1", T0 + timedelta(minutes=20), "c-2", "card_pass", person_card="card-kid",
         values={"direction": "in"})  # fmt: skip
    feed("gate-1", T0 + timedelta(minutes=30), "c-3", "card_pass", person_card="card-kid",
         values={"direction": "out"})  # fmt: skip

    sms = list(Notification.objects.filter(channel=Notification.Channel.SMS))
    assert len(sms) == 1
    assert sms[0].subject == "未成年人到家提醒"
    assert sms[0].body == "【平安提醒】您关注的家人已于12月03日 10:00经馨佳园南门进入小区。"
    assert "13912345678" not in sms[0].body
    assert decrypt_text(sms[0].phone_encrypted, associated_data=SMS_PHONE_CONTEXT) == "13912345678"
    assert Alarm.objects.count() == 0


def test_an_old_person_arriving_home_sends_an_sms_and_an_untagged_person_none(town, catalogue):
    _device(town, "gate-1", "access_control")
    _tagged_person(town, "advanced-age", "card-old", contact_phone="13900000001")
    _tagged_person(town, "some-staff-tag", "card-other", contact_phone="13900000002")

    feed("gate-1", T0, "c-1", "card_pass", person_card="card-old", values={"direction": "in"})
    feed("gate-1", T0, "c-2", "card_pass", person_card="card-other", values={"direction": "in"})

    sms = list(Notification.objects.filter(channel=Notification.Channel.SMS))
    assert [row.subject for row in sms] == ["高龄老人到家提醒"]


# --- the engine as a whole ----------------------------------------------------------------


def test_a_replayed_batch_is_not_evaluated_twice(town, catalogue):
    _device(town, "smoke-3", "smoke_detector")
    batch = [native_message("smoke-3", {"event_id": "s-1", "kind": "smoke_alarm",
                                        "at": T0.isoformat(), "state": "alarm"},
                            received_at=T0 + timedelta(seconds=1))]  # fmt: skip
    ingest_messages(batch)

    ingest_messages(batch)

    _assert_one_alarm("smoke-alarm", occurrences=1)


def test_a_disabled_scenario_raises_nothing(town, catalogue, django_capture_on_commit_callbacks):
    from gridgov.sensing.services.scenarios import scenario_set_enabled

    _device(town, "smoke-3", "smoke_detector")
    with django_capture_on_commit_callbacks(execute=True):
        scenario_set_enabled(actor=None, code="smoke-alarm", enabled=False)

    feed("smoke-3", T0, "s-1", "smoke_alarm", state="alarm")

    assert Alarm.objects.count() == 0


def test_a_batch_with_rules_costs_the_same_queries_whatever_its_size(
    town, catalogue, django_assert_max_num_queries
):
    for n in range(40):
        _device(town, f"meter-{n}", "water_meter")
        _device(town, f"door-{n}", "door_sensor")

    def batch(start: int, size: int) -> list[RawMessage]:
        return [
            native_message(
                f"meter-{n % 40}",
                {"event_id": f"m-{start + n}", "kind": "reading", "at": T0.isoformat(),
                 "values": {"flow_m3h": 0.2}},
                received_at=T0,
            )
            for n in range(size)
        ] + [
            native_message(
                f"door-{n % 40}",
                {"event_id": f"d-{start + n}", "kind": "door_open", "at": T0.isoformat(),
                 "state": "open"},
                received_at=T0,
            )
            for n in range(size)
        ]  # fmt: skip

    ingest_messages(batch(0, 5))  # loads the scenarios into the process's copy
    with django_assert_max_num_queries(14) as small:
        ingest_messages(batch(1000, 10))
    with django_assert_max_num_queries(14) as large:
        ingest_messages(batch(2000, 400))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_periodic_tasks_raise_offline_and_held_alarms(town, catalogue):
    from gridgov.sensing import tasks

    _device(town, "door-1", "door_sensor")
    _device(town, "smoke-7", "smoke_detector")
    feed("door-1", T0, "e-0", "door_open", state="open")
    feed("smoke-7", T0, "h-0", "heartbeat")

    assert tasks.scan_offline_devices() == 2
    assert tasks.scan_scenario_conditions() == 1

    raised = sorted(Alarm.objects.values_list("scenario__code", "device__code"))
    assert raised == [
        ("device-offline", "door-1"),
        ("device-offline", "smoke-7"),
        ("door-held-open", "door-1"),
    ]


def test_an_offline_alarm_left_on_a_device_back_online_is_cleared_by_the_scan(town, catalogue):
    # given a batch raced the offline scan: the device is online, its offline alarm open
    device = _device(town, "smoke-7", "smoke_detector", is_online=True)
    devices_went_offline([device], now=T0)

    scan_conditions(T0 + timedelta(seconds=30))

    alarm = _assert_one_alarm("device-offline", occurrences=1, status=AlarmStatus.CLEARED)
    assert alarm.cleared_at == T0 + timedelta(seconds=30)
