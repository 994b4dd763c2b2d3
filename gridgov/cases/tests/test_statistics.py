"""Case statistics: definitions, filters, scope, breakdowns, rankings and the Excel export."""

from __future__ import annotations

import datetime
import io
import itertools
import math
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Role
from gridgov.cases.models import (
    OPEN_STATUSES,
    STAT_ACCEPTED,
    STAT_ACCEPTED_ON_TIME,
    STAT_OPEN,
    STAT_RATING,
    STAT_REOPENED,
    STAT_RESOLVED,
    STAT_RESOLVED_ON_TIME,
    STAT_WHISTLED,
    Case,
    Category,
    Channel,
    Status,
)
from gridgov.cases.selectors.statistics import (
    StatisticsFilterError,
    statistics_breakdown,
    statistics_query,
    statistics_ranking,
    statistics_report,
    statistics_summary,
)
from gridgov.cases.services import (
    case_accept,
    case_dispatch,
    case_merge,
    case_rate,
    case_reopen,
    case_resolve,
    case_return,
    case_start,
    case_whistle,
    close_unrated_cases,
)
from gridgov.cases.tests.helpers_engine import World, local, report, world_fixture  # noqa: F401
from gridgov.core.models import AuditEntry

NOW = timezone.make_aware(datetime.datetime(2026, 6, 30, 12, 0))
PERIOD = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 6, 30)}
_numbers = itertools.count(1)


def at(month: int, day: int, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, month, day, hour, 0))


@pytest.fixture
def catalogue(db: None) -> dict[str, Any]:
    dept_a = Organization.objects.create(
        code="dept-a", name="城管执法中队", kind=Organization.Kind.DEPARTMENT
    )
    dept_b = Organization.objects.create(
        code="dept-b", name="环卫所", kind=Organization.Kind.DEPARTMENT
    )
    company = Organization.objects.create(
        code="property-x", name="万科物业", kind=Organization.Kind.PROPERTY_COMPANY
    )
    sanitation = Category.objects.create(code="sanitation", name="环境卫生", sort_order=1)
    garbage = Category.objects.create(
        code="garbage", name="垃圾堆放", parent=sanitation, department=dept_b
    )
    noise = Category.objects.create(code="noise", name="噪声扰民", parent=sanitation)
    greenery = Category.objects.create(code="greenery", name="市容绿化", sort_order=2)
    return {
        "dept_a": dept_a,
        "dept_b": dept_b,
        "company": company,
        "sanitation": sanitation,
        "garbage": garbage,
        "noise": noise,
        "greenery": greenery,
    }


def make_case(cell: Any, category: Category, created: datetime.datetime, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "number": f"2026{next(_numbers):010d}",
        "channel": Channel.RESIDENT,
        "status": Status.NEW,
        "title": "t",
        "description": "d",
        "accept_due_at": created + datetime.timedelta(hours=2),
        "resolve_due_at": created + datetime.timedelta(days=5),
    }
    values.update(fields)
    return Case.objects.create(
        cell=cell, handling_cell=cell, category=category, created_at=created, **values
    )


def resolved(
    cell: Any,
    category: Category,
    created: datetime.datetime,
    hours: float,
    *,
    late_accept: bool = False,
    **fields: Any,
) -> Case:
    accepted = created + datetime.timedelta(hours=3 if late_accept else 1)
    return make_case(
        cell,
        category,
        created,
        status=fields.pop("status", Status.CLOSED),
        accepted_at=accepted,
        resolved_at=created + datetime.timedelta(hours=hours),
        **fields,
    )


