"""Background jobs of the sensing domain (DESIGN D4): thin, idempotent wrappers over services."""

from __future__ import annotations

from celery import shared_task

from gridgov.sensing.services.devices import device_offline_scan
from gridgov.sensing.services.partitions import event_partitions_ensure
from gridgov.sensing.services.rules import devices_went_offline, scan_conditions


@shared_task(name="gridgov.sensing.tasks.scan_offline_devices")
def scan_offline_devices() -> int:
    """Mark devices silent past twice their heartbeat interval offline (raising their
    device-offline alarm); returns how many."""
    offline = device_offline_scan()
    devices_went_offline(offline)
    return len(offline)


@shared_task(name="gridgov.sensing.tasks.scan_conditions")
def scan_scenario_conditions() -> int:
    """Held states, quiet conditions and absent people (场景巡检); returns the alarms changed."""
    evaluation = scan_conditions()
    return len(evaluation.raised) + len(evaluation.cleared)


@shared_task(name="gridgov.sensing.tasks.ensure_event_partitions")
def ensure_event_partitions() -> int:
    """Create the event table's missing monthly partitions, this month and three ahead
    (PostgreSQL; nothing elsewhere); returns how many were created."""
    return len(event_partitions_ensure())
