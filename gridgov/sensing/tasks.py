"""Background jobs of the sensing domain (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.sensing.services.devices import device_offline_scan


@shared_task(name="gridgov.sensing.tasks.scan_offline_devices")
def scan_offline_devices() -> int:
    """Mark devices silent past twice their heartbeat interval offline; returns how many."""
    return len(device_offline_scan())
