"""The certified result as an Excel workbook: a "Result" sheet (stamp, what was decided, the
rule and its source, the roll, the four tests as exact fractions and percentages, the options,
the outcome and the seal) and a "Ballots" sheet (the masked ballot list). Audited."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from gridgov.participation.exports import (
    ExportFile,
    ResultDocument,
    export_audited,
    filenames,
    result_document,
)
from gridgov.participation.exports import sections as s

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_STAMP_FONT = Font(bold=True, size=12)
_NOTE_FONT = Font(italic=True, color="B00020")
_HEAD_FONT = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _bold_row(sheet: Worksheet, values: list[Any]) -> None:
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        cell.font = _HEAD_FONT


def _pairs(sheet: Worksheet, rows: list[tuple[str, Any]]) -> None:
    for label, value in rows:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = _HEAD_FONT
        sheet.cell(row=sheet.max_row, column=2).alignment = _WRAP


def _header(sheet: Worksheet, document: ResultDocument) -> None:
    sheet.append([document.stamp])
    sheet["A1"].font = _STAMP_FONT
    sheet.append([s.certificate_title()])
    sheet["A2"].font = _HEAD_FONT
    sheet.append([s.masking_notice()])
    sheet["A3"].font = _NOTE_FONT
    sheet.append([])


def _result_sheet(sheet: Worksheet, document: ResultDocument) -> None:
    result = document.result
    _header(sheet, document)
    _pairs(sheet, s.summary_rows(result))
    sheet.append([])
    _bold_row(sheet, s.test_columns())
    for row in s.test_rows(result):
        sheet.append(row)
    sheet.append([])
    _bold_row(sheet, s.option_columns(result))
    for row in s.option_rows(result):
        sheet.append(row)
    sheet.append([])
    _pairs(sheet, s.outcome_rows(result))
    for column, width in zip("ABCDEFG", (34, 48, 18, 18, 12, 12, 8), strict=True):
        sheet.column_dimensions[column].width = width


def _ballot_sheet(sheet: Worksheet, document: ResultDocument) -> None:
    _header(sheet, document)
    _bold_row(sheet, s.ballot_columns())
    for row in s.ballot_rows(document):
        sheet.append(row)
    for column, width in zip("ABCDEFG", (6, 18, 28, 16, 10, 20, 10), strict=True):
        sheet.column_dimensions[column].width = width


def result_workbook(document: ResultDocument) -> bytes:
    workbook = Workbook()
    result_sheet = workbook.active
    assert result_sheet is not None
    result_sheet.title = _("Result")[:31]
    _result_sheet(result_sheet, document)
    _ballot_sheet(workbook.create_sheet(_("Ballots")[:31]), document)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def vote_result_xlsx(*, actor: Any, vote_id: int) -> ExportFile:
    """The certified result of a closed vote as xlsx, for whoever may read it; audited."""
    document = result_document(actor=actor, vote_id=vote_id)
    content = result_workbook(document)
    export_audited(actor=actor, document=document, file_format="xlsx", content=content)
    readable, ascii_name = filenames(document, "xlsx")
    return ExportFile(
        content=content,
        filename=readable,
        ascii_filename=ascii_name,
        content_type=XLSX,
        row_count=len(document.ballots),
    )
