"""``gridgov beat``: Celery beat, sending ``CELERY_BEAT_SCHEDULE`` to the broker (DESIGN D4).

Run exactly one beat per deployment. Its state file lives under ``var/`` (or ``--schedule``).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from gridgov.core.management.commands.worker import require_broker


class Command(BaseCommand):
    help = "Run Celery beat, the periodic scheduler, against the broker (needs CELERY_BROKER_URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--schedule", default=settings.CELERY_BEAT_SCHEDULE_FILENAME)
        parser.add_argument("celery_args", nargs=argparse.REMAINDER, help="passed to Celery")

    def handle(self, *args: Any, **options: Any) -> None:
        require_broker("beat")
        from gridgov.config.celery import app

        app.start(
            [
                "beat",
                f"--loglevel={options['loglevel']}",
                f"--schedule={options['schedule']}",
                *(arg for arg in options["celery_args"] if arg != "--"),
            ]
        )
