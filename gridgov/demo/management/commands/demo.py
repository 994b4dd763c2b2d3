"""``gridgov demo --profile maqiao --addr 127.0.0.1:8000``: migrate, generate, print the demo
accounts one per line (DESIGN D13) and serve the platform."""

from __future__ import annotations

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
        call_command("serve", addr=options["addr"])
