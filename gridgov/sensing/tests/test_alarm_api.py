"""The alarm API: lists scoped to the caller, the actions and their JSON errors, scenarios."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.cases.models import Category
from gridgov.sensing.models import AlarmStatus, AlarmStep, Scenario
from gridgov.sensing.tests.factories import AlarmFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

ALARMS = "/api/v1/sensing/alarms/"
SCENARIOS = "/api/v1/sensing/scenarios/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _alarm(town, **kwargs):
    kwargs.setdefault("cell", town.micro_a1)
    alarm = AlarmFactory(**kwargs)
    alarm.device.lng, alarm.device.lat = 121.05, 31.1
    alarm.device.save(update_fields=["lng", "lat"])
    return alarm


def test_the_list_shows_the_callers_alarms_with_their_place_and_position(town, grid_worker_a):
    mine = _alarm(town)
    _alarm(town, cell=town.micro_b1)

    response = _client(grid_worker_a).get(ALARMS)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    row = rows[0]
    assert row["status"] == "active"
    assert row["cell"] == {"code": town.micro_a1.code, "name": town.micro_a1.name}
    assert (row["lng"], row["lat"]) == (121.05, 31.1)
    assert row["device"]["code"] == mine.device.code
    assert row["case"] is None


def test_the_list_filters_by_severity_and_status(town, operator):
    critical = _alarm(town, scenario=ScenarioFactory(code="smoke", severity="critical"))
    _alarm(town)
    _alarm(town, scenario=critical.scenario, status=AlarmStatus.CLEARED)

    response = _client(operator).get(ALARMS, {"severity": "critical", "status": "active"})

    assert [row["id"] for row in response.json()["results"]] == [critical.pk]


def test_a_bad_filter_is_a_json_error(town, operator):
    response = _client(operator).get(ALARMS, {"severity": "apocalyptic"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "severity" in response.json()["fields"]


def test_a_resident_may_not_list_alarms(town, make_member):
    resident = make_member(Role.RESIDENT, town.grid_a, "resident")

    response = _client(resident).get(ALARMS)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_alarm_of_another_grid_is_not_found(town, make_member):
    outsider = make_member(Role.GRID_WORKER, town.grid_b, "worker_b")
    alarm = _alarm(town)

    detail = _client(outsider).get(f"{ALARMS}{alarm.pk}/")
    acknowledge = _client(outsider).post(f"{ALARMS}{alarm.pk}/acknowledge/")

    assert (detail.status_code, acknowledge.status_code) == (404, 404)
    assert acknowledge.json()["code"] == "not_found"
    assert alarm.steps.count() == 0


def test_acknowledging_twice_is_a_conflict_with_a_clear_message(town, grid_worker_a):
    alarm = _alarm(town)
    client = _client(grid_worker_a)

    first = client.post(f"{ALARMS}{alarm.pk}/acknowledge/")
    second = client.post(f"{ALARMS}{alarm.pk}/acknowledge/")

    assert first.status_code == 200
    assert first.json()["status"] == "acknowledged"
    assert [step["action"] for step in first.json()["steps"]] == ["acknowledged"]
    assert second.status_code == 409
    assert second.json()["code"] == "alarm_state"
    assert second.json()["message"]
    assert alarm.steps.count() == 1


def test_clearing_without_a_note_is_refused_and_with_one_clears(town, grid_worker_a):
    alarm = _alarm(town)
    client = _client(grid_worker_a)

    refused = client.post(f"{ALARMS}{alarm.pk}/clear/", {"note": " "}, format="json")
    alarm.refresh_from_db()
    status_after_refusal = alarm.status
    cleared = client.post(f"{ALARMS}{alarm.pk}/clear/", {"note": "误报，已复位"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "note_required"
    assert status_after_refusal == AlarmStatus.ACTIVE
    assert cleared.status_code == 200
    assert cleared.json()["status"] == "cleared"
    assert cleared.json()["clear_note"] == "误报，已复位"


def test_opening_a_case_links_it_and_a_second_is_a_conflict(town, grid_worker_a):
    Category.objects.create(code="fire-exit", name="消防通道")
    alarm = _alarm(town)
    client = _client(grid_worker_a)

    opened = client.post(f"{ALARMS}{alarm.pk}/open-case/", {"category": "fire-exit"}, format="json")
    again = client.post(f"{ALARMS}{alarm.pk}/open-case/", {"category": "fire-exit"}, format="json")

    assert opened.status_code == 201
    body = opened.json()
    assert body["alarm"]["case"] == body["case"]
    assert again.status_code == 409
    assert alarm.steps.filter(action=AlarmStep.Action.CASE_OPENED).count() == 1


def test_an_unknown_case_category_is_a_json_error(town, grid_worker_a):
    alarm = _alarm(town)

    response = _client(grid_worker_a).post(
        f"{ALARMS}{alarm.pk}/open-case/", {"category": "nope"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_category"
    alarm.refresh_from_db()
    assert alarm.case is None


def test_counts_are_those_of_the_callers_area(town, grid_worker_a):
    _alarm(town)
    _alarm(town, cell=town.micro_b1)

    response = _client(grid_worker_a).get(f"{ALARMS}counts/")

    assert response.status_code == 200
    assert response.json()["active"] == 1


def test_scenarios_are_readable_by_alarm_viewers_and_writable_by_managers_only(
    town, grid_worker_a, platform_admin
):
    ScenarioFactory(code="door-held", name="消防门常开")

    listed = _client(grid_worker_a).get(SCENARIOS)
    denied = _client(grid_worker_a).patch(
        f"{SCENARIOS}door-held/", {"severity": "major"}, format="json"
    )
    changed = _client(platform_admin).patch(
        f"{SCENARIOS}door-held/", {"severity": "major", "note": "升级"}, format="json"
    )

    assert listed.status_code == 200
    assert [row["code"] for row in listed.json()["results"]] == ["door-held"]
    assert denied.status_code == 403
    assert changed.status_code == 200
    assert changed.json()["severity"] == "major"
    assert changed.json()["version"] == 2
    assert Scenario.objects.get(code="door-held").severity == "major"


def test_a_manager_creates_a_scenario_and_a_bad_one_names_its_field(town, platform_admin):
    client = _client(platform_admin)
    body = {
        "code": "smoke-any",
        "name": "烟感报警",
        "kind": "event",
        "event_kinds": ["smoke"],
        "params": {"quiet_seconds": 600},
        "severity": "critical",
        "notify_roles": ["grid_worker"],
    }

    created = client.post(SCENARIOS, body, format="json")
    bad = client.post(SCENARIOS, {**body, "code": "smoke-2", "event_kinds": []}, format="json")

    assert created.status_code == 201
    assert created.json()["version"] == 1
    assert bad.status_code == 400
    assert "event_kinds" in bad.json()["fields"]
    assert not Scenario.objects.filter(code="smoke-2").exists()


def test_the_alarm_endpoints_are_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    for path in (
        "/api/v1/sensing/alarms/",
        "/api/v1/sensing/alarms/{alarm_id}/",
        "/api/v1/sensing/alarms/{alarm_id}/acknowledge/",
        "/api/v1/sensing/alarms/{alarm_id}/clear/",
        "/api/v1/sensing/alarms/{alarm_id}/open-case/",
        "/api/v1/sensing/scenarios/",
        "/api/v1/sensing/scenarios/{code}/",
    ):
        assert path in paths
