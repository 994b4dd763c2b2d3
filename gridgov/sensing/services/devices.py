"""The device registry (设备台账): registering, changing, re-keying and retiring devices, and
noticing the ones that went silent (issue 5, point 1; DESIGN D7, D8).

A device's secret is generated here, returned once and stored only as its SHA-256: secrets are
32 random bytes, so a fast hash is as safe as a slow one and HTTP ingestion stays cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell
from gridgov.grids.selectors import cell_locate
from gridgov.registry.models import Building, Estate
from gridgov.sensing.models import Device, DeviceCategory

DEVICE_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_HEARTBEAT_SECONDS = 10
OFFLINE_AFTER_INTERVALS = 2


@dataclass(frozen=True)
class DeviceWithSecret:
    """A device and its secret in clear — the only time the secret is ever seen."""

    device: Device
    secret: str


def device_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def device_authenticate(*, code: str, secret: str) -> Device | None:
    """The active device whose code and secret these are, or ``None`` (no hint which was wrong)."""
    device = Device.objects.filter(code=code, is_active=True).first()
    expected = device.secret_hash if device is not None else device_secret_hash("")
    matches = hmac.compare_digest(expected, device_secret_hash(secret))
    return device if device is not None and matches else None


def _invalid(field: str, message: Any) -> ValidationError:
    return ValidationError({field: [message]})


def _place(
    *,
    cell_code: str | None,
    estate_code: str | None,
    building_id: int | None,
    lng: float | None,
    lat: float | None,
) -> tuple[Cell | None, Estate | None, Building | None]:
    """Where the device is: a cell set by hand, else the building's, else located by lng/lat."""
    building = None
    if building_id is not None:
        building = Building.objects.select_related("estate", "cell").filter(pk=building_id).first()
        if building is None:
            raise _invalid("building", _("No such building."))
    estate = None
    if estate_code:
        estate = Estate.objects.select_related("cell").filter(code=estate_code).first()
        if estate is None:
            raise _invalid("estate", _("No such estate."))
    elif building is not None:
        estate = building.estate
    if (lng is None) != (lat is None):
        raise _invalid("lng", _("Give both longitude and latitude, or neither."))
    cell = None
    if cell_code:
        cell = Cell.objects.filter(code=cell_code, is_active=True).first()
        if cell is None:
            raise _invalid("cell", _("No such area."))
    elif building is not None:
        cell = building.cell
    elif lng is not None and lat is not None:
        cell = cell_locate(lng=lng, lat=lat)
    elif estate is not None:
        cell = estate.cell
    return cell, estate, building


def _require_manage(actor: Any, cell: Cell | None) -> None:
    """Managing a device needs ``sensing.manage_device`` over its cell (globally if it has none)."""
    if not has_permission(actor, Perm.DEVICE_MANAGE, cell_code=cell.code if cell else ""):
        raise PermissionDenied(_("You may not manage devices in this area."))


def _check_interval(seconds: int) -> None:
    if seconds < MIN_HEARTBEAT_SECONDS:
        raise _invalid(
            "heartbeat_interval_seconds",
            _("The heartbeat interval is at least %(seconds)d seconds.")
            % {"seconds": MIN_HEARTBEAT_SECONDS},
        )


def _device_label(device: Device) -> str:
    return f"{device.code} {device.get_category_display()}"


