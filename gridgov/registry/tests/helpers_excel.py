"""Helpers for the Excel tests: workbooks built in memory, jobs run to the end."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import Workbook, load_workbook

from gridgov.registry.excel.columns import columns_for
from gridgov.registry.models import ImportJob
from gridgov.registry.services.imports import import_job_commit, import_job_create, import_job_run
from gridgov.registry.tests.factories import resident_id

PEOPLE_HEADERS = [column.header for column in columns_for(ImportJob.Kind.PEOPLE)]


def valid_id(n: int, *, born: datetime.date = datetime.date(1985, 3, 4), sex: str = "M") -> str:
    return resident_id(born, sequence=n, sex=sex)


def wrong_check_digit(number: str) -> str:
    last = number[-1]
    return number[:-1] + ("0" if last != "0" else "1")


def xlsx(headers: list[str], rows: list[list[Any]], *, merge: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person_row(n: int, **fields: Any) -> list[Any]:
    """A people-sheet row in the template's column order (``fields`` by header)."""
    values = {"姓名": f"张{'三四五六七八九十'[n % 8]}{n}", "证件号码": valid_id(n)}
    values.update(fields)
    return [values.get(header, "") for header in PEOPLE_HEADERS]


def people_xlsx(rows: list[list[Any]]) -> bytes:
    return xlsx(PEOPLE_HEADERS, rows)


def check(actor: Any, kind: str, content: bytes, cell_code: str | None = None) -> ImportJob:
    job = import_job_create(
        actor=actor, kind=kind, content=content, original_name="upload.xlsx", cell_code=cell_code
    )
    return import_job_run(job_id=job.pk)


def check_and_import(
    actor: Any,
    kind: str,
    content: bytes,
    cell_code: str | None = None,
    *,
    is_all_or_nothing: bool = True,
) -> ImportJob:
    job = check(actor, kind, content, cell_code)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    job = import_job_commit(actor=actor, job_id=job.pk, is_all_or_nothing=is_all_or_nothing)
    return import_job_run(job_id=job.pk)


def report_rows(job: ImportJob) -> list[tuple[Any, ...]]:
    """The error report's rows (header first) as tuples."""
    with job.error_report.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def zh(message: str) -> str:
    """A message as the import reports it (in the platform's default language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(gettext(message))


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
