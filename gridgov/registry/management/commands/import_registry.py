"""``gridgov import_registry <file.xlsx> --kind people|places|leases --cell CODE --as USER
[--commit] [--partial]``: check an Excel file and, with ``--commit``, import it, showing
progress. Without ``--commit`` nothing is written (a dry run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.registry.models import ImportJob
from gridgov.registry.services.imports import (
    import_job_commit,
    import_job_create,
    import_job_run,
)

SHOWN_PROBLEMS = 20
BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Check and import people, places or leases from an Excel (.xlsx) file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the .xlsx file, in the layout of the template")
        parser.add_argument("--kind", required=True, choices=ImportJob.Kind.values)
        parser.add_argument("--cell", dest="cell_code", default=None, help="area code")
        parser.add_argument("--as", dest="username", required=True, help="importing account")
        parser.add_argument("--commit", action="store_true", help="import after the check")
        parser.add_argument(
            "--partial", action="store_true", help="import the good rows even if others fail"
        )

    def _progress(self, phase: str, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        filled = round(BAR_WIDTH * fraction)
        label = _("checking") if phase == "check" else _("writing")
        line = (
            f"  {label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction:4.0%} {done}/{total}"
        )
        if sys.stdout.isatty():
            self.stdout.write("\r" + line, ending="")
            if done >= total:
                self.stdout.write("")
        else:
            self.stdout.write(line)

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(_("No account named %s.") % options["username"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": error.strerror}
            ) from error
        try:
            job = import_job_create(
                actor=actor,
                kind=options["kind"],
                content=content,
                original_name=path.name,
                cell_code=options["cell_code"],
            )
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(_messages(error))) from error
        self.stdout.write(_("Checking every row of %(name)s …") % {"name": path.name})
        job = import_job_run(job_id=job.pk, progress=self._progress)
        self._summary(job)
        if job.status == ImportJob.Status.FAILED:
            raise CommandError(job.message)
        if not options["commit"]:
            self.stdout.write(_("Dry run: nothing was written. Add --commit to import."))
            return
        try:
            job = import_job_commit(
                actor=actor, job_id=job.pk, is_all_or_nothing=not options["partial"]
            )
        except ValidationError as error:
            raise CommandError(" ".join(_messages(error))) from error
        self.stdout.write(_("Importing …"))
        job = import_job_run(job_id=job.pk, progress=self._progress)
        if job.status != ImportJob.Status.DONE:
            self._summary(job)
            raise CommandError(job.message)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported: %(created)d created, %(updated)d updated, %(errors)d rows rejected.")
                % {
                    "created": job.created_count,
                    "updated": job.updated_count,
                    "errors": job.error_count,
                }
            )
        )

    def _summary(self, job: ImportJob) -> None:
        if job.status == ImportJob.Status.VALIDATED:
            self.stdout.write(
                _(
                    "%(rows)d rows checked: %(created)d to create, %(updated)d to update, "
                    "%(errors)d with errors."
                )
                % {
                    "rows": job.total_rows,
                    "created": job.created_count,
                    "updated": job.updated_count,
                    "errors": job.error_count,
                }
            )
        if job.error_report:
            self.stdout.write(_("Error report: %(path)s") % {"path": job.error_report.path})


def _messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(message) for message in error.messages]
    return [str(error)]
