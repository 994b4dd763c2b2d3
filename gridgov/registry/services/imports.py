"""Excel imports of people, places and leases, as ``ImportJob``s.

Upload (``import_job_create``) → check (a dry run: every row validated, nothing written,
status VALIDATED with counts and a row-by-row error report) → import (``import_job_commit``
schedules ``run_import_job``, which checks again and writes). All or nothing by default: one
transaction, and any error leaves the registry unchanged; "partial" writes the good rows only.
One audit row per import, with counts and no personal data.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell
from gridgov.registry.excel.columns import SHEET_TITLES, columns_for
from gridgov.registry.excel.reader import Sheet, SheetError, read_sheet
from gridgov.registry.excel.report import error_report_xlsx
from gridgov.registry.models import ImportJob
from gridgov.registry.services.import_rules import Counts, DryRunRollbackError, Problems

CHECK_BATCH = 2000
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
KIND_PERMISSIONS: dict[str, str] = {
    ImportJob.Kind.PEOPLE: Perm.PERSON_MANAGE,
    ImportJob.Kind.PLACES: Perm.PLACE_MANAGE,
    ImportJob.Kind.LEASES: Perm.LEASE_REGISTER,
}

Progress = Callable[[str, int, int], None]


class ImportJobNotFoundError(Http404):
    """An import that does not exist or is not the actor's (answered alike)."""


class _Importer(Protocol):
    problems: Problems
    planned: Counts

    def check_batch(self, rows: list[tuple[int, dict[str, Any]]]) -> None: ...

    def check_end(self, *, is_commit: bool) -> None: ...

    def write(self, *, skip_rows: set[int]) -> Counts: ...


def _importer(kind: str, *, actor: Any, job_cell: Cell | None) -> _Importer:
    if kind == ImportJob.Kind.PEOPLE:
        from gridgov.registry.services.import_people import PeopleImporter

        return PeopleImporter(actor=actor, job_cell=job_cell)
    if kind == ImportJob.Kind.PLACES:
        from gridgov.registry.services.import_places import PlacesImporter

        return PlacesImporter(actor=actor, job_cell=job_cell)
    from gridgov.registry.services.import_leases import LeasesImporter

    return LeasesImporter(actor=actor, job_cell=job_cell)


class _AllOrNothingFailedError(Exception):
    """Rolls the import's transaction back when a row failed during the writes."""


# --- Jobs ------------------------------------------------------------------------------------


def import_job_create(
    *,
    actor: Any,
    kind: str,
    content: bytes,
    original_name: str,
    cell_code: str | None = None,
    is_all_or_nothing: bool = True,
) -> ImportJob:
    """Keep an upload as a new job (to be checked first). Needs ``registry.import`` and the
    kind's own permission, over ``cell_code`` when given."""
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind of import.")]})
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError({"upload": [_("The file is larger than 100 MB.")]})
    cell = None
    if cell_code:
        cell = Cell.objects.filter(code=cell_code, is_active=True).first()
        if cell is None:
            raise ValidationError({"cell_code": [_("This area does not exist.")]})
    for permission in (Perm.REGISTRY_IMPORT, KIND_PERMISSIONS[kind]):
        if not has_permission(actor, permission, cell_code=cell_code):
            raise PermissionDenied(_("You may not import this kind of record here."))
    job = ImportJob(
        kind=kind,
        original_name=(original_name or "upload.xlsx")[-200:],
        cell=cell,
        created_by=actor,
        is_dry_run=True,
        is_all_or_nothing=is_all_or_nothing,
    )
    job.upload.save(f"import-{uuid.uuid4().hex}.xlsx", ContentFile(content), save=False)
    job.save()
    return job


