"""``gridgov demo-data --profile maqiao|sanjiang|small [--seed N]``: generate a demo town."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.demo.console import ProgressPrinter, account_lines, not_empty_message, summary_lines
from gridgov.demo.plan import DEFAULT_SEED, PROFILES
from gridgov.demo.services import (
    DemoDatabaseNotEmptyError,
    GenerationResult,
    demo_open311_key,
    demo_town_generate,
)


class Command(BaseCommand):
    help = "Generate a demo town (areas, boundaries, organisations, staff) into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=PROFILES, default="maqiao")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)

    def handle(self, *args: Any, **options: Any) -> None:
        result = generate_with_progress(self, profile=options["profile"], seed=options["seed"])
        self.stdout.write(_("Demo accounts:"))
        for line in account_lines(result.accounts):
            self.stdout.write(line)
        self.stdout.write(f"Open311 API key: {demo_open311_key()}")


def generate_with_progress(command: BaseCommand, *, profile: str, seed: int) -> GenerationResult:
    """Run the generation, drawing progress on the command's output; shared with ``demo``."""
    printer = ProgressPrinter(
        lambda text: (command.stdout.write(text, ending=""), command.stdout.flush()),
        is_terminal=command.stdout.isatty(),
    )
    command.stdout.write(
        _("Generating the %(profile)s demo town (seed %(seed)d)…")
        % {"profile": profile, "seed": seed}
    )
    try:
        result = demo_town_generate(
            profile=profile, seed=seed, progress=printer, on_step=printer.step
        )
    except DemoDatabaseNotEmptyError as error:
        raise CommandError(not_empty_message(int(error.args[0]))) from error
    printer.finish()
    command.stdout.write(_("Done:"))
    for line in summary_lines(result.counts):
        command.stdout.write(line)
    return result
