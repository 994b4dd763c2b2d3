"""``gridgov demo --profile maqiao --addr 127.0.0.1:8000``: migrate, generate, print the demo
accounts one per line (DESIGN D13) and serve the platform, with the device simulator sending
the town's events over HTTP once the server answers (``--no-simulator`` turns it off)."""

from __future__ import annotations

import subprocess
import sys
import threading
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from gridgov.demo.console import account_lines
from gridgov.demo.management.commands.demo_data import generate_with_progress
from gridgov.demo.plan import DEFAULT_SEED, PROFILES
from gridgov.demo.services import demo_open311_key


class Command(BaseCommand):
    help = "Prepare a database with a generated demo town and serve GridGov."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=PROFILES, default="maqiao")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to serve on")
        parser.add_argument("--no-serve", action="store_true", help="prepare the database and stop")
        parser.add_argument(
            "--no-simulator",
            action="store_true",
            help="serve without the device simulator (no device events, no alarms)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(_("Preparing the database…"))
        call_command("migrate", interactive=False, verbosity=0)
        result = generate_with_progress(self, profile=options["profile"], seed=options["seed"])
        self.stdout.write("")
        for line in account_lines(result.accounts):
            self.stdout.write(line)
        self.stdout.write(f"Open311 API key: {demo_open311_key()}")
        self.stdout.write("")
        if getattr(settings, "DEMO_MODE", False):
            self.stdout.write(
                _("Two-factor sign-in is switched off for these demo accounts (demo only).")
            )
        url = f"http://{options['addr']}/"
        self.stdout.write(_("GridGov is starting at %(url)s") % {"url": url})
        if options["no_serve"]:
            return
        simulator = None if options["no_simulator"] else DemoSimulator(url, options["profile"])
        if simulator is not None:
            simulator.start()
        try:
            call_command("serve", addr=options["addr"])
        finally:
            if simulator is not None:
                simulator.stop()


SIMULATOR_RATE = "20"  # events a second
SIMULATOR_INCIDENT_EVERY = "20"  # seconds
SERVER_WAIT_SECONDS = 120


class DemoSimulator:
    """Starts ``gridgov simulate-devices`` over HTTP once the server answers; stops it with the
    server."""

    def __init__(self, url: str, profile: str) -> None:
        self.url = url
        self.profile = profile
        self.stopping = threading.Event()
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="demo-simulator", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _server_answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2):  # noqa: S310 - our own http URL
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer: the server is up
        except OSError:
            return False

    def _run(self) -> None:
        waited = 0.0
        while not self.stopping.is_set() and not self._server_answers():
            if waited >= SERVER_WAIT_SECONDS:
                return
            self.stopping.wait(0.5)
            waited += 0.5
        command = [
            sys.executable, "-m", "gridgov", "simulate-devices", "--transport", "http",
            "--profile", self.profile, "--rate", SIMULATOR_RATE,
            "--incident-every", SIMULATOR_INCIDENT_EVERY, "--url", self.url,
        ]  # fmt: skip
        with self.lock:
            if not self.stopping.is_set():
                self.process = subprocess.Popen(command)  # noqa: S603 - fixed arguments

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
