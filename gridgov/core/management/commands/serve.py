"""``gridgov serve``: the web application under waitress, plus the embedded scheduler.

Without a broker (``CELERY_BROKER_URL`` unset) the same process runs the periodic schedule in a
background thread (DESIGN D4); with one, ``gridgov worker`` and ``gridgov beat`` do that work.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from waitress import serve as waitress_serve

from gridgov.core.scheduler import EmbeddedScheduler
from gridgov.core.warmup import warm_up


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
            "--workers",
            type=int,
            default=1,
            help="processes sharing the listening socket (one per core); more than one needs fork",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not run the periodic schedule in this process",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addr(options["addr"])
        if options["threads"] < 1:
            raise CommandError(_("--threads must be at least 1"))
        workers = options["workers"]
        if workers < 1:
            raise CommandError(_("--workers must be at least 1"))
        if workers > 1 and not hasattr(os, "fork"):
            raise CommandError(_("More than one worker needs a system with fork."))
        self._check_ready()
        from gridgov.config.wsgi import application  # noqa: F401 - loads every app's code

        warm_up()  # before forking: the workers inherit what it built
        # What is loaded now lives as long as the process: keep the collector from walking it
        # again on every full collection (and from touching pages the forked workers share).
        gc.collect()
        gc.freeze()
        run_scheduler = settings.EMBEDDED_WORKER and not options["no_scheduler"]
        if run_scheduler:
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
        if workers > 1:
            self._serve_forked(
                host=host,
                port=port,
                threads=options["threads"],
                workers=workers,
                run_scheduler=run_scheduler,
            )
            return
        scheduler = EmbeddedScheduler() if run_scheduler else None
        if scheduler is not None:
            scheduler.start()
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

    def _serve_forked(
        self, *, host: str, port: int, threads: int, workers: int, run_scheduler: bool
    ) -> None:
        """Bind once, fork ``workers`` children that each serve the shared socket with
        ``threads`` threads; this process starts no threads and only watches them, restarting
        one that dies. The first child also runs the scheduler. Python runs one thread at a time
        per process, so only several processes use several cores."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1024)
        connections.close_all()  # children open their own database connections
        children: dict[int, bool] = {}  # pid → runs the scheduler

        def spawn(with_scheduler: bool) -> None:
            pid = os.fork()
            if pid == 0:  # the child: serve until told to stop, then leave at once
                self._stop_on_sigterm()
                scheduler = EmbeddedScheduler() if with_scheduler else None
                try:
                    if scheduler is not None:
                        scheduler.start()
                    from gridgov.config.wsgi import application

                    waitress_serve(
                        application, sockets=[listener], threads=threads, ident="GridGov"
                    )
                finally:
                    if scheduler is not None:
                        scheduler.stop()
                    os._exit(0)
            children[pid] = with_scheduler

        for worker in range(workers):
            spawn(run_scheduler and worker == 0)
        previous_handler = self._stop_on_sigterm()
        try:
            while children:
                pid, _status = os.waitpid(-1, 0)
                with_scheduler = children.pop(pid, False)
                time.sleep(1)  # a worker that dies at once must not spin the machine
                spawn(with_scheduler)
        finally:
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            for pid in children:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            listener.close()
