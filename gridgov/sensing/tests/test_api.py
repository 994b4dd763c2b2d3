"""HTTP ingestion (device credentials, 202/400/401/413/429) and the staff API, scoped."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.sensing.models import DeadLetter, Device, Event
from gridgov.sensing.services.devices import device_authenticate
from gridgov.sensing.tests.factories import (
    DEVICE_SECRET,
    DeadLetterFactory,
    DeviceFactory,
    EventFactory,
    native_event,
)

pytestmark = pytest.mark.django_db

INGEST = "/api/v1/sensing/ingest/"


def _device_client(code: str = "door-1", secret: str = DEVICE_SECRET) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {code}:{secret}")
    return client


def _staff_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _post(client: APIClient, body: object):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(INGEST, data=payload, content_type="application/json")


def test_a_device_posts_its_events_and_gets_the_counts(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(), [native_event("e-1"), native_event("e-2")])

    assert response.status_code == 202
    assert response.json() == {"stored": 2, "duplicates": 0, "rejected": {}}
    assert Event.objects.filter(device__code="door-1").count() == 2


def test_a_replayed_post_reports_duplicates(town):
    DeviceFactory(code="door-1", cell=town.grid_a)
    _post(_device_client(), native_event("e-1"))

    response = _post(_device_client(), native_event("e-1"))

    assert response.status_code == 202
    assert response.json() == {"stored": 0, "duplicates": 1, "rejected": {}}


def test_a_wrong_secret_is_401_and_stores_nothing(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(secret="wrong"), native_event("e-1"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Device")
    assert Event.objects.count() == 0


def test_a_user_token_is_not_device_credentials(town):
    DeviceFactory(code="door-1", cell=town.grid_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    response = _post(client, native_event("e-1"))

    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_a_deactivated_device_is_401(town):
    DeviceFactory(code="door-1", cell=town.grid_a, is_active=False)

    response = _post(_device_client(), native_event("e-1"))

    assert response.status_code == 401
    assert Event.objects.count() == 0


def test_malformed_json_is_400_with_the_reason_and_dead_lettered(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(), b'{"event_id": "e-1", "ki')

    assert response.status_code == 400
    assert response.json() == {"stored": 0, "duplicates": 0, "rejected": {"malformed_json": 1}}
    letter = DeadLetter.objects.get()
    assert (letter.channel, letter.device_code, letter.reason) == (
        "http",
        "door-1",
        "malformed_json",
    )


def test_a_partly_bad_list_is_202_with_the_refusals_counted(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(), [native_event("e-1"), native_event("e-2", kind=3)])

    assert response.status_code == 202
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": {"invalid_field": 1}}


def test_posting_another_devices_event_is_refused(town):
    DeviceFactory(code="door-1", cell=town.grid_a)
    DeviceFactory(code="door-2", cell=town.grid_a)

    response = _post(_device_client(), native_event("e-1", device="door-2"))

    assert response.status_code == 400
    assert response.json()["rejected"] == {"device_mismatch": 1}
    assert Event.objects.count() == 0


@override_settings(GRIDGOV_SENSING_MAX_PAYLOAD_BYTES=1024)
def test_an_oversized_body_is_413_and_dead_lettered(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(), [native_event(f"e-{n}") for n in range(40)])

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["rejected"] == {"payload_too_large": 1}
    assert Event.objects.count() == 0
    assert DeadLetter.objects.get().reason == "payload_too_large"


def test_a_ten_megabyte_body_is_413(town):
    DeviceFactory(code="door-1", cell=town.grid_a)

    response = _post(_device_client(), b"[" + b" " * (10 * 1024 * 1024) + b"]")

    assert response.status_code == 413
    letter = DeadLetter.objects.get()
    assert letter.reason == "payload_too_large"
    assert letter.size == 10 * 1024 * 1024 + 2
    assert bytes(letter.payload) == b""


@override_settings(GRIDGOV_SENSING_HTTP_RATE="3/minute")
def test_a_flood_from_one_device_is_throttled_without_affecting_another(town):
    DeviceFactory(code="door-1", cell=town.grid_a)
    DeviceFactory(code="door-2", cell=town.grid_a)
    flooding = _device_client("door-1")

    statuses = [_post(flooding, native_event(f"e-{n}")).status_code for n in range(4)]
    other = _post(_device_client("door-2"), native_event("x-1"))

    assert statuses == [202, 202, 202, 429]
    assert other.status_code == 202
    assert Event.objects.filter(device__code="door-1").count() == 3


# ---- staff API ------------------------------------------------------------------------------


def test_an_operator_registers_a_device_and_sees_its_secret_once(town, operator):
    response = _staff_client(operator).post(
        "/api/v1/sensing/devices/",
        {"code": "cam-7", "name": "东门摄像头", "category": "camera", "cell": town.grid_a.code},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "cam-7"
    assert body["cell"] == {"code": town.grid_a.code, "name": town.grid_a.name}
    assert device_authenticate(code="cam-7", secret=body["secret"]) is not None
    detail = _staff_client(operator).get("/api/v1/sensing/devices/cam-7/")
    assert "secret" not in detail.json()


def test_a_grid_worker_cannot_register_a_device_over_the_api(town, grid_worker_a):
    response = _staff_client(grid_worker_a).post(
        "/api/v1/sensing/devices/",
        {"code": "cam-7", "name": "x", "category": "camera", "cell": town.grid_a.code},
        format="json",
    )

    assert response.status_code == 403
    assert not Device.objects.filter(code="cam-7").exists()


def test_a_grid_worker_lists_only_devices_of_their_grid(town, grid_worker_a):
    DeviceFactory(code="a-1", cell=town.micro_a1)
    DeviceFactory(code="b-1", cell=town.micro_b1)

    response = _staff_client(grid_worker_a).get("/api/v1/sensing/devices/")

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == ["a-1"]


def test_a_device_outside_scope_is_404(town, grid_worker_a):
    DeviceFactory(code="b-1", cell=town.micro_b1)

    response = _staff_client(grid_worker_a).get("/api/v1/sensing/devices/b-1/")

    assert response.status_code == 404


def test_rotating_credentials_over_the_api_returns_a_new_working_secret(town, operator):
    DeviceFactory(code="a-1", cell=town.micro_a1)

    response = _staff_client(operator).post("/api/v1/sensing/devices/a-1/credentials/")

    assert response.status_code == 200
    assert device_authenticate(code="a-1", secret=DEVICE_SECRET) is None
    assert device_authenticate(code="a-1", secret=response.json()["secret"]) is not None


def test_a_grid_worker_cannot_rotate_credentials(town, grid_worker_a):
    DeviceFactory(code="a-1", cell=town.micro_a1)

    response = _staff_client(grid_worker_a).post("/api/v1/sensing/devices/a-1/credentials/")

    assert response.status_code == 403
    assert device_authenticate(code="a-1", secret=DEVICE_SECRET) is not None


def test_events_are_listed_by_kind(town, operator):
    device = DeviceFactory(code="a-1", cell=town.micro_a1)
    EventFactory(device=device, event_id="x", kind="door_open")
    EventFactory(device=device, event_id="y", kind="heartbeat")

    response = _staff_client(operator).get("/api/v1/sensing/events/?kind=door_open")

    assert response.status_code == 200
    assert [row["event_id"] for row in response.json()["results"]] == ["x"]
    assert response.json()["results"][0]["device"] == "a-1"


def test_dead_letters_are_counted_by_reason_for_an_operator(town, operator):
    DeadLetterFactory(reason="malformed_json")
    DeadLetterFactory(reason="malformed_json")
    DeadLetterFactory(reason="unknown_device")

    counts = _staff_client(operator).get("/api/v1/sensing/dead-letters/counts/")
    listed = _staff_client(operator).get("/api/v1/sensing/dead-letters/?reason=unknown_device")

    assert counts.json() == {"malformed_json": 2, "unknown_device": 1}
    assert [row["reason"] for row in listed.json()["results"]] == ["unknown_device"]
    assert "payload" not in listed.json()["results"][0]


def test_a_grid_worker_cannot_read_dead_letters(town, make_member):
    worker = make_member(Role.GRID_WORKER, town.grid_a)
    DeadLetterFactory()

    response = _staff_client(worker).get("/api/v1/sensing/dead-letters/")

    assert response.status_code == 403


def test_the_sensing_endpoints_are_in_the_schema_without_warnings(operator):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    for path in (
        "/api/v1/sensing/ingest/",
        "/api/v1/sensing/ingest/thingsboard/",
        "/api/v1/sensing/devices/",
        "/api/v1/sensing/devices/{code}/",
        "/api/v1/sensing/devices/{code}/credentials/",
        "/api/v1/sensing/devices/{code}/deactivate/",
        "/api/v1/sensing/events/",
        "/api/v1/sensing/dead-letters/",
        "/api/v1/sensing/dead-letters/counts/",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["DeviceAuth"]["type"] == "http"
    assert schema["paths"]["/api/v1/sensing/ingest/"]["post"]["security"] == [{"DeviceAuth": []}]


def test_a_platform_admin_sees_devices_in_the_admin_and_deactivates_one(
    client, town, platform_admin, settings
):
    settings.DEMO_MODE = True  # no second factor to set up in this test
    DeviceFactory(code="a-1", cell=town.micro_a1)
    client.force_login(platform_admin)

    listed = client.get("/admin/sensing/device/")
    acted = client.post(
        "/admin/sensing/device/",
        {"action": "deactivate_devices", "_selected_action": [Device.objects.get().pk]},
    )

    assert listed.status_code == 200
    assert "a-1" in listed.content.decode()
    assert acted.status_code == 302
    assert Device.objects.get().is_active is False


def test_a_gateway_posts_thingsboard_telemetry_for_the_devices_behind_it(town):
    gateway = DeviceFactory(code="gw-1", cell=town.grid_a, category="gateway")
    DeviceFactory(code="meter-1", cell=town.grid_a, gateway=gateway)
    DeviceFactory(code="meter-2", cell=town.grid_a)
    body = {
        "meter-1": [{"ts": 1764748800000, "values": {"kwh": 12.5}}],
        "meter-2": [{"ts": 1764748800000, "values": {"kwh": 3.0}}],
    }

    response = _device_client("gw-1").post(
        "/api/v1/sensing/ingest/thingsboard/",
        data=json.dumps(body),
        content_type="application/json",
    )

    assert response.status_code == 202
    assert response.json() == {"stored": 1, "duplicates": 0, "rejected": {"device_mismatch": 1}}
    assert list(Event.objects.values_list("device__code", "kind")) == [("meter-1", "telemetry")]
    assert DeadLetter.objects.get().device_code == "gw-1"


def test_an_operator_registers_a_meter_behind_a_gateway(town, operator):
    DeviceFactory(code="gw-1", cell=town.grid_a, category="gateway")

    response = _staff_client(operator).post(
        "/api/v1/sensing/devices/",
        {
            "code": "meter-9",
            "name": "电表",
            "category": "electricity_meter",
            "cell": town.grid_a.code,
            "gateway": "gw-1",
        },
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["gateway"] == "gw-1"
    assert Device.objects.get(code="meter-9").gateway.code == "gw-1"


def test_a_device_that_is_not_a_gateway_cannot_front_others(town, operator):
    DeviceFactory(code="cam-1", cell=town.grid_a, category="camera")

    response = _staff_client(operator).post(
        "/api/v1/sensing/devices/",
        {
            "code": "m",
            "name": "电表",
            "category": "water_meter",
            "cell": town.grid_a.code,
            "gateway": "cam-1",
        },
        format="json",
    )

    assert response.status_code == 400
    assert not Device.objects.filter(code="m").exists()


def test_an_operator_renames_a_device_over_the_api(town, operator):
    DeviceFactory(code="a-1", cell=town.micro_a1, name="旧名")

    response = _staff_client(operator).patch(
        "/api/v1/sensing/devices/a-1/", {"name": "东门门磁"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["name"] == "东门门磁"
    assert Device.objects.get().name == "东门门磁"


def test_an_operator_cannot_move_a_device_out_of_their_area(town, make_member):
    operator_a = make_member(Role.OPERATOR, town.community_a)
    DeviceFactory(code="a-1", cell=town.micro_a1)

    response = _staff_client(operator_a).patch(
        "/api/v1/sensing/devices/a-1/", {"cell": town.grid_b.code}, format="json"
    )

    assert response.status_code == 403
    assert Device.objects.get().cell == town.micro_a1
