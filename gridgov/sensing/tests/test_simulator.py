"""The device simulator: realistic streams stored without refusals, an incident of every
catalogue scenario, deterministic event ids, credentials re-issued only in a demo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core.crypto import lookup_hash
from gridgov.core.models import AuditEntry
from gridgov.core.notifications import Notification
from gridgov.registry.tests.factories import (
    BuildingFactory,
    DwellingFactory,
    EstateFactory,
    PersonFactory,
    PersonTagFactory,
    TagFactory,
)
from gridgov.sensing.models import AccessCard, Alarm, Device, DeviceCategory, Event
from gridgov.sensing.scenario_catalogue import SCENARIO_CATALOGUE
from gridgov.sensing.services.demo_credentials import demo_credentials_reissue
from gridgov.sensing.services.devices import device_authenticate, device_offline_scan
from gridgov.sensing.services.rules.scans import scan_conditions
from gridgov.sensing.services.scenarios import install_scenarios
from gridgov.sensing.simulator import (
    INCIDENTS,
    IngestSender,
    SimDevice,
    Simulator,
    _last_at,
    choose_driven,
    demo_card_number,
    load_town,
)
from gridgov.sensing.tests.factories import DeviceFactory

INTERVALS = {
    DeviceCategory.ACCESS_CONTROL: 60,
    DeviceCategory.AI_BOX: 60,
    DeviceCategory.ELEVATOR_EBIKE_DETECTOR: 60,
}


@pytest.fixture
def demo_estate(town):
    """One estate with a device of every category the demo places and six residents' cards."""
    estate = EstateFactory(cell=town.micro_a1)
    building = BuildingFactory(estate=estate, cell=town.micro_a1, floors=11)
    for category in DeviceCategory.values:
        if category in (DeviceCategory.GATEWAY, DeviceCategory.OTHER):
            continue
        DeviceFactory(
            code=f"sim-{category}",
            category=category,
            cell=town.micro_a1,
            estate=estate,
            building=building,
            heartbeat_interval_seconds=INTERVALS.get(category, 300),
        )
    tags = {
        "minor": TagFactory(code="minor"),
        "elderly-alone": TagFactory(code="elderly-alone"),
        "advanced-age": TagFactory(code="advanced-age"),
    }
    for index, tag in enumerate(
        ["", "", "minor", "elderly-alone", "advanced-age", "elderly-alone"]
    ):
        person = PersonFactory(cell=town.micro_a1, contact_phone="13800000000")
        if tag:
            PersonTagFactory(person=person, tag=tags[tag])
        AccessCard.objects.create(
            person=person,
            card_hash=lookup_hash(demo_card_number(person.id)),
            card_last4=str(index).zfill(4),
            dwelling=DwellingFactory(building=building),
            issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    return estate


def _simulate(
    seconds: int, *, incident_every: float = 1.0, seed: int = 7, started: datetime | None = None
):
    town = load_town(rate=20, seed=seed)
    started = started or datetime.now(tz=UTC) - timedelta(seconds=seconds)
    simulator = Simulator(
        town, rate=20, incident_every=incident_every, started_at=started, seed=seed
    )
    sender = IngestSender()
    for second in range(seconds):
        sender.send(simulator.tick(started + timedelta(seconds=second)))
    return simulator, sender.totals


def test_incidents_cover_every_scenario_of_the_catalogue():
    assert {name for name, _make in INCIDENTS} == {s["code"] for s in SCENARIO_CATALOGUE}


def test_simulated_minutes_are_stored_whole_with_incidents_of_every_kind(demo_estate):
    simulator, totals = _simulate(120)

    assert totals.events > 1000
    assert totals.rejected == 0
    assert totals.stored == totals.events == Event.objects.count()
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"heartbeat", "reading", "card_pass", "passage", "door_open"} <= kinds
    assert {
        "smoke_alarm", "ebike_detected", "gas_cylinder_detected", "high_altitude_throw",
        "garbage_drop", "street_trading", "cover_open", "face_captured",
    } <= kinds  # fmt: skip
    # Everything but the elder who stays home was injected (that one is in the data).
    assert set(simulator.incidents_sent) == {name for name, _ in INCIDENTS} - {"elder-not-seen"}
    assert Device.objects.filter(is_online=True).count() == len(simulator.town.devices)
    passes = Event.objects.filter(kind="card_pass")
    assert passes.exclude(person_card_hash="").count() == passes.count()
    readings = Event.objects.filter(kind="reading", device__code="sim-gas_detector")
    assert any(event.values.get("lel", 0) >= 25 for event in readings)


