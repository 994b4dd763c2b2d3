"""Downloadable import templates: the data sheet first (the one the import reads), then the
instructions. Identifier columns are formatted as text so that Excel keeps every digit, and
choice columns carry a drop-down list."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gridgov.registry.excel.columns import SHEET_TITLES, columns_for
from gridgov.registry.excel.reader import max_rows

TEMPLATE_ROWS = 5000
_REQUIRED_FONT = Font(bold=True, color="B00020")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8F0FE")


def template_filename(kind: str) -> str:
    return f"{SHEET_TITLES[kind]}导入模板.xlsx"


def template_xlsx(kind: str) -> bytes:
    """The template for ``kind`` (an ``ImportJob.Kind``) as xlsx bytes."""
    columns = columns_for(kind)
    workbook = Workbook()
    data = workbook.active
    data.title = SHEET_TITLES[kind]
    data.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = data.cell(row=1, column=index, value=column.header)
        cell.font = _REQUIRED_FONT if column.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        data.column_dimensions[letter].width = column.width
        if column.is_text:
            for row in range(2, TEMPLATE_ROWS + 2):
                data.cell(row=row, column=index).number_format = "@"
        if column.choices:
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=_("Not in the list"),
                error=_("Choose a value from the list."),
            )
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            data.add_data_validation(validation)
    _instructions(workbook, kind)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _instructions(workbook: Workbook, kind: str) -> None:
    sheet = workbook.create_sheet(_("Instructions"))
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 80
    sheet.append([_("How to fill in this template")])
    sheet["A1"].font = Font(bold=True, size=13)
    for line in (
        _(
            "Fill in the first sheet only, one row per record, from the second row on; keep the "
            "column names of the first row unchanged."
        ),
        _("Columns in red are required. Do not merge cells. At most %(limit)s rows per file.")
        % {"limit": f"{max_rows():,}"},
        _(
            "The upload is checked first and nothing is saved until you confirm; rows with "
            "errors come back in an error report of the same layout that you can correct and "
            "upload again."
        ),
        _("A person already registered (same document number) is updated, not duplicated."),
    ):
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).alignment = Alignment(wrap_text=False)
    sheet.append([])
    sheet.append([_("Column"), _("Required"), _("How to fill it in")])
    for cell in sheet[sheet.max_row]:
        cell.font = _HEADER_FONT
    for column in columns_for(kind):
        sheet.append([column.header, _("yes") if column.required else "", str(column.help)])