@transaction.atomic
def device_register(
    *,
    actor: Any,
    code: str,
    name: str,
    category: str,
    cell_code: str | None = None,
    estate_code: str | None = None,
    building_id: int | None = None,
    lng: float | None = None,
    lat: float | None = None,
    address: str = "",
    owner_code: str | None = None,
    gateway_code: str | None = None,
    heartbeat_interval_seconds: int = 300,
) -> DeviceWithSecret:
    """Register a device and issue its secret (shown once)."""
    code = (code or "").strip()
    if not DEVICE_CODE_PATTERN.match(code):
        raise _invalid(
            "code", _("1–64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
        )
    if not (name or "").strip():
        raise _invalid("name", _("A name is required."))
    if category not in DeviceCategory.values:
        raise _invalid("category", _("Unknown category."))
    _check_interval(heartbeat_interval_seconds)
    cell, estate, building = _place(
        cell_code=cell_code, estate_code=estate_code, building_id=building_id, lng=lng, lat=lat
    )
    if cell is None:
        raise _invalid("cell", _("Give the area, a building, or a location inside the grid."))
    _require_manage(actor, cell)
    owner = None
    if owner_code:
        owner = Organization.objects.filter(code=owner_code, is_active=True).first()
        if owner is None:
            raise _invalid("owner", _("No such organisation."))
    gateway = None
    if gateway_code:
        gateway = Device.objects.filter(
            code=gateway_code, category=DeviceCategory.GATEWAY, is_active=True
        ).first()
        if gateway is None:
            raise _invalid("gateway", _("No such gateway."))
    secret = secrets.token_urlsafe(32)
    device = Device(
        code=code,
        name=name.strip(),
        category=category,
        cell=cell,
        estate=estate,
        building=building,
        lng=lng,
        lat=lat,
        address=address.strip(),
        owner=owner,
        gateway=gateway,
        heartbeat_interval_seconds=heartbeat_interval_seconds,
        secret_hash=device_secret_hash(secret),
        secret_rotated_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:
        raise _invalid("code", _("A device with this code exists.")) from None
    audit_record(
        actor=actor,
        action="sensing.device_register",
        target=device,
        object_label=_device_label(device),
        changes={"category": category, "cell": cell.code if cell else None},
    )
    return DeviceWithSecret(device=device, secret=secret)


def _locked_device(actor: Any, code: str) -> Device:
    device = (
        Device.objects.select_for_update(of=("self",))
        .select_related("cell")
        .filter(code=code)
        .first()
    )
    if device is None:
        raise Device.DoesNotExist(code)
    _require_manage(actor, device.cell)
    return device


UPDATABLE_FIELDS = (
    "name",
    "address",
    "heartbeat_interval_seconds",
)


@transaction.atomic
def device_update(
    *,
    actor: Any,
    code: str,
    name: str | None = None,
    address: str | None = None,
    heartbeat_interval_seconds: int | None = None,
    cell_code: str | None = None,
    lng: float | None = None,
    lat: float | None = None,
) -> Device:
    """Change a device's name, address, interval or place; moving it needs rights at both ends."""
    device = _locked_device(actor, code)
    changed: list[str] = []
    if name is not None and name.strip() != device.name:
        if not name.strip():
            raise _invalid("name", _("A name is required."))
        device.name = name.strip()
        changed.append("name")
    if address is not None and address.strip() != device.address:
        device.address = address.strip()
        changed.append("address")
    if (
        heartbeat_interval_seconds is not None
        and heartbeat_interval_seconds != device.heartbeat_interval_seconds
    ):
        _check_interval(heartbeat_interval_seconds)
        device.heartbeat_interval_seconds = heartbeat_interval_seconds
        changed.append("heartbeat_interval_seconds")
    if cell_code is not None or lng is not None or lat is not None:
        cell, _estate, _building = _place(
            cell_code=cell_code, estate_code=None, building_id=None, lng=lng, lat=lat
        )
        _require_manage(actor, cell)
        if lng is not None:
            device.lng, device.lat = lng, lat
            changed.extend(["lng", "lat"])
        if cell != device.cell:
            device.cell = cell
            changed.append("cell")
    if not changed:
        return device
    device.save(update_fields=changed)
    audit_record(
        actor=actor,
        action="sensing.device_update",
        target=device,
        object_label=_device_label(device),
        changes={"fields": changed},
    )
    return device


@transaction.atomic
def device_credentials_rotate(*, actor: Any, code: str) -> DeviceWithSecret:
    """Issue a new secret; the old one stops working at once."""
    device = _locked_device(actor, code)
    secret = secrets.token_urlsafe(32)
    device.secret_hash = device_secret_hash(secret)
    device.secret_rotated_at = timezone.now()
    device.save(update_fields=["secret_hash", "secret_rotated_at"])
    audit_record(
        actor=actor,
        action="sensing.device_credentials_rotate",
        target=device,
        object_label=_device_label(device),
    )
    return DeviceWithSecret(device=device, secret=secret)


@transaction.atomic
def device_deactivate(*, actor: Any, code: str) -> Device:
    """Retire a device: its credentials stop working and its events are refused from now on."""
    device = _locked_device(actor, code)
    if not device.is_active:
        return device
    device.is_active = False
    device.is_online = False
    device.save(update_fields=["is_active", "is_online"])
    audit_record(
        actor=actor,
        action="sensing.device_deactivate",
        target=device,
        object_label=_device_label(device),
    )
    return device


def device_offline_scan(*, now: datetime | None = None) -> list[Device]:
    """Mark online devices silent past twice their heartbeat interval offline; return them.

    Only devices that were online are returned, so a device is reported once per silence. The
    cut-off depends on each device's interval; intervals are few, so the scan is one condition
    per distinct interval, answered by the database.
    """
    now = now or timezone.now()
    online = Device.objects.filter(is_active=True, is_online=True)
    intervals = list(
        online.order_by().values_list("heartbeat_interval_seconds", flat=True).distinct()
    )
    if not intervals:
        return []
    silent = Q(pk__in=[])
    for interval in intervals:
        cutoff = now - timedelta(seconds=OFFLINE_AFTER_INTERVALS * interval)
        silent |= Q(heartbeat_interval_seconds=interval, last_seen_at__lt=cutoff)
    with transaction.atomic():
        # Under the lock: an event stored meanwhile has moved last_seen_at past the cut-off.
        newly_offline = list(online.select_for_update(of=("self",)).filter(silent).order_by("code"))
        Device.objects.filter(pk__in=[device.pk for device in newly_offline]).update(
            is_online=False
        )
    for device in newly_offline:
        device.is_online = False
    return newly_offline
