"""The statistics page: filters, figures, ECharts charts, rankings with red/black lists, export."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.cases.excel import statistics_export as statistics_workbook_for
from gridgov.cases.selectors.statistics import (
    StatisticsFilterError,
    StatisticsQuery,
    statistics_filter_choices,
    statistics_query,
    statistics_report,
)
from gridgov.cases.views.common import int_or_none, require

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _query_from(data: QueryDict) -> tuple[StatisticsQuery, str]:
    """The query the filters ask for, and an error message when they made no sense."""
    kwargs: dict[str, Any] = {
        "start": _date(data.get("start")),
        "end": _date(data.get("end")),
        "cell_code": data.get("cell", "").strip()[:32],
        "department_id": int_or_none(data.get("department")),
        "category_id": int_or_none(data.get("category")),
        "channel": data.get("channel", "").strip()[:16],
    }
    try:
        return statistics_query(**kwargs), ""
    except StatisticsFilterError as error:
        return statistics_query(), str(error)


def _filters_link(query: StatisticsQuery) -> str:
    pairs = [("start", query.start.isoformat()), ("end", query.end.isoformat())]
    for name, value in (
        ("cell", query.cell_code),
        ("department", query.department_id),
        ("category", query.category_id),
        ("channel", query.channel),
    ):
        if value not in (None, ""):
            pairs.append((name, str(value)))
    return urlencode(pairs)


def _charts(report: Any) -> dict[str, Any]:
    """The series the charts draw (plain numbers; the template hands them to ECharts)."""

    def rows(name: str) -> list[dict[str, Any]]:
        return [row.as_dict() for row in report.breakdowns.get(name, [])]

    return {
        "month": rows("month"),
        "category": rows("category"),
        "channel": rows("channel"),
        "cell": rows("cell"),
        "department": rows("department"),
    }


@login_required
@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    require(request, Perm.CASE_STATISTICS)
    query, error = _query_from(request.GET)
    report = statistics_report(actor=request.user, query=query, now=timezone.now())
    choices = statistics_filter_choices(actor=request.user)
    context = {
        "query": query,
        "error": error,
        "report": report,
        "summary": report.summary,
        "choices": choices,
        "charts": _charts(report),
        "rankings": report.rankings,
        "thresholds": report.thresholds,
        "filters_link": _filters_link(query),
    }
    return render(request, "cases/statistics.html", context)


@login_required
@require_GET
def statistics_export(request: HttpRequest) -> HttpResponse:
    """The same figures as an Excel workbook (exporter and time in the sheet; audited)."""
    require(request, Perm.CASE_STATISTICS)
    query, _error = _query_from(request.GET)
    export = statistics_workbook_for(actor=request.user, query=query)
    response = HttpResponse(export.content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response
