"""``gridgov bench [--output var/bench/results.json] [--only generation|pages|locate|registry|excel|cases|sensing]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from gridgov.demo.benchmarks import GROUPS, run_benchmarks, table


class Command(BaseCommand):
    help = "Measure demo generation, page latency and point lookups (docs/benchmarks.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default="var/bench/results.json")
        parser.add_argument("--only", choices=GROUPS, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        results = run_benchmarks(only=options["only"], output=output, log=self.stdout.write)
        for line in table(results):
            self.stdout.write(line)
        self.stdout.write(_("Results written to %(path)s") % {"path": output})