@pytest.fixture
def cases(town, catalogue) -> dict[str, Any]:
    a, b = town.micro_a1, town.micro_b1
    garbage, noise, greenery = catalogue["garbage"], catalogue["noise"], catalogue["greenery"]
    dept_a, dept_b = catalogue["dept_a"], catalogue["dept_b"]
    made = {
        # ten resolved cases, 1..10 hours (median 5.5 h, p90 9.1 h); one resolved after its
        # deadline, one accepted late; ratings 5,5,5,4,4,3,2,1 on eight of them
        "resolved": [
            resolved(
                a if hours <= 6 else b,
                garbage if hours % 2 else greenery,
                at(1 + hours % 5, 10),
                hours,
                department=dept_b if hours % 2 else dept_a,
                rating=[5, 5, 5, 4, 4, 3, 2, 1, None, None][hours - 1],
                reopen_count=1 if hours == 3 else 0,
                channel=Channel.HOTLINE if hours <= 2 else Channel.RESIDENT,
            )
            for hours in range(1, 11)
        ],
    }
    late = made["resolved"][9]
    Case.objects.filter(pk=late.pk).update(resolve_due_at=late.created_at)  # 10 h > deadline
    Case.objects.filter(pk=made["resolved"][0].pk).update(
        accepted_at=made["resolved"][0].created_at + datetime.timedelta(hours=3)
    )
    # open: one past both deadlines, never accepted; one in progress, still on time
    made["overdue"] = make_case(a, noise, at(3, 2), department=dept_a)
    made["working"] = make_case(
        b,
        greenery,
        NOW - datetime.timedelta(hours=1),
        status=Status.IN_PROGRESS,
        accepted_at=NOW - datetime.timedelta(minutes=30),
        department=dept_a,
        channel=Channel.VISIT,
        is_whistled=True,
    )
    # not counted: a merged duplicate and a case of last year
    make_case(a, noise, at(4, 1), status=Status.MERGED)
    make_case(a, noise, at(1, 1) - datetime.timedelta(days=2))
    return made


def summary(actor: Any, **filters: Any) -> Any:
    return statistics_summary(actor=actor, query=statistics_query(**PERIOD, **filters), now=NOW)


def test_headline_figures_follow_the_written_definitions(operator, cases):
    figures = summary(operator)
    assert figures.accepted == 12
    assert figures.resolved == 10
    assert figures.closure_rate == pytest.approx(10 / 12, abs=1e-4)
    # accepted or past the acceptance deadline: 10 resolved + working + overdue = 12; 1 late, 1 never
    assert figures.acceptance_due == 12
    assert figures.accepted_on_time == 10
    # resolved or past the resolution deadline: 10 + the overdue one; one resolved late
    assert figures.resolution_due == 11
    assert figures.resolved_on_time == 9
    assert figures.on_time_resolution_rate == pytest.approx(9 / 11, abs=1e-4)
    # exact elsewhere; on PostgreSQL from 5-minute steps (within 2.5 minutes)
    assert figures.median_hours == pytest.approx(5.5, abs=0.05)
    assert figures.p90_hours == pytest.approx(9.1, abs=0.05)
    assert figures.rated == 8
    assert figures.mean_rating == pytest.approx(29 / 8, abs=0.01)
    assert figures.satisfied == 5
    assert figures.satisfied_share == pytest.approx(5 / 8)
    assert figures.reopened == 1
    assert figures.reopen_rate == pytest.approx(0.1)
    assert (figures.open, figures.overdue_open, figures.whistled) == (2, 1, 1)


def test_filters_narrow_by_category_group_channel_department_and_area(
    operator, town, catalogue, cases
):
    assert summary(operator, category_id=catalogue["sanitation"].pk).accepted == 6  # 5 + noise
    assert summary(operator, category_id=catalogue["garbage"].pk).accepted == 5
    assert summary(operator, channel=Channel.HOTLINE).accepted == 2
    assert summary(operator, department_id=catalogue["dept_a"].pk).accepted == 7
    assert summary(operator, cell_code=town.community_a.code).accepted == 7
    period_end = {"start": datetime.date(2026, 1, 1), "end": datetime.date(2026, 1, 31)}
    query = statistics_query(**period_end)
    assert statistics_summary(actor=operator, query=query, now=NOW).accepted == 2


