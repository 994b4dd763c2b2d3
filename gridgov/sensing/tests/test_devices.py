"""The device registry: registering, credentials, deactivation, offline scan, scoped lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, OrganizationFactory
from gridgov.core.models import AuditEntry
from gridgov.registry.tests.factories import BuildingFactory, EstateFactory
from gridgov.sensing.models import Device, DeviceCategory
from gridgov.sensing.selectors import device_list_for_actor, event_list_for_actor
from gridgov.sensing.services.devices import (
    device_authenticate,
    device_credentials_rotate,
    device_deactivate,
    device_offline_scan,
    device_register,
    device_update,
)
from gridgov.sensing.tests.factories import RECEIVED_AT, DeviceFactory, EventFactory

pytestmark = pytest.mark.django_db


def test_an_operator_registers_a_device_located_by_its_coordinates(town, operator):
    issued = device_register(
        actor=operator,
        code="smoke-101",
        name="3号楼楼道烟感",
        category=DeviceCategory.SMOKE_DETECTOR,
        lng=121.15,
        lat=31.1,
    )

    device = Device.objects.get(code="smoke-101")
    assert device.cell == town.micro_a2
    assert device.is_active is True
    assert device.secret_hash != issued.secret
    assert issued.secret not in device.secret_hash
    assert device_authenticate(code="smoke-101", secret=issued.secret) == device
    entry = AuditEntry.objects.get(action="sensing.device_register")
    assert entry.object_id == str(device.pk)


def test_a_device_in_a_building_takes_the_buildings_cell_and_estate(town, operator):
    building = BuildingFactory(estate=EstateFactory(cell=town.grid_b))

    issued = device_register(
        actor=operator,
        code="lift-1",
        name="电梯电动车识别",
        category=DeviceCategory.ELEVATOR_EBIKE_DETECTOR,
        building_id=building.pk,
    )

    assert issued.device.cell == town.grid_b
    assert issued.device.estate == building.estate


def test_a_device_outside_every_cell_is_refused(town, operator):
    with pytest.raises(ValidationError) as refused:
        device_register(
            actor=operator, code="far-1", name="远处", category="camera", lng=100.0, lat=20.0
        )

    assert "cell" in refused.value.message_dict
    assert not Device.objects.filter(code="far-1").exists()


def test_a_duplicate_code_is_refused(town, operator):
    DeviceFactory(code="cam-1", cell=town.grid_a)

    with pytest.raises(ValidationError) as refused:
        device_register(
            actor=operator, code="cam-1", name="x", category="camera", cell_code=town.grid_a.code
        )

    assert "code" in refused.value.message_dict


def test_a_code_with_a_slash_is_refused(town, operator):
    with pytest.raises(ValidationError):
        device_register(
            actor=operator, code="a/b", name="x", category="camera", cell_code=town.grid_a.code
        )

    assert Device.objects.count() == 0


def test_a_grid_worker_cannot_register_a_device(town, grid_worker_a):
    with pytest.raises(PermissionDenied):
        device_register(
            actor=grid_worker_a,
            code="cam-9",
            name="x",
            category="camera",
            cell_code=town.grid_a.code,
        )

    assert Device.objects.count() == 0


def test_rotating_credentials_retires_the_old_secret(town, operator):
    issued = device_register(
        actor=operator, code="cam-1", name="x", category="camera", cell_code=town.grid_a.code
    )

    rotated = device_credentials_rotate(actor=operator, code="cam-1")

    assert device_authenticate(code="cam-1", secret=issued.secret) is None
    assert device_authenticate(code="cam-1", secret=rotated.secret) == rotated.device
    assert AuditEntry.objects.filter(action="sensing.device_credentials_rotate").count() == 1


def test_a_deactivated_device_can_no_longer_authenticate(town, operator):
    issued = device_register(
        actor=operator, code="cam-1", name="x", category="camera", cell_code=town.grid_a.code
    )

    device_deactivate(actor=operator, code="cam-1")

    assert device_authenticate(code="cam-1", secret=issued.secret) is None
    assert AuditEntry.objects.filter(action="sensing.device_deactivate").count() == 1


def test_updating_a_device_records_the_changed_fields(town, operator):
    DeviceFactory(code="cam-1", cell=town.grid_a, name="旧名")

    device = device_update(
        actor=operator, code="cam-1", name="新名", heartbeat_interval_seconds=120
    )

    assert (device.name, device.heartbeat_interval_seconds) == ("新名", 120)
    entry = AuditEntry.objects.get(action="sensing.device_update")
    assert entry.changes == {"fields": ["name", "heartbeat_interval_seconds"]}


def test_the_offline_scan_marks_devices_silent_past_twice_their_interval(town):
    now = RECEIVED_AT
    silent = DeviceFactory(
        code="silent", cell=town.grid_a, is_online=True, last_seen_at=now - timedelta(seconds=121)
    )
    DeviceFactory(
        code="recent", cell=town.grid_a, is_online=True, last_seen_at=now - timedelta(seconds=119)
    )
    DeviceFactory(
        code="already",
        cell=town.grid_a,
        is_online=False,
        last_seen_at=now - timedelta(hours=1),
    )

    DeviceFactory(
        code="slow",
        cell=town.grid_a,
        heartbeat_interval_seconds=3600,
        is_online=True,
        last_seen_at=now - timedelta(hours=1),
    )

    newly_offline = device_offline_scan(now=now)

    assert newly_offline == [silent]
    assert set(Device.objects.filter(is_online=True).values_list("code", flat=True)) == {
        "recent",
        "slow",
    }
    assert device_offline_scan(now=now) == []


def test_the_periodic_offline_scan_is_scheduled_and_counts_what_it_marked(town):
    from django.conf import settings

    from gridgov.config.celery import app as celery_app

    entry = settings.CELERY_BEAT_SCHEDULE["sensing-scan-offline-devices"]
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[entry["task"]]
    DeviceFactory(
        code="silent",
        cell=town.grid_a,
        is_online=True,
        last_seen_at=timezone.now() - timedelta(hours=1),
    )

    assert task.apply().get() == 1
    assert task.apply().get() == 0
    assert not Device.objects.get(code="silent").is_online


@pytest.fixture
def devices(town):
    company = OrganizationFactory(code="wuye", kind="property_company")
    other_company = OrganizationFactory(code="other-wuye", kind="property_company")
    return {
        "a1_company": DeviceFactory(code="a1-company", cell=town.micro_a1, owner=company),
        "a1_other": DeviceFactory(code="a1-other", cell=town.micro_a1, owner=other_company),
        "b1": DeviceFactory(code="b1", cell=town.micro_b1, owner=company),
        "company": company,
    }


def _codes(actor) -> list[str]:
    return list(device_list_for_actor(actor=actor).values_list("code", flat=True))


def test_an_operator_sees_every_device_of_the_town(devices, operator):
    assert _codes(operator) == ["a1-company", "a1-other", "b1"]


def test_a_grid_worker_sees_only_the_devices_of_their_grid(devices, grid_worker_a):
    assert _codes(grid_worker_a) == ["a1-company", "a1-other"]


def test_community_staff_see_the_devices_of_their_community(devices, town, make_member):
    staff = make_member(Role.COMMUNITY_STAFF, town.community_b)

    assert _codes(staff) == ["b1"]


def test_property_staff_see_only_their_companys_devices_in_their_area(devices, town, make_member):
    staff = make_member(Role.PROPERTY_STAFF, town.grid_a)
    staff.memberships.update(organization=devices["company"])

    assert _codes(staff) == ["a1-company"]


def test_property_staff_without_a_company_see_no_device(devices, town, make_member):
    staff = make_member(Role.PROPERTY_STAFF, town.grid_a)

    assert _codes(staff) == []


def test_a_resident_sees_no_device_and_no_event(devices, town, make_member):
    resident = make_member(Role.RESIDENT, town.micro_a1)
    EventFactory(device=devices["a1_company"])

    assert _codes(resident) == []
    assert list(event_list_for_actor(actor=resident)) == []


def test_events_follow_their_devices_visibility(devices, grid_worker_a):
    seen = EventFactory(device=devices["a1_other"], kind="door_open")
    EventFactory(device=devices["b1"], kind="door_open")
    EventFactory(device=devices["a1_company"], kind="heartbeat")

    events = event_list_for_actor(actor=grid_worker_a, kinds=["door_open"])

    assert list(events) == [seen]


def test_events_filter_by_device_and_time(devices, operator):
    early = EventFactory(device=devices["b1"], occurred_at=RECEIVED_AT - timedelta(hours=2))
    EventFactory(device=devices["b1"], occurred_at=RECEIVED_AT)
    EventFactory(device=devices["a1_other"], occurred_at=RECEIVED_AT - timedelta(hours=2))

    events = event_list_for_actor(
        actor=operator, device_code="b1", occurred_to=RECEIVED_AT - timedelta(hours=1)
    )

    assert list(events) == [early]


def test_a_deactivated_membership_sees_nothing(devices, town):
    staff = MembershipFactory(role=Role.GRID_WORKER, cell=town.grid_a, is_active=False).user

    assert _codes(staff) == []
