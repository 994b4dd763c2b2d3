"""Background work both ways (DESIGN D4): a real Celery worker on Redis, and in-process.

The periodic job used is the grids app's ``recompute_cell_statistics``; it is looked up by name
through the Celery app so that the shared kernel's tests import nothing of the domain apps.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.contrib.testing.tasks import ping  # noqa: F401  (registers celery.ping)
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.apps import apps
from django.conf import settings
from django.db import connection

from gridgov.config.celery import app as gridgov_app
from gridgov.core.scheduler import EmbeddedScheduler
from gridgov.core.testing import require_service

STATISTICS_TASK = "gridgov.grids.tasks.recompute_cell_statistics"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/15"


def reset_statistics() -> None:
    apps.get_model("grids", "Cell").objects.update(
        descendant_count=0, staff_count=0, statistics_updated_at=None
    )


def town_statistics(code: str) -> tuple[int, bool]:
    cell = apps.get_model("grids", "Cell").objects.get(code=code)
    return cell.descendant_count, cell.statistics_updated_at is not None


def _close_worker_connection(**_kwargs: object) -> None:
    # The worker thread has its own database connection; close it so the test database can
    # be flushed and dropped afterwards.
    connection.close()


@pytest.fixture
def redis_app() -> Iterator[Celery]:
    """GridGov's Celery configuration pointed at the local Redis, on a queue of its own."""
    require_service(REDIS_HOST, REDIS_PORT, "Redis")
    app = Celery("gridgov-redis-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_always_eager=False,
        task_default_queue=f"gridgov-test-{uuid.uuid4().hex[:12]}",
        broker_connection_retry_on_startup=False,
    )
    app.autodiscover_tasks()
    app.loader.import_default_modules()
    task_postrun.connect(_close_worker_connection, weak=False)
    try:
        yield app
    finally:
        task_postrun.disconnect(_close_worker_connection)
        app.close()


@pytest.mark.service
def test_the_periodic_statistics_job_runs_through_a_real_worker_on_redis(
    transactional_db, town, redis_app
):
    # given figures that are out of date
    reset_statistics()

    # when the job is sent through Redis and a real worker picks it up
    with start_worker(redis_app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        result = redis_app.tasks[STATISTICS_TASK].delay()
        cells_recomputed = result.get(timeout=30)

    # then the worker computed the whole tree's figures in the database
    assert cells_recomputed == 9
    assert town_statistics(town.town.code) == (8, True)
    assert town_statistics(town.grid_a.code) == (2, True)


def test_without_a_broker_delay_runs_the_job_in_process(db, town, settings):
    # given
    assert settings.CELERY_BROKER_URL is None
    gridgov_app.loader.import_default_modules()
    reset_statistics()

    # when
    result = gridgov_app.tasks[STATISTICS_TASK].delay()

    # then it ran already, in this process, before delay() returned
    assert result.successful()
    assert result.result == 9
    assert town_statistics(town.town.code) == (8, True)


def test_the_embedded_scheduler_runs_the_statistics_job_from_the_settings_schedule(db, town):
    # given
    reset_statistics()
    scheduler = EmbeddedScheduler(instance_id="serve-test")

    # when
    outcomes = scheduler.tick()

    # then every scheduled job ran without error, and the statistics are fresh
    assert sorted((outcome.name, outcome.error) for outcome in outcomes) == [
        (name, "") for name in sorted(settings.CELERY_BEAT_SCHEDULE)
    ]
    assert town_statistics(town.town.code) == (8, True)
