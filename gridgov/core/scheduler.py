"""The embedded periodic scheduler: Celery beat's job when no broker is configured (DESIGN D4).

``gridgov serve`` starts it in a background thread. It reads ``settings.CELERY_BEAT_SCHEDULE``
and runs each due entry with the very task object a Celery worker would run
(``app.tasks[name].apply()``), so a job behaves the same with and without a broker.

The ledger lives in the database (``core.PeriodicRun``), never only in memory:

* a slot is claimed with one conditional UPDATE that also moves ``next_run_at`` forward, so
  two ``gridgov serve`` processes sharing a database never run the same slot twice;
* after a restart the next slot is where it was left: nothing missed is lost (a slot that
  fell due while the process was down runs once) and nothing is repeated;
* a claim holds a lease (``running_until``); a run whose process died is taken over once the
  lease has passed — tasks are idempotent, so running such a slot again is safe;
* an error is recorded on the row and in the log, and the thread carries on.

Tests drive :meth:`EmbeddedScheduler.tick` with an explicit ``now``; nothing sleeps.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, models
from django.utils import timezone

from gridgov.core.logging import redact
from gridgov.core.models import PeriodicRun

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=30)
DEFAULT_POLL_SECONDS = 5.0


class ScheduleError(ValueError):
    """An entry of ``CELERY_BEAT_SCHEDULE`` cannot be understood."""


@dataclass(frozen=True)
class ScheduledJob:
    """One entry of ``CELERY_BEAT_SCHEDULE``: which task, how often, with what arguments."""

    name: str
    task: str
    interval: timedelta | None = None
    # A Celery schedule without a fixed interval (``crontab``): asked for the next slot.
    calendar: Any = None
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def next_slot_after(self, slot: datetime | None, now: datetime) -> datetime:
        """The first slot strictly after ``now`` on this job's rhythm.

        Slots missed while nobody was running are skipped: the catch-up is one run, not one
        run per missed slot.
        """
        if self.interval is not None:
            start = slot or now
            if start > now:
                return start
            steps = math.floor((now - start) / self.interval) + 1
            return start + steps * self.interval
        # Celery asks the clock itself; give it ours so the slot is relative to ``now``.
        calendar = copy.copy(self.calendar)
        calendar.nowfun = lambda: now
        remaining: timedelta = calendar.remaining_estimate(now)
        return now + max(remaining, timedelta(seconds=1))


def _interval_of(schedule: Any) -> tuple[timedelta | None, Any]:
    if isinstance(schedule, bool):
        raise ScheduleError(
            f"schedule must be seconds, a timedelta or a Celery schedule: {schedule!r}"
        )
    if isinstance(schedule, int | float):
        return timedelta(seconds=float(schedule)), None
    if isinstance(schedule, timedelta):
        return schedule, None
    run_every = getattr(schedule, "run_every", None)
    if isinstance(run_every, timedelta):
        return run_every, None
    if hasattr(schedule, "remaining_estimate"):
        return None, schedule
    raise ScheduleError(f"schedule must be seconds, a timedelta or a Celery schedule: {schedule!r}")


def jobs_from_schedule(schedule: Mapping[str, Mapping[str, Any]]) -> list[ScheduledJob]:
    """Read a Celery beat schedule (the ``CELERY_BEAT_SCHEDULE`` setting) into jobs."""
    jobs = []
    for name, entry in schedule.items():
        if "task" not in entry or "schedule" not in entry:
            raise ScheduleError(f"schedule entry {name!r} needs 'task' and 'schedule'")
        interval, calendar = _interval_of(entry["schedule"])
        if interval is not None and interval <= timedelta(0):
            raise ScheduleError(f"schedule entry {name!r} must have a positive interval")
        jobs.append(
            ScheduledJob(
                name=name,
                task=entry["task"],
                interval=interval,
                calendar=calendar,
                args=tuple(entry.get("args", ())),
                kwargs=dict(entry.get("kwargs", {})),
            )
        )
    return jobs


@dataclass(frozen=True)
class JobOutcome:
    """What one tick did with one job (for logs and tests)."""

    name: str
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.error


def default_instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class EmbeddedScheduler:
    """Runs the periodic schedule in-process, with its ledger in ``core.PeriodicRun``."""

    def __init__(
        self,
        *,
        app: Any = None,
        schedule: Mapping[str, Mapping[str, Any]] | None = None,
        instance_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
    ) -> None:
        if app is None:
            from gridgov.config.celery import app as celery_app

            app = celery_app
        self.app = app
        raw_schedule = settings.CELERY_BEAT_SCHEDULE if schedule is None else schedule
        self.jobs = jobs_from_schedule(raw_schedule)
        self.instance_id = (instance_id or default_instance_id())[:100]
        self.lease = lease
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Import every app's tasks module so ``app.tasks`` knows the scheduled names.
        self.app.loader.import_default_modules()

    # --- one pass ------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[JobOutcome]:
        """Run every job whose slot is due at ``now`` and that no live process holds."""
        if not self.jobs:
            return []
        now = now or timezone.now()
        rows = self._ledger(now)
        outcomes = []
        for job in self.jobs:
            row = rows[job.name]
            if not self._is_runnable(row, now):
                continue
            if not self._claim(job, row, now):
                continue
            outcomes.append(self._run(job, started_at=now))
        return outcomes

    def _ledger(self, now: datetime) -> dict[str, PeriodicRun]:
        names = [job.name for job in self.jobs]
        rows = {row.name: row for row in PeriodicRun.objects.filter(name__in=names)}
        missing = [name for name in names if name not in rows]
        if missing:
            # A new job is due at once; ignore_conflicts lets two processes start together.
            PeriodicRun.objects.bulk_create(
                [PeriodicRun(name=name, next_run_at=now) for name in missing],
                ignore_conflicts=True,
            )
            rows = {row.name: row for row in PeriodicRun.objects.filter(name__in=names)}
        return rows

    @staticmethod
    def _is_runnable(row: PeriodicRun, now: datetime) -> bool:
        lease_over = row.running_until is None or row.running_until <= now
        slot_due = row.next_run_at is None or row.next_run_at <= now
        # A lapsed lease means the process running the slot died: take that run over.
        taken_over = row.running_until is not None and row.running_until <= now
        return lease_over and (slot_due or taken_over)

    def _claim(self, job: ScheduledJob, row: PeriodicRun, now: datetime) -> bool:
        """Claim the row as it was read; whoever updates first wins, the others see 0 rows."""
        slot_due = row.next_run_at is None or row.next_run_at <= now
        next_run_at = job.next_slot_after(row.next_run_at, now) if slot_due else row.next_run_at
        claimed = PeriodicRun.objects.filter(
            pk=row.pk, next_run_at=row.next_run_at, running_until=row.running_until
        ).update(
            next_run_at=next_run_at,
            running_until=now + self.lease,
            claimed_by=self.instance_id,
            last_started_at=now,
        )
        return claimed == 1

    def _run(self, job: ScheduledJob, *, started_at: datetime) -> JobOutcome:
        error = ""
        try:
            task = self.app.tasks[job.task]
            result = task.apply(args=job.args, kwargs=dict(job.kwargs))
            if result.failed():
                error = _describe(result.result)
        except Exception as exc:
            error = _describe(exc)
        if error:
            logger.error("periodic job %s failed: %s", job.name, error)
        else:
            logger.info("periodic job %s done", job.name)
        self._finish(job, started_at=started_at, error=error)
        return JobOutcome(name=job.name, error=error)

    def _finish(self, job: ScheduledJob, *, started_at: datetime, error: str) -> None:
        updates: dict[str, Any] = {
            "running_until": None,
            "last_finished_at": timezone.now(),
            "last_error": error,
            "run_count": models.F("run_count") + 1,
        }
        if error:
            updates["error_count"] = models.F("error_count") + 1
        # Only the holder of this claim closes it; a takeover after a lapsed lease owns it now.
        PeriodicRun.objects.filter(
            name=job.name, claimed_by=self.instance_id, last_started_at=started_at
        ).update(**updates)

    # --- the background thread -----------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="gridgov-embedded-scheduler", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        logger.info("embedded scheduler started (%d periodic jobs)", len(self.jobs))
        try:
            while not self._stop.is_set():
                close_old_connections()
                try:
                    self.tick()
                except Exception:
                    # A database hiccup must not end periodic work for the life of the process.
                    logger.exception("embedded scheduler tick failed")
                self._stop.wait(self.poll_seconds)
        finally:
            connection.close()
            logger.info("embedded scheduler stopped")


def _describe(error: BaseException | Any) -> str:
    text = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return redact(text)[:2000]
