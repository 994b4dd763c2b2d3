"""Ingestion speed with the scenario rules on: events per second through ``ingest_messages``
with the scenario catalogue installed, against the same kind of stream with no scenario
(the baseline, measured in the same process, rounds interleaved so both see the same table
size and the same machine load). PostgreSQL only: the figure that matters in production.

Run it alone with ``python -m gridgov.demo.bench_rules`` (a fresh ``gridgov_bench_rules``
database is created on the local PostgreSQL, or ``GRIDGOV_BENCH_POSTGRES_URL``); the function
``task_sensing_rules`` is what a benchmark runner calls.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from gridgov.demo.benchmarks import _entry, _postgres_ready, calibration_seconds

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/gridgov_bench_rules"
DEVICES_PER_CATEGORY = 50
BATCH_EVENTS = 500
BATCHES_PER_ROUND = 12
ROUNDS = 3
START = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
CATEGORIES = (
    "door_sensor",
    "smoke_detector",
    "gas_detector",
    "water_meter",
    "smart_bin",
    "access_control",
    "camera",
    "hydrant_pressure",
)


def _devices(prefix: str) -> list[tuple[str, str]]:
    from gridgov.grids.models import Cell
    from gridgov.sensing.models import Device
    from gridgov.sensing.services.devices import device_secret_hash

    cell, _created = Cell.objects.get_or_create(
        code="310112106999", defaults={"name": "基准网格", "level": "grid"}
    )
    devices = [
        Device(
            code=f"{prefix}-{category}-{n}",
            name=f"{category} {n}",
            category=category,
            cell=cell,
            heartbeat_interval_seconds=60,
            secret_hash=device_secret_hash(secrets.token_urlsafe(16)),
        )
        for category in CATEGORIES
        for n in range(DEVICES_PER_CATEGORY)
    ]
    Device.objects.bulk_create(devices)
    return [(device.code, device.category) for device in devices]


def _event(category: str, n: int, at: datetime) -> dict[str, Any]:
    """A plausible everyday reading: mostly within limits, a few that raise or clear."""
    event: dict[str, Any] = {"event_id": f"e-{n}", "at": at.isoformat(), "values": {}}
    if category == "door_sensor":
        event.update(kind="door", state="open" if n % 3 else "closed")
    elif category == "smoke_detector":
        event.update(kind="smoke_alarm" if n % 997 == 0 else "heartbeat")
    elif category == "gas_detector":
        event.update(kind="reading", values={"lel": 30 if n % 499 == 0 else 3})
    elif category == "water_meter":
        event.update(kind="reading", values={"flow_m3h": 0.3})
    elif category == "smart_bin":
        event.update(kind="reading", values={"fill_percent": n % 100})
    elif category == "access_control":
        kind = "card_pass" if n % 2 else "passage"
        event.update(kind=kind, person_card=f"card-{n % 300}", values={"direction": "in"})
    elif category == "camera":
        event.update(kind="face_captured", person_card=f"face-{n % 5000}")
    else:
        event.update(kind="reading", values={"pressure_mpa": 0.3})
    return event


def _batches(devices: list[tuple[str, str]], first: int, count: int) -> list[list[Any]]:
    from gridgov.sensing.adapters import native_topic
    from gridgov.sensing.services.ingest import RawMessage

    batches = []
    for batch in range(count):
        messages = []
        for offset in range(BATCH_EVENTS):
            n = first + batch * BATCH_EVENTS + offset
            code, category = devices[n % len(devices)]
            at = START + timedelta(seconds=n // 50)
            messages.append(
                RawMessage(
                    channel="mqtt",
                    topic=native_topic(code),
                    payload=json.dumps(_event(category, n, at)).encode(),
                    received_at=at + timedelta(seconds=1),
                )
            )
        batches.append(messages)
    return batches


def _rate(batches: list[list[Any]]) -> float:
    from gridgov.sensing.services.ingest import ingest_messages

    started = time.perf_counter()
    stored = sum(ingest_messages(batch).stored for batch in batches)
    return stored / (time.perf_counter() - started)


def task_sensing_rules() -> dict[str, Any]:
    """Events/s with the catalogue's rules against the same stream without scenarios."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gridgov.sensing.models import Scenario
    from gridgov.sensing.services.rules import rules_forget, scan_conditions
    from gridgov.sensing.services.scenarios import install_scenarios

    if connection.vendor != "postgresql":
        raise RuntimeError("set DATABASE_URL to a PostgreSQL database")
    call_command("migrate", interactive=False, verbosity=0)
    plain, ruled = _devices("plain"), _devices("ruled")
    install_scenarios()
    calibration = calibration_seconds()
    with_rules: list[float] = []
    without: list[float] = []
    for round_ in range(ROUNDS):
        first = round_ * BATCHES_PER_ROUND * BATCH_EVENTS
        Scenario.objects.update(enabled=False)
        rules_forget()
        without.append(_rate(_batches(plain, first, BATCHES_PER_ROUND)))
        Scenario.objects.update(enabled=True)
        rules_forget()
        with_rules.append(_rate(_batches(ruled, first, BATCHES_PER_ROUND)))
    scan_started = time.perf_counter()
    scan_conditions(START + timedelta(hours=1))
    scan_seconds = time.perf_counter() - scan_started
    from gridgov.sensing.models import Alarm

    entry = _entry(
        statistics.median(with_rules),
        "events/s",
        "– (what the rules cost)",
        statistics.median(without),
        batch=BATCH_EVENTS,
        events_per_round=BATCHES_PER_ROUND * BATCH_EVENTS,
        rounds=ROUNDS,
        scenarios=Scenario.objects.count(),
        alarms=Alarm.objects.count(),
        scan_seconds=round(scan_seconds, 3),
        calibration_seconds=round(calibration, 3),
    )
    return {"sensing_rules_postgresql": entry}


def main() -> None:
    """Run the task in a subprocess against a fresh PostgreSQL database; print the entry."""
    url = os.environ.get("GRIDGOV_BENCH_POSTGRES_URL", DEFAULT_URL)
    if not _postgres_ready(url):
        raise SystemExit("PostgreSQL is not reachable")
    completed = subprocess.run(
        [sys.executable, "-m", "gridgov.demo.bench_rules", "task"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr.strip() or "the benchmark failed")
    sys.stdout.write(completed.stdout.strip().splitlines()[-1] + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["task"]:
        sys.stdout.write(json.dumps(task_sensing_rules()) + "\n")
    else:
        main()
