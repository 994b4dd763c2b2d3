"""``gridgov sensing-partitions``: the monthly partitions of the event table (PostgreSQL).

* ``list`` — every attached partition, months in order and the default last, with the row
  estimate;
* ``ensure [--months-ahead N]`` — create this month's partition and the N after it (what the
  daily ``sensing-event-partitions`` job does);
* ``detach --older-than N --by <administrator> [--dry-run]`` — detach, for archiving, every month
  that began before the month N months back (N ≥ 1), each an audit row in the administrator's
  name (``docs/operations.md`` §8).

A thin wrapper over ``gridgov.sensing.services.partitions``; on SQLite there are no partitions and
the command says so.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.sensing.services.partitions import (
    MONTHS_AHEAD,
    add_months,
    event_partition_detach,
    event_partitions_ensure,
    event_partitions_list,
    event_table_is_partitioned,
    month_start,
)


class Command(BaseCommand):
    help = "List, create ahead or detach (for archiving) the monthly partitions of device events."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="the attached partitions with their row estimates")
        ensure = actions.add_parser("ensure", help="create this month and the months ahead")
        ensure.add_argument("--months-ahead", type=int, default=MONTHS_AHEAD)
        detach = actions.add_parser("detach", help="detach every month older than N months")
        detach.add_argument("--older-than", type=int, required=True, metavar="N")
        detach.add_argument("--by", required=True, help="username of a platform administrator")
        detach.add_argument("--dry-run", action="store_true", help="name the months, detach none")

    def handle(self, *args: Any, **options: Any) -> None:
        if not event_table_is_partitioned():
            self.stdout.write(
                _("The event table is not partitioned (partitions exist only on PostgreSQL).")
            )
            if options["action"] == "detach":
                raise CommandError(_("Nothing can be detached."), returncode=1)
            return
        if options["action"] == "list":
            self._list()
        elif options["action"] == "ensure":
            self._ensure(options["months_ahead"])
        else:
            self._detach(options["older_than"], options["by"], options["dry_run"])

    def _list(self) -> None:
        for partition in event_partitions_list():
            month = _("default") if partition.is_default else f"{partition.starts_at or '':%Y-%m}"
            self.stdout.write(f"{partition.name}\t{month}\t~{partition.row_estimate}")

    def _ensure(self, months_ahead: int) -> None:
        try:
            created = event_partitions_ensure(months_ahead=months_ahead)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for name in created:
            self.stdout.write(_("created %(name)s") % {"name": name})
        self.stdout.write(_("%(count)d partitions created.") % {"count": len(created)})

    def _detach(self, older_than: int, username: str, dry_run: bool) -> None:
        if older_than < 1:
            raise CommandError(_("--older-than must be at least 1 (the month in progress stays)."))
        actor = get_user_model().objects.filter(username=username, is_active=True).first()
        if actor is None:
            raise CommandError(_("There is no active account with this username."))
        limit = add_months(month_start(timezone.now()), -older_than)
        months = [
            partition
            for partition in event_partitions_list()
            if partition.starts_at is not None and partition.starts_at < limit
        ]
        for partition in months:
            if dry_run:
                self.stdout.write(_("would detach %(name)s") % {"name": partition.name})
                continue
            assert partition.starts_at is not None
            try:
                event_partition_detach(month=partition.starts_at.date(), actor=actor)
            except (PermissionDenied, ValidationError) as error:
                messages = getattr(error, "messages", None) or [str(error)]
                raise CommandError(" ".join(str(message) for message in messages)) from None
            self.stdout.write(_("detached %(name)s") % {"name": partition.name})
        self.stdout.write(
            (
                _("%(count)d months would be detached.")
                if dry_run
                else _("%(count)d months detached.")
            )
            % {"count": len(months)}
        )
