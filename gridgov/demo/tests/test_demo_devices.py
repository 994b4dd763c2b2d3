"""The demo town's devices, access cards and scenarios (``gridgov.demo.devices``)."""

from __future__ import annotations

from collections import Counter

import pytest

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.core.crypto import lookup_hash
from gridgov.demo.devices import demo_devices_plan
from gridgov.demo.services import demo_town_generate
from gridgov.registry.models import Estate, Residency
from gridgov.sensing.models import AccessCard, Device, DeviceCategory, Scenario
from gridgov.sensing.scenario_catalogue import SCENARIO_CATALOGUE
from gridgov.sensing.selectors import device_list_for_actor
from gridgov.sensing.simulator import demo_card_number


@pytest.fixture
def small_town(db):
    return demo_town_generate(profile="small", seed=5)


def test_small_town_is_equipped_like_an_estate(small_town):
    devices = Device.objects.all()
    assert 35 <= devices.count() <= 80
    assert small_town.counts["devices"] == devices.count()
    categories = Counter(devices.values_list("category", flat=True))
    for category in (
        DeviceCategory.ACCESS_CONTROL, DeviceCategory.DOOR_SENSOR, DeviceCategory.SMOKE_DETECTOR,
        DeviceCategory.ELEVATOR_EBIKE_DETECTOR, DeviceCategory.AI_BOX,
        DeviceCategory.PARKING_SENSOR, DeviceCategory.SMART_BIN, DeviceCategory.MANHOLE_COVER,
        DeviceCategory.HYDRANT_PRESSURE, DeviceCategory.HIGH_ALTITUDE_CAMERA,
        DeviceCategory.CAMERA,
    ):  # fmt: skip
        assert categories[category] >= 1, category
    assert not devices.filter(cell__isnull=True).exists()
    # Gates only in gated estates, never in a village.
    assert not devices.filter(
        category=DeviceCategory.ACCESS_CONTROL, estate__kind=Estate.Kind.VILLAGE
    ).exists()
    # Nobody knows a device's secret until it is re-issued; none is online before it reports.
    assert not devices.filter(is_online=True).exists()
    assert len(set(devices.values_list("secret_hash", flat=True))) == devices.count()


def test_estate_devices_belong_to_the_estates_property_company(small_town):
    estate_devices = Device.objects.filter(estate__kind=Estate.Kind.ESTATE)
    assert estate_devices.exists()
    companies = dict(
        Membership.objects.filter(role=Role.PROPERTY_STAFF).values_list(
            "cell_id", "organization_id"
        )
    )
    for device in estate_devices.select_related("estate"):
        assert device.owner_id == companies[device.estate.cell_id]
    property_user = User.objects.get(username="property")
    visible = device_list_for_actor(actor=property_user)
    assert visible.exists()
    assert {device.owner_id for device in visible} == {
        Membership.objects.get(user=property_user).organization_id
    }


def test_residents_of_gated_estates_hold_cards_with_the_keyed_hash(small_town):
    cards = list(AccessCard.objects.select_related("dwelling__building__estate"))
    assert cards
    assert small_town.counts["access_cards"] == len(cards)
    for card in cards:
        assert card.card_hash == lookup_hash(demo_card_number(card.person_id))
        assert card.dwelling.building.estate.kind != Estate.Kind.VILLAGE
    gated_residents = set(
        Residency.objects.filter(
            ended_on__isnull=True, dwelling__building__estate__kind=Estate.Kind.ESTATE
        ).values_list("person_id", flat=True)
    )
    assert {card.person_id for card in cards} <= gated_residents
    # Adults' cards show their last four characters; children's enrolled faces do not.
    assert any(card.card_last4 for card in cards)


def test_a_week_of_commuting_gives_the_gate_charts_a_history_both_ways(small_town):
    from django.utils import timezone

    from gridgov.sensing.models import Event

    passes = Event.objects.filter(kind="card_pass", event_id__contains="-out")
    morning_hours = {
        timezone.localtime(at).hour for at in passes.values_list("occurred_at", flat=True)
    }
    directions = Counter(
        value["direction"]
        for value in Event.objects.filter(kind="card_pass").values_list("values", flat=True)
    )

    assert passes.exists()
    assert morning_hours <= {7, 8, 9}
    assert directions["out"] >= 1
    assert directions["in"] >= directions["out"]


def test_the_scenario_catalogue_is_installed(small_town):
    assert small_town.counts["scenarios"] == len(SCENARIO_CATALOGUE)
    assert Scenario.objects.count() == len(SCENARIO_CATALOGUE)


def test_the_plan_is_the_same_for_the_same_seed(small_town):
    first = demo_devices_plan(seed=5).devices
    again = demo_devices_plan(seed=5).devices
    assert [(d.code, d.name, d.lng, d.lat) for d in first] == [
        (d.code, d.name, d.lng, d.lat) for d in again
    ]
    other = demo_devices_plan(seed=6).devices
    assert [d.code for d in other] != [d.code for d in first] or [
        (d.lng, d.lat) for d in other
    ] != [(d.lng, d.lat) for d in first]


class _FakeProcess:
    def __init__(self, log: list[object]) -> None:
        self.log = log

    def poll(self) -> None:
        return None

    def terminate(self) -> None:
        self.log.append("terminated")

    def wait(self, timeout: float) -> int:
        return 0


def test_demo_starts_the_simulator_once_the_server_answers_and_stops_it(monkeypatch):
    import http.server
    import subprocess
    import threading

    from gridgov.demo.management.commands.demo import DemoSimulator

    log: list[object] = []
    monkeypatch.setattr(
        subprocess, "Popen", lambda command: log.append(command) or _FakeProcess(log)
    )

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", "/accounts/login/")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        simulator = DemoSimulator(url, "small")
        simulator.start()
        simulator.thread.join(timeout=30)
        command = log[0]
        assert command[3:6] == ["simulate-devices", "--transport", "http"]
        assert command[command.index("--url") + 1] == url
        simulator.stop()
        assert log[-1] == "terminated"
    finally:
        server.shutdown()


def test_demo_simulator_stopped_before_the_server_answers_starts_nothing(monkeypatch):
    import subprocess

    from gridgov.demo.management.commands.demo import DemoSimulator

    log: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda command: log.append(command))
    simulator = DemoSimulator("http://127.0.0.1:9/", "small")  # nothing listens on port 9
    simulator.start()
    simulator.stop()
    simulator.thread.join(timeout=30)
    assert log == []
