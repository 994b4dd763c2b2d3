"""``gridgov serve``: the web application under waitress, plus the embedded scheduler.

Without a broker (``CELERY_BROKER_URL`` unset) the same process runs the periodic schedule in a
background thread (DESIGN D4); with one, ``gridgov worker`` and ``gridgov beat`` do that work.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from waitress import serve as waitress_serve

from gridgov.core.scheduler import EmbeddedScheduler


def parse_addr(addr: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8000`` for IPv6) → (host, port)."""
    host, separator, port_text = addr.rpartition(":")
    if not separator or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise CommandError(
            _("--addr must be host:port, for example 127.0.0.1:8000; got %(addr)s") % {"addr": addr}
        )
    return host.strip("[]"), int(port_text)


def unapplied_migrations() -> list[str]:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


class Command(BaseCommand):
    help = "Serve GridGov over HTTP (waitress); runs periodic jobs in-process without a broker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--threads", type=int, default=8, help="request threads")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not run the periodic schedule in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addr(options["addr"])
        if options["threads"] < 1:
            raise CommandError(_("--threads must be at least 1"))
        self._check_ready()
        scheduler = None
        if settings.EMBEDDED_WORKER and not options["no_scheduler"]:
            scheduler = EmbeddedScheduler()
            scheduler.start()
            self.stdout.write(
                _("No broker configured: background and periodic jobs run in this process.")
            )
        shown_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(
                _("GridGov is running at %(url)s (Ctrl+C to stop)")
                % {"url": f"http://{shown_host}:{port}/"}
            )
        )
        previous_handler = self._stop_on_sigterm()
        try:
            self._serve(host=host, port=port, threads=options["threads"])
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            if scheduler is not None:
                scheduler.stop()

    @staticmethod
    def _stop_on_sigterm() -> Any:
        """A service manager stops us with SIGTERM: leave through ``finally`` so the scheduler
        finishes its current job instead of leaving its claim to lapse."""
        if threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))

    def _check_ready(self) -> None:
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                _(
                    "The database has %(count)d unapplied migrations (first: %(first)s). "
                    "Run `gridgov migrate` first."
                )
                % {"count": len(pending), "first": pending[0]}
            )
        manifest = getattr(staticfiles_storage, "manifest_name", None)
        if settings.IS_PRODUCTION and manifest and not staticfiles_storage.exists(manifest):
            raise CommandError(
                _("Static files are not collected. Run `gridgov collectstatic --noinput` first.")
            )

    def _serve(self, *, host: str, port: int, threads: int) -> None:
        from gridgov.config.wsgi import application

        waitress_serve(application, host=host, port=port, threads=threads, ident="GridGov")