def test_figures_stay_inside_the_actors_scope(town, make_member, cases):
    community = make_member(Role.COMMUNITY_STAFF, town.community_b)
    assert summary(community).accepted == 5
    # a grid worker may not see statistics at all; nor a resident
    assert summary(make_member(Role.GRID_WORKER, town.grid_a)).accepted == 0
    assert summary(make_member(Role.RESIDENT, town.micro_a1)).accepted == 0


def test_breakdowns_by_month_channel_category_area_and_department(operator, town, catalogue, cases):
    query = statistics_query(**PERIOD)
    months = statistics_breakdown(actor=operator, query=query, by="month", now=NOW)
    assert [row.key for row in months] == [f"2026-0{m}" for m in range(1, 7)]
    assert sum(row.figures.accepted for row in months) == 12
    channels = {r.key: r.figures.accepted for r in statistics_breakdown(
        actor=operator, query=query, by="channel", now=NOW)}  # fmt: skip
    assert channels == {"resident": 9, "hotline": 2, "visit": 1}
    categories = statistics_breakdown(actor=operator, query=query, by="category", now=NOW)
    assert [(row.label, row.figures.accepted) for row in categories] == [
        ("环境卫生", 6),
        ("市容绿化", 6),
    ]
    inside = statistics_query(**PERIOD, category_id=catalogue["sanitation"].pk)
    sub = statistics_breakdown(actor=operator, query=inside, by="category", now=NOW)
    assert {row.label: row.figures.accepted for row in sub} == {"垃圾堆放": 5, "噪声扰民": 1}
    cells = statistics_breakdown(actor=operator, query=query, by="cell", now=NOW)
    assert [(row.key, row.figures.accepted) for row in cells] == [
        (town.community_a.code, 7),
        (town.community_b.code, 5),
    ]
    assert cells[0].figures.median_hours == pytest.approx(3.5, abs=0.05)
    grids = statistics_breakdown(
        actor=operator, query=statistics_query(**PERIOD, cell_code=town.community_b.code),
        by="cell", now=NOW,
    )  # fmt: skip
    assert [(row.key, row.figures.accepted) for row in grids] == [(town.grid_b.code, 5)]
    departments = statistics_breakdown(actor=operator, query=query, by="department", now=NOW)
    assert [(row.label, row.figures.accepted) for row in departments] == [
        ("城管执法中队", 7),
        ("环卫所", 5),
    ]
    with pytest.raises(StatisticsFilterError):
        statistics_breakdown(actor=operator, query=query, by="weather", now=NOW)


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(StatisticsFilterError):
        statistics_query(start=datetime.date(2026, 2, 1), end=datetime.date(2026, 1, 1))


def _many(town, category, department, count, *, rating, late=0, company=None) -> None:
    for index in range(count):
        resolved(
            town.micro_a1, category, at(2, 1 + index % 20), 4, department=department,
            rating=rating, property_company=company,
            resolve_due_at=at(2, 1) if index < late else at(3, 28),
        )  # fmt: skip


def test_ranking_puts_departments_on_the_red_and_black_lists(operator, town, catalogue):
    dept_a, dept_b = catalogue["dept_a"], catalogue["dept_b"]
    _many(town, catalogue["greenery"], dept_a, 20, rating=5)
    _many(town, catalogue["garbage"], dept_b, 20, rating=4, late=8)  # 60% on time
    ranking = statistics_ranking(
        actor=operator, query=statistics_query(**PERIOD), kind="department", now=NOW
    )
    assert [(row.rank, row.name, row.listed) for row in ranking] == [
        (1, "城管执法中队", "red"),
        (2, "环卫所", "black"),
    ]
    assert ranking[0].score == pytest.approx(100.0)
    with override_settings(GRIDGOV_CASE_LIST_MIN_CASES=50):
        again = statistics_ranking(
            actor=operator, query=statistics_query(**PERIOD), kind="department", now=NOW
        )
        assert [row.listed for row in again] == ["", ""]
    with override_settings(GRIDGOV_CASE_BLACK_LIST={"on_time_resolution_rate": 0.5}):
        again = statistics_ranking(
            actor=operator, query=statistics_query(**PERIOD), kind="department", now=NOW
        )
        assert [row.listed for row in again] == ["red", ""]


