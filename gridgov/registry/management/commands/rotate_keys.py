"""``gridgov rotate-keys [--dry-run]``: move every stored encrypted value to the current
field-encryption key (the first of ``GRIDGOV_FIELD_KEYS``; ``docs/operations.md`` §5).

Prints how many values each key id holds, re-encrypts people's ID and phone numbers and the
accounts' two-factor secrets in batches with progress, then prints the count again. Exit code
1 when a value cannot be decrypted with the configured keys: its row ids and columns are
named, never the value. ``--dry-run`` decrypts what would move and writes nothing.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.accounts.services import totp_secrets_key_census, totp_secrets_rotate
from gridgov.accounts.services.work_phones import work_phones_key_census, work_phones_rotate
from gridgov.core.crypto import current_key_id
from gridgov.core.key_rotation import RotationFailure, RotationResult
from gridgov.registry.services.key_rotation import (
    encrypted_values_key_census,
    encrypted_values_rotate,
)

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Re-encrypt stored ID and phone numbers and two-factor secrets under the current "
        "field-encryption key, printing the values per key before and after."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count and decrypt what would be re-encrypted, write nothing",
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="rows per transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        self.stdout.write(_("Current key: %(key)s") % {"key": current_key_id()})
        self._census(_("Values per key before:"))
        results: list[RotationResult] = []
        steps: list[tuple[str, Callable[..., RotationResult]]] = [
            (_("ID and phone numbers"), encrypted_values_rotate),
            (_("two-factor secrets"), totp_secrets_rotate),
            (_("staff work phones"), work_phones_rotate),
        ]
        for label, rotate in steps:
            self.stdout.write(
                (_("Checking %(what)s …") if dry_run else _("Re-encrypting %(what)s …"))
                % {"what": label}
            )
            result = rotate(batch_size=batch_size, progress=self._progress, dry_run=dry_run)
            results.append(result)
            self.stdout.write(
                (
                    _("%(values)d values in %(rows)d rows would be re-encrypted.")
                    if dry_run
                    else _("%(values)d values in %(rows)d rows re-encrypted.")
                )
                % {"values": result.values_rotated, "rows": result.rows_rotated}
            )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self._census(_("Values per key after:"))
        failures = [failure for result in results for failure in result.failures]
        if failures:
            self._report(failures)
            raise CommandError(
                _(
                    "%(count)d values cannot be decrypted with the configured keys and were "
                    "left as they are. Add the key they were written with to "
                    "GRIDGOV_FIELD_KEYS, or restore them from a backup, then run again."
                )
                % {"count": len(failures)},
                returncode=1,
            )
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(_("Every value is under the current key.")))

    def _census(self, title: str) -> None:
        self.stdout.write(title)
        for label, census in (
            (_("ID and phone numbers"), encrypted_values_key_census()),
            (_("two-factor secrets"), totp_secrets_key_census()),
            (_("staff work phones"), work_phones_key_census()),
        ):
            self.stdout.write(f"  {label}: {_census_line(census)}")

    def _progress(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = round(BAR_WIDTH * fraction)
        line = f"  [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%} {done}/{total}"
        if sys.stdout.isatty():
            self.stdout.write("\r" + line, ending="")
            if done >= total:
                self.stdout.write("")
        else:
            self.stdout.write(line)

    def _report(self, failures: Iterable[RotationFailure]) -> None:
        rows: dict[tuple[str, str], list[int]] = defaultdict(list)
        for failure in failures:
            rows[(failure.model, failure.field)].append(failure.row_id)
        self.stderr.write(_("Values that no configured key decrypts (row ids):"))
        for (model, field), ids in sorted(rows.items()):
            self.stderr.write(f"  {model}.{field}: {', '.join(str(pk) for pk in sorted(ids))}")


def _census_line(census: dict[str, int]) -> str:
    if not census:
        return _("none")
    configured = {key_id for key_id, _key in settings.FIELD_ENCRYPTION_KEYS}
    current = current_key_id()
    parts = []
    for key_id, count in census.items():
        if key_id == current:
            note = _(" (current)")
        elif key_id not in configured:
            note = _(" (not configured)")
        else:
            note = ""
        parts.append(f"{key_id}{note} {count}")
    return ", ".join(parts)
