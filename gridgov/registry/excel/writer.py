"""Export workbooks: a line naming the exporter and the time, a line saying whether personal
identifiers are masked, then the table. Written in openpyxl's streaming mode."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

_TITLE_FONT = Font(bold=True, size=12)
_NOTE_FONT = Font(italic=True, color="B00020")
_HEADER_FONT = Font(bold=True)


def export_xlsx(
    *,
    sheet_title: str,
    header_lines: list[str],
    columns: list[tuple[str, int]],
    rows: Iterable[list[Any]],
) -> tuple[bytes, int]:
    """The workbook's bytes and the number of data rows written.

    ``header_lines`` come first (the first one bold: exporter and time), then ``columns``
    as (header, width) and the rows; every value is written as given (text stays text).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for position, line in enumerate(header_lines):
        cell = WriteOnlyCell(sheet, value=line)
        cell.font = _TITLE_FONT if position == 0 else _NOTE_FONT
        sheet.append([cell])
    header_cells = []
    for header, _width in columns:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _HEADER_FONT
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count
