"""``gridgov worker``: a Celery worker for the configured broker (DESIGN D4).

``gridgov worker --concurrency 4 --queues default``; anything after ``--`` goes to Celery
unchanged (``gridgov worker -- --autoscale 8,2``).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _


def require_broker(command: str) -> None:
    if not settings.CELERY_BROKER_URL:
        raise CommandError(
            _(
                "No broker is configured, so there is nothing for `gridgov %(command)s` to do. "
                "Set CELERY_BROKER_URL (for example redis://127.0.0.1:6379/0 or "
                "amqp://guest@127.0.0.1:5672//), or run `gridgov serve` alone: without a "
                "broker it runs background and periodic jobs itself."
            )
            % {"command": command}
        )


class Command(BaseCommand):
    help = "Run a Celery worker for GridGov's background jobs (needs CELERY_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--concurrency", type=int, help="worker processes (default: CPUs)")
        parser.add_argument("--queues", help="comma-separated queues to consume")
        parser.add_argument("--pool", help="prefork (default), threads, solo …")
        parser.add_argument("--hostname", help="node name, e.g. worker1@%%h")
        parser.add_argument("celery_args", nargs=argparse.REMAINDER, help="passed to Celery")

    def handle(self, *args: Any, **options: Any) -> None:
        require_broker("worker")
        from gridgov.config.celery import app

        argv = ["worker", f"--loglevel={options['loglevel']}"]
        for name in ("concurrency", "queues", "pool", "hostname"):
            if options[name] is not None:
                argv.append(f"--{name}={options[name]}")
        extra = [arg for arg in options["celery_args"] if arg != "--"]
        app.worker_main([*argv, *extra])
