"""``gridgov audit verify``: prove the audit trail's hash chain unbroken (DESIGN D8).

Exit code 0 when intact; 1 with every problem printed when a row was changed or deleted.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_verify


class Command(BaseCommand):
    help = "Audit trail tools. `gridgov audit verify` checks the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        subcommands.add_parser("verify", help="recompute every hash and link of the audit chain")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify()

    def _verify(self) -> None:
        result = audit_verify()
        if result.is_intact:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Audit trail intact: %(count)d entries checked.") % {"count": result.checked}
                )
            )
            return
        for problem in result.problems:
            self.stderr.write(problem)
        raise CommandError(
            _("Audit trail BROKEN: %(problems)d problems in %(count)d entries checked.")
            % {"problems": len(result.problems), "count": result.checked},
            returncode=1,
        )
