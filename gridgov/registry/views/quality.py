"""The data-quality page (人口信息准确率): the accuracy figure and its definition, the worst
cells first, and the records to fix in a chosen cell."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gridgov.accounts.roles import Perm
from gridgov.grids.models import LevelKind
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.people import person_list_for_actor
from gridgov.registry.selectors.quality import (
    ISSUE_EXPIRED_LEASE,
    ISSUE_LABELS,
    ISSUES,
    quality_records_for_actor,
    quality_report_for_actor,
)
from gridgov.registry.views.common import paginate, require

CELLS_SHOWN = 50


@login_required
@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    require(request, Perm.QUALITY_VIEW)
    parent = request.GET.get("parent", "").strip()[:32] or None
    report = quality_report_for_actor(actor=request.user, parent_code=parent, sample_size=0)
    levels = dict(LevelKind.choices)
    cell = request.GET.get("cell", "").strip()[:32]
    issue = request.GET.get("issue", "")
    context: dict[str, Any] = {
        "report": report,
        "total_percent": _percent(report.total.accuracy),
        "cells": [
            {
                "row": row,
                "percent": _percent(row.accuracy),
                "incomplete": row.residents - row.complete,
                "level_label": levels.get(row.level, row.level),
            }
            for row in report.cells[:CELLS_SHOWN]
        ],
        "more_cells": len(report.cells) > CELLS_SHOWN,
        "parent": parent or "",
        "issues": [(key, ISSUE_LABELS[key]) for key in ISSUES],
        "cell": cell,
        "issue": issue if issue in ISSUES else "",
    }
    if cell and issue in ISSUES:
        context.update(_records(request, cell, issue))
    return render(request, "registry/quality.html", context)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _records(request: HttpRequest, cell: str, issue: str) -> dict[str, Any]:
    """One page of records to fix: people shown masked, or leases past their end."""
    records = quality_records_for_actor(actor=request.user, cell_code=cell, issue=issue)
    page = paginate(records.values_list("pk", flat=True), request.GET, per_page=50)
    ids = list(page.object_list)
    if issue == ISSUE_EXPIRED_LEASE:
        from gridgov.registry.selectors.leases import lease_list_for_actor

        leases = list(lease_list_for_actor(actor=request.user).filter(pk__in=ids))
        return {"record_page": page, "lease_records": leases, "issue_label": ISSUE_LABELS[issue]}
    people = person_list_for_actor(actor=request.user).filter(pk__in=ids)
    rows = PersonPresenter(request.user).rows(people)
    return {"record_page": page, "person_records": rows, "issue_label": ISSUE_LABELS[issue]}