def import_job_get_for_write(*, actor: Any, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("cell", "created_by").filter(pk=job_id).first()
    if job is None or job.created_by_id != getattr(actor, "pk", None):
        raise ImportJobNotFoundError()
    return job


def import_job_commit(*, actor: Any, job_id: int, is_all_or_nothing: bool = True) -> ImportJob:
    """Confirm a checked upload for import (the work runs in ``run_import_job``).

    All or nothing cannot be chosen while the check found errors: fix them, or import the
    good rows only.
    """
    with transaction.atomic():
        job = import_job_get_for_write(actor=actor, job_id=job_id)
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.status != ImportJob.Status.VALIDATED or not job.is_dry_run:
            raise ValidationError(
                _("Only a checked upload that is not imported yet can be imported.")
            )
        if is_all_or_nothing and job.error_count:
            raise ValidationError(
                _(
                    "The check found errors. Correct them and upload the file again, or choose "
                    "to import only the rows without errors."
                )
            )
        job.is_dry_run = False
        job.is_all_or_nothing = is_all_or_nothing
        job.status = ImportJob.Status.PENDING
        job.processed_rows = 0
        job.save(update_fields=["is_dry_run", "is_all_or_nothing", "status", "processed_rows"])
    return job


def import_job_schedule(*, job_id: int) -> None:
    """Run the job in the background once the current transaction has committed."""
    from gridgov.registry.tasks import run_import_job

    transaction.on_commit(lambda: run_import_job.delay(job_id))


# --- Running ---------------------------------------------------------------------------------


def _update(job: ImportJob, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _save_report(job: ImportJob, sheet: Sheet, problems: Problems) -> None:
    if not problems.items:
        if job.error_report:
            job.error_report.delete(save=False)
        _update(job, error_report="")
        return
    wanted = problems.rows
    rows = {number: row for number, row in sheet.rows if number in wanted}
    content = error_report_xlsx(
        title=SHEET_TITLES[job.kind], headers=sheet.headers, rows=rows, problems=problems.items
    )
    job.error_report.save(f"errors-{uuid.uuid4().hex}.xlsx", ContentFile(content), save=False)
    _update(job, error_report=job.error_report.name)


def _versions_name(job: ImportJob) -> str:
    return f"{job.upload.name}.versions.json"


def _save_versions(job: ImportJob, versions: dict[int, int]) -> None:
    """The versions of the registered people the check saw: an edit made by someone else
    before the import is confirmed is then refused, never overwritten."""
    if not versions:
        return
    name = _versions_name(job)
    if default_storage.exists(name):
        default_storage.delete(name)
    default_storage.save(name, ContentFile(json.dumps(versions).encode()))


def _load_versions(job: ImportJob) -> dict[int, int]:
    name = _versions_name(job)
    if not default_storage.exists(name):
        return {}
    with default_storage.open(name, "rb") as handle:
        return {int(key): int(value) for key, value in json.loads(handle.read()).items()}


def _fail(job: ImportJob, message: Any) -> ImportJob:
    _update(
        job,
        status=ImportJob.Status.FAILED,
        message=str(message),
        finished_at=timezone.now(),
    )
    return job


def _check(job: ImportJob, sheet: Sheet, importer: _Importer, progress: Progress | None) -> None:
    total = len(sheet.rows)
    for start in range(0, total, CHECK_BATCH):
        batch = sheet.rows[start : start + CHECK_BATCH]
        importer.check_batch([(number, sheet.record(row)) for number, row in batch])
        done = min(start + CHECK_BATCH, total)
        _update(job, processed_rows=done)
        if progress:
            progress("check", done, total)
    importer.check_end(is_commit=not job.is_dry_run)


def _write(job: ImportJob, importer: _Importer, actor: Any) -> Counts:
    problems = importer.problems
    known = set(problems.rows)
    with transaction.atomic():
        counts = importer.write(skip_rows=known)
        if job.is_all_or_nothing and problems.rows - known:
            raise _AllOrNothingFailedError()
        audit_record(
            actor=actor,
            action="registry.import",
            target=job,
            object_label=f"{job.kind} import {job.pk}",
            changes={
                "kind": job.kind,
                "rows": job.total_rows,
                "created": counts.created,
                "updated": counts.updated,
                "rejected": len(problems.rows),
                "mode": "all_or_nothing" if job.is_all_or_nothing else "partial",
                "cell": job.cell.code if job.cell else "",
            },
        )
    return counts


def import_job_run(*, job_id: int, progress: Progress | None = None) -> ImportJob:
    """Check (dry run) or import one job, as its uploader. Safe to call again: a finished
    job is left as it is."""
    job = ImportJob.objects.select_related("cell", "created_by").get(pk=job_id)
    if job.status not in (ImportJob.Status.PENDING, ImportJob.Status.VALIDATING):
        return job
    with translation.override(settings.LANGUAGE_CODE):
        try:
            return _run(job, progress)
        except Exception:
            # The transaction (if any) is rolled back; the job must not stay "in progress".
            _fail(job, _("The import stopped on an unexpected error; nothing was imported."))
            raise


def _run(job: ImportJob, progress: Progress | None) -> ImportJob:
    actor = job.created_by
    is_commit = not job.is_dry_run
    _update(
        job,
        status=ImportJob.Status.IMPORTING if is_commit else ImportJob.Status.VALIDATING,
        started_at=timezone.now(),
        processed_rows=0,
        message="",
    )
    try:
        with job.upload.open("rb") as upload:
            content = upload.read()
        sheet = read_sheet(content, columns=columns_for(job.kind))
    except SheetError as error:
        return _fail(job, error.message)
    except OSError:
        return _fail(job, _("The uploaded file can no longer be read; upload it again."))
    _update(job, total_rows=len(sheet.rows))
    importer = _importer(job.kind, actor=actor, job_cell=job.cell)
    if is_commit and hasattr(importer, "expected_versions"):
        importer.expected_versions = _load_versions(job)
    _check(job, sheet, importer, progress)
    problems = importer.problems
    if not is_commit:
        _save_report(job, sheet, problems)
        _save_versions(job, getattr(importer, "seen_versions", {}))
        _update(
            job,
            status=ImportJob.Status.VALIDATED,
            error_count=len(problems.rows),
            created_count=importer.planned.created,
            updated_count=importer.planned.updated,
            finished_at=timezone.now(),
        )
        return job
    return _commit(job, sheet, importer, progress)


def _commit(
    job: ImportJob, sheet: Sheet, importer: _Importer, progress: Progress | None
) -> ImportJob:
    problems = importer.problems
    if job.is_all_or_nothing and problems.rows:
        _save_report(job, sheet, problems)
        _update(job, error_count=len(problems.rows))
        return _fail(job, _nothing_imported())
    if progress:
        progress("write", 0, len(sheet.rows))
    try:
        counts = _write(job, importer, job.created_by)
    except _AllOrNothingFailedError:
        _save_report(job, sheet, problems)
        _update(job, error_count=len(problems.rows))
        return _fail(job, _nothing_imported())
    except IntegrityError:
        return _fail(
            job,
            _(
                "The registry changed while the file was being imported, so nothing was "
                "imported. Check the file again and import it."
            ),
        )
    if progress:
        progress("write", len(sheet.rows), len(sheet.rows))
    _save_report(job, sheet, problems)
    _update(
        job,
        status=ImportJob.Status.DONE,
        error_count=len(problems.rows),
        created_count=counts.created,
        updated_count=counts.updated,
        processed_rows=len(sheet.rows),
        finished_at=timezone.now(),
    )
    return job


def _nothing_imported() -> Any:
    return _(
        "Some rows have errors, so nothing was imported (all or nothing). Correct the rows in "
        "the error report and upload it again, or import only the rows without errors."
    )


def run_rolled_back(work: Callable[[], None]) -> None:
    """Run real services as a trial inside a transaction that is always rolled back."""
    try:
        with transaction.atomic():
            work()
            raise DryRunRollbackError()
    except DryRunRollbackError:
        pass