def test_property_companies_are_ranked_by_their_own_cases(operator, town, catalogue):
    _many(town, catalogue["greenery"], None, 12, rating=2, company=catalogue["company"])
    ranking = statistics_ranking(
        actor=operator, query=statistics_query(**PERIOD), kind="property_company", now=NOW
    )
    assert [(row.name, row.figures.accepted, row.listed) for row in ranking] == [
        ("万科物业", 12, "black")
    ]


def test_report_holds_every_figure_and_serialises(operator, cases):
    report = statistics_report(actor=operator, query=statistics_query(**PERIOD), now=NOW)
    data = report.as_dict()
    assert data["summary"]["accepted"] == 12
    assert set(data["breakdowns"]) == {"month", "category", "channel", "cell", "department"}
    assert set(data["rankings"]) == {"department", "property_company"}
    assert data["thresholds"]["red"]["closure_rate"] == 0.95


def test_excel_export_names_the_exporter_and_is_audited(operator, cases):
    from gridgov.cases.excel import statistics_export

    before = AuditEntry.objects.filter(action="cases.statistics_export").count()
    exported = statistics_export(actor=operator, query=statistics_query(**PERIOD), now=NOW)
    assert exported.filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(exported.content))
    summary_sheet = workbook.worksheets[0]
    assert "operator" in str(summary_sheet["A1"].value)
    texts = [str(c.value) for row in summary_sheet.iter_rows() for c in row if c.value is not None]
    assert "12" in texts
    assert len(workbook.worksheets) >= 6
    entry = AuditEntry.objects.filter(action="cases.statistics_export").get()
    assert entry.changes["filters"]["start"] == "2026-01-01"
    assert AuditEntry.objects.filter(action="cases.statistics_export").count() == before + 1


def test_excel_export_is_refused_without_the_statistics_permission(town, make_member, cases):
    from django.core.exceptions import PermissionDenied

    from gridgov.cases.excel import statistics_export

    with pytest.raises(PermissionDenied):
        statistics_export(
            actor=make_member(Role.GRID_WORKER, town.grid_a), query=statistics_query(**PERIOD)
        )


# --- The counted columns (``Case.stat_code``, ``Case.stat_step``) after every step -------------


def _expected_code_and_step(case: Case) -> tuple[int, int | None]:
    """The written definitions, from the case's own fields."""
    finished = case.status in (Status.RESOLVED, Status.CLOSED)
    accepted = case.accepted_at is not None
    on_time = accepted and (case.accept_due_at is None or case.accepted_at <= case.accept_due_at)
    resolved_on_time = (
        finished
        and case.resolved_at is not None
        and (case.resolve_due_at is None or case.resolved_at <= case.resolve_due_at)
    )
    code = (
        (case.rating or 0) * STAT_RATING
        + (STAT_RESOLVED if finished else 0)
        + (STAT_ACCEPTED if accepted else 0)
        + (STAT_ACCEPTED_ON_TIME if on_time else 0)
        + (STAT_RESOLVED_ON_TIME if resolved_on_time else 0)
        + (STAT_REOPENED if case.reopen_count else 0)
        + (STAT_OPEN if case.status in OPEN_STATUSES else 0)
        + (STAT_WHISTLED if case.is_whistled else 0)
    )
    if not finished or case.resolved_at is None:
        return code, None
    seconds = (case.resolved_at - case.created_at).total_seconds()
    if seconds < 86400:
        return code, math.floor(seconds / 300)
    return code, 288 + math.floor((seconds - 86400) / 3600)


def _counted_exactly(case_id: int) -> Case:
    case = Case.objects.get(pk=case_id)
    assert (case.stat_code, case.stat_step) == _expected_code_and_step(case), case.status
    return case


