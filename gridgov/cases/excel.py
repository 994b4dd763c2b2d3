"""Excel export of the case statistics: the headline figures, each breakdown and both rankings,
one sheet each. Every sheet names the exporter and the time on its first line; each export
writes one ``cases.statistics_export`` audit row with the filters (no personal data: the
statistics hold only counts and rates)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.cases.models import Case
from gridgov.cases.selectors.statistics import (
    Figures,
    StatisticsQuery,
    StatisticsReport,
    statistics_report,
)
from gridgov.core.audit import audit_record

_TITLE_FONT = Font(bold=True, size=12)
_NOTE_FONT = Font(italic=True, color="555555")
_HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class StatisticsFile:
    content: bytes
    filename: str


def _figure_columns() -> list[tuple[str, str, int]]:
    """(attribute of ``Figures``, header, width)."""
    return [
        ("accepted", pgettext("figure", "Accepted"), 10),
        ("resolved", pgettext("figure", "Resolved"), 10),
        ("closure_rate", _("Closure rate"), 12),
        ("on_time_acceptance_rate", _("On-time acceptance"), 14),
        ("on_time_resolution_rate", _("On-time resolution"), 14),
        ("median_hours", _("Median hours to resolve"), 14),
        ("p90_hours", _("90th percentile hours"), 14),
        ("mean_rating", _("Mean rating"), 10),
        ("satisfied_share", _("Rated 4–5"), 10),
        ("reopen_rate", _("Reopen rate"), 10),
        ("open", _("Still open"), 10),
        ("overdue_open", _("Open and late"), 10),
        ("whistled", pgettext("figure", "Whistled"), 10),
    ]


_RATES = {
    "closure_rate",
    "on_time_acceptance_rate",
    "on_time_resolution_rate",
    "satisfied_share",
    "reopen_rate",
}


def _value(figures: Figures, name: str) -> Any:
    value = getattr(figures, name)
    if value is None:
        return ""
    if name in _RATES:
        return round(float(value) * 100, 1)  # per cent
    return value


def _sheet(
    workbook: Workbook,
    title: str,
    header_lines: list[str],
    columns: list[tuple[str, int]],
    rows: Iterable[list[Any]],
) -> None:
    sheet = workbook.create_sheet(title[:31])
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
    for row in rows:
        sheet.append(row)


def _stamp(actor: Any, now: datetime.datetime) -> str:
    local = timezone.localtime(now)
    name = getattr(actor, "display_name", "") or actor.get_username()
    return _("Exported by %(name)s (%(username)s) on %(time)s") % {
        "name": name,
        "username": actor.get_username(),
        "time": local.strftime("%Y-%m-%d %H:%M"),
    }


def _period_line(query: StatisticsQuery) -> str:
    return _("Cases reported from %(start)s to %(end)s; rates in per cent.") % {
        "start": query.start.isoformat(),
        "end": query.end.isoformat(),
    }


def statistics_workbook(report: StatisticsReport, *, header_lines: list[str]) -> bytes:
    workbook = Workbook(write_only=True)
    figure_columns = _figure_columns()
    _sheet(
        workbook,
        _("Summary"),
        header_lines,
        [(_("Figure"), 26), (_("Value"), 14)],
        ([header, _value(report.summary, name)] for name, header, _width in figure_columns),
    )
    titles = {
        "month": _("By month"),
        "category": _("By category"),
        "channel": _("By channel"),
        "cell": _("By area"),
        "department": _("By department"),
    }
    table_columns = [(header, width) for _name, header, width in figure_columns]
    for by, rows in report.breakdowns.items():
        _sheet(
            workbook,
            titles.get(by, by),
            header_lines,
            [(titles.get(by, by), 20), *table_columns],
            (
                [row.label, *(_value(row.figures, n) for n, _h, _w in figure_columns)]
                for row in rows
            ),
        )
    listed = {"red": _("Red list"), "black": _("Black list"), "": ""}
    ranking_titles = {
        "department": _("Department ranking"),
        "property_company": _("Property company ranking"),
    }
    for kind, ranking in report.rankings.items():
        _sheet(
            workbook,
            ranking_titles.get(kind, kind),
            header_lines,
            [(_("Rank"), 6), (_("Name"), 20), (_("Score"), 8), (_("List"), 8), *table_columns],
            (
                [
                    row.rank,
                    row.name,
                    row.score if row.score is not None else "",
                    listed[row.listed],
                    *(_value(row.figures, n) for n, _h, _w in figure_columns),
                ]
                for row in ranking
            ),
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def statistics_export(
    *, actor: Any, query: StatisticsQuery, now: datetime.datetime | None = None
) -> StatisticsFile:
    """The statistics page as an xlsx workbook, for users who may see statistics."""
    if scope_for(actor, Perm.CASE_STATISTICS).is_empty:
        raise PermissionDenied(_("You may not see case statistics."))
    now = now or timezone.now()
    report = statistics_report(actor=actor, query=query, now=now)
    content = statistics_workbook(report, header_lines=[_stamp(actor, now), _period_line(query)])
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="cases.statistics_export",
            object_type=Case._meta.label_lower,
            object_label="case statistics export",
            changes={"filters": query.as_filters(), "accepted": report.summary.accepted},
        )
    suffix = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return StatisticsFile(content=content, filename=f"case-statistics-{suffix}.xlsx")