def test_event_ids_are_unique_per_device_and_repeat_for_the_same_start(demo_estate):
    town = load_town(rate=20, seed=1)
    started = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    first = Simulator(town, rate=20, incident_every=5, started_at=started, seed=1)
    again = Simulator(
        load_town(rate=20, seed=1), rate=20, incident_every=5, started_at=started, seed=1
    )
    ticks = [started + timedelta(seconds=s) for s in range(20)]
    ids_first = [(code, event["event_id"]) for now in ticks for code, event in first.tick(now)]
    ids_again = [(code, event["event_id"]) for now in ticks for code, event in again.tick(now)]
    assert ids_first == ids_again
    assert len(set(ids_first)) == len(ids_first)
    assert all(event_id.startswith(f"{code}-") for code, event_id in ids_first)


def test_event_times_are_town_time():
    simulator = Simulator(
        _empty_town(), rate=1, incident_every=0, started_at=datetime(2026, 12, 4, 2, tzinfo=UTC)
    )
    event = simulator.event("x", "heartbeat", datetime(2026, 12, 4, 2, 30, tzinfo=UTC))
    assert event["at"] == "2026-12-04T10:30:00.000+08:00"


def _empty_town():
    from gridgov.sensing.simulator import SimTown

    return SimTown(devices=[], cards=[])


def test_driven_estates_keep_heartbeats_within_half_the_rate():
    devices = [
        SimDevice(f"d{estate}-{n}", DeviceCategory.AI_BOX, 60, estate, None)
        for estate in range(10)
        for n in range(30)
    ] + [SimDevice("far-smoke", DeviceCategory.SMOKE_DETECTOR, 600, 99, None)]
    driven = choose_driven(devices, rate=20)
    # 30 devices at 1/60 s = 0.5 heartbeats/s per estate; half of 20/s allows 20 estates.
    assert len([d for d in driven if d.category == DeviceCategory.AI_BOX]) == 300
    driven = choose_driven(devices, rate=2)
    estates = {d.estate_id for d in driven}
    assert estates == {0, 1, 99}  # two estates fit, the smoke detector comes for its incident


def test_credentials_are_reissued_only_in_a_demo_and_audited(demo_estate, settings):
    settings.DEMO_MODE = False
    with pytest.raises(PermissionDenied):
        demo_credentials_reissue(codes=["sim-door_sensor"])
    settings.DEMO_MODE = True
    secrets = demo_credentials_reissue(codes=["sim-door_sensor", "unknown"])
    assert list(secrets) == ["sim-door_sensor"]
    assert device_authenticate(code="sim-door_sensor", secret=secrets["sim-door_sensor"])
    entry = AuditEntry.objects.get(action="sensing.demo_credentials_reissue")
    assert entry.actor_id is None
    assert secrets["sim-door_sensor"] not in str(entry.changes)


def test_command_refuses_http_outside_a_demo(demo_estate, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("simulate_devices", "--duration", "1", stdout=StringIO())


def test_command_refuses_a_bad_rate(demo_estate):
    with pytest.raises(CommandError):
        call_command("simulate_devices", "--rate", "0", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_chain_genesis")
def test_command_posts_over_http_to_a_running_server(live_server, demo_estate, settings):
    settings.DEMO_MODE = True
    out = StringIO()
    call_command(
        "simulate_devices",
        "--duration", "2", "--rate", "20", "--incident-every", "1", "--url", live_server.url,
        stdout=out,
    )  # fmt: skip
    stored = Event.objects.count()
    assert stored >= 20
    # The summary line, in the default language (Chinese).
    assert f"存储 {stored} 条，重复 0 条，拒收 0 条，发送失败 0 次" in out.getvalue()


# Every scenario raises its alarm from the injected incidents, by day (where the night's and the
# outside-hours incidents arrive as late events) and by night.
RAISED_BY_EVENTS = {
    "bin-full", "ebike-in-elevator", "garbage-outside-hours", "gas-cylinder-stairwell",
    "gas-leak", "high-altitude-throw", "hydrant-pressure-low", "manhole-cover-moved",
    "smoke-alarm", "stranger-at-night", "tailgating", "trading-outside-shop",
    "water-abnormal-use",
}  # fmt: skip
RAISED_BY_SCANS = {"door-held-open", "fire-lane-occupied", "elder-not-seen"}


@pytest.mark.parametrize("town_hour", [10, 23])
def test_incidents_raise_the_catalogues_alarms(demo_estate, town_hour):
    install_scenarios(actor=None)
    started = _last_at(datetime.now(tz=UTC) - timedelta(minutes=30), town_hour)
    _simulate(150, started=started)

    assert set(Alarm.objects.values_list("scenario__code", flat=True)) >= RAISED_BY_EVENTS
    scan_conditions(started + timedelta(minutes=12))
    device_offline_scan(now=started + timedelta(minutes=12))
    assert set(Alarm.objects.values_list("scenario__code", flat=True)) >= (
        RAISED_BY_EVENTS | RAISED_BY_SCANS
    )
    # A child and an old person coming home: their contacts get the SMS (no alarm).
    assert Notification.objects.filter(dedupe_key__startswith="sensing-arrival:").count() >= 2