def test_counted_columns_stay_exact_through_every_lifecycle_step(world: World) -> None:
    start = local(2025, 9, 22, 10, 0)
    hour = datetime.timedelta(hours=1)
    case = report(world, now=start)
    _counted_exactly(case.pk)
    case_accept(actor=world.operator, case_id=case.pk, now=start + 3 * hour)  # late
    assert _counted_exactly(case.pk).stat_code & STAT_ACCEPTED_ON_TIME == 0
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=start)
    _counted_exactly(case.pk)
    case_return(actor=world.handler, case_id=case.pk, reason="不归我们", now=start + 3 * hour)
    _counted_exactly(case.pk)
    case_dispatch(
        actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=start + 4 * hour
    )
    case_start(actor=world.handler, case_id=case.pk, now=start + 4 * hour)
    case_whistle(
        actor=world.operator, case_id=case.pk, department_ids=[world.urban.pk],
        lead_department_id=world.urban.pk, reason="多部门", now=start + 4 * hour,
    )  # fmt: skip
    assert _counted_exactly(case.pk).stat_code & STAT_WHISTLED
    # resolved 5 h 7 min after the report: step 61 (5-minute steps)
    resolve_at = start + datetime.timedelta(hours=5, minutes=7)
    case_resolve(actor=world.handler, case_id=case.pk, note="修好了", now=resolve_at)
    assert _counted_exactly(case.pk).stat_step == 61
    case_rate(actor=world.resident, case_id=case.pk, rating=1, comment="没修好", reopen=True)
    reopened = _counted_exactly(case.pk)
    assert (reopened.stat_step, reopened.stat_code & STAT_REOPENED) == (None, STAT_REOPENED)
    case_start(actor=world.handler, case_id=case.pk, now=start + 30 * hour)
    # resolved again after two days: counted in hours beyond the first day
    case_resolve(actor=world.handler, case_id=case.pk, note="换了灯", now=start + 50 * hour)
    assert _counted_exactly(case.pk).stat_step == 288 + 26
    case_reopen(actor=world.operator, case_id=case.pk, reason="又坏了", now=start + 60 * hour)
    _counted_exactly(case.pk)
    twin = report(world, now=start)
    case_merge(actor=world.operator, case_id=twin.pk, into_case_id=case.pk, now=start)
    assert _counted_exactly(twin.pk).status == Status.MERGED
    other = report(world, now=start)
    case_dispatch(actor=world.operator, case_id=other.pk, department_id=world.urban.pk, now=start)
    case_start(actor=world.handler, case_id=other.pk, now=start)
    case_resolve(actor=world.handler, case_id=other.pk, note="好了", now=start + hour)
    assert close_unrated_cases(now=start + 30 * 24 * hour, days=1) == 1  # closed unrated
    assert _counted_exactly(other.pk).status == Status.CLOSED
    case_rate(actor=world.resident, case_id=other.pk, rating=4, comment="可以")
    assert _counted_exactly(other.pk).stat_code // STAT_RATING == 4


def test_every_breakdown_row_equals_the_summary_of_its_part(operator, town, catalogue, cases):
    """Month, area, category and channel rows are counted in one pass each; each must hold the
    figures of the same cases asked for on their own (percentiles included)."""
    query = statistics_query(**PERIOD)
    for row in statistics_breakdown(actor=operator, query=query, by="month", now=NOW):
        first = datetime.date.fromisoformat(f"{row.key}-01")
        last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        month = statistics_query(start=first, end=last)
        assert row.figures == statistics_summary(actor=operator, query=month, now=NOW), row.key
    for row in statistics_breakdown(actor=operator, query=query, by="cell", now=NOW):
        assert row.figures == summary(operator, cell_code=row.key), row.key
    for row in statistics_breakdown(actor=operator, query=query, by="category", now=NOW):
        assert row.figures == summary(operator, category_id=int(row.key)), row.key
    for row in statistics_breakdown(actor=operator, query=query, by="channel", now=NOW):
        assert row.figures == summary(operator, channel=row.key), row.key
