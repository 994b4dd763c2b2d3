"""The row-by-row error report: the uploaded sheet's own columns for each rejected row, plus
错误行号 / 错误列 / 错误原因, so a worker fixes the rows in place and uploads the file again."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from gridgov.registry.excel.columns import REPORT_COLUMN, REPORT_HEADERS, REPORT_REASON, REPORT_ROW

_HEADER_FONT = Font(bold=True)
_ERROR_FONT = Font(bold=True, color="B00020")
_ERROR_FILL = PatternFill("solid", fgColor="FDECEA")


class RowProblem(NamedTuple):
    """One reason a row cannot be imported: Excel row number, column header (or "" for the
    whole row) and the reason, translated."""

    row: int
    column: str
    reason: str


def problems_by_row(problems: Iterable[RowProblem]) -> dict[int, list[RowProblem]]:
    grouped: dict[int, list[RowProblem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.row].append(problem)
    return dict(sorted(grouped.items()))


def _header_cells(sheet: Any, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = _ERROR_FONT if header in REPORT_HEADERS else _HEADER_FONT
        cells.append(cell)
    return cells


def error_report_xlsx(
    *,
    title: str,
    headers: list[str],
    rows: dict[int, list[Any]],
    problems: Iterable[RowProblem],
) -> bytes:
    """An xlsx with one line per rejected row, in row order; values kept as uploaded."""
    own_headers = [header for header in headers if header not in REPORT_HEADERS]
    own_positions = [index for index, header in enumerate(headers) if header not in REPORT_HEADERS]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, [*own_headers, REPORT_ROW, REPORT_COLUMN, REPORT_REASON]))
    for number, row_problems in problems_by_row(problems).items():
        values = rows.get(number, [])
        own = [values[index] if index < len(values) else "" for index in own_positions]
        columns = "、".join(dict.fromkeys(p.column for p in row_problems if p.column))
        reasons = "；".join(
            f"{p.column}：{p.reason}" if p.column else p.reason for p in row_problems
        )
        marks = []
        for value in (number, columns, reasons):
            cell = WriteOnlyCell(sheet, value=value)
            cell.fill = _ERROR_FILL
            marks.append(cell)
        sheet.append([_plain(value) for value in own] + marks)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    # Identifiers go back as text so that Excel does not round them.
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return value
