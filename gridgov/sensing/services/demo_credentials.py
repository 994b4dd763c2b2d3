"""Credentials for the demo's device simulator (``gridgov simulate-devices``).

The platform keeps only a digest of each device secret, so a simulator that posts as the demo
town's devices cannot learn their secrets: instead it re-issues them. This is allowed only in
a demo deployment (``GRIDGOV_DEMO``); the new secrets are returned to the calling process (it
keeps them in memory, never on disk) and the re-issue is audited as one system action. The
secrets the devices had before stop working, as with any re-issue.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from gridgov.core.audit import audit_record
from gridgov.sensing.models import Device
from gridgov.sensing.services.devices import device_secret_hash


def demo_credentials_reissue(*, codes: Sequence[str]) -> dict[str, str]:
    """New secrets for the active devices among ``codes``: code → secret (in clear, once).

    Refused outside a demo deployment.
    """
    if not getattr(settings, "DEMO_MODE", False):
        raise PermissionDenied("device credentials are re-issued in bulk only in a demo")
    issued: dict[str, str] = {}
    now = timezone.now()
    with transaction.atomic():
        devices = list(
            Device.objects.filter(code__in=list(codes), is_active=True).only("id", "code")
        )
        for device in devices:
            secret = secrets.token_urlsafe(32)
            issued[device.code] = secret
            device.secret_hash = device_secret_hash(secret)
            device.secret_rotated_at = now
        Device.objects.bulk_update(devices, ["secret_hash", "secret_rotated_at"], batch_size=500)
        audit_record(
            actor=None,
            action="sensing.demo_credentials_reissue",
            object_type="sensing.device",
            purpose="demo device simulator",
            changes={"devices": len(devices)},
        )
    return issued
