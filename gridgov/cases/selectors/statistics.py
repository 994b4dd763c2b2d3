"""Case statistics (工单统计) for any period, area, department, category and channel.

Every figure is counted by the database in one pass over the cases the acting user may see
with ``cases.view_statistics`` (per group, per ``Case.stat_code`` and per deadline passed; see
"Counting" below); Python only adds the counts up and divides. The definitions (what counts as
accepted, resolved, on time …) are written in ``docs/cases.md``; in short:

* the period selects cases by the day they were *reported* (local time, both ends included);
* merged duplicates are left out everywhere (one matter counts once);
* **accepted** (受理): the cases reported in the period; **resolved** (办结): those of them now
  resolved or closed; **closure rate** = resolved ÷ accepted;
* **on-time acceptance**: accepted by the acceptance deadline, out of the cases accepted or past
  that deadline; **on-time resolution** likewise with the resolution deadline;
* **time to resolve**: from report to resolution (median and 90th percentile, in hours);
* **satisfaction**: mean rating and the share of ratings 4–5, out of the rated cases;
* **reopen rate**: cases reopened at least once ÷ cases resolved at least once.

Percentiles: on PostgreSQL from the histogram of ``Case.stat_step`` counted in the same pass
(5-minute steps up to a day, hours beyond; each case at the middle of its step, so within 2.5
minutes of the exact value up to a day and half an hour beyond, interpolated as
``percentile_cont`` does); elsewhere exact, from an ordered offset query (summary) or the
group's durations (breakdowns).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import (
    Case as CaseWhen,
)
from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm
from gridgov.accounts.scoping import active_memberships, scope_for
from gridgov.cases.models import (
    STAT_ACCEPTED,
    STAT_ACCEPTED_ON_TIME,
    STAT_COARSE_STEP,
    STAT_FINE_STEP,
    STAT_FINE_STEPS,
    STAT_OPEN,
    STAT_RATING,
    STAT_REOPENED,
    STAT_RESOLVED,
    STAT_RESOLVED_ON_TIME,
    STAT_WHISTLED,
    Case,
    Category,
    Channel,
    ResolveSeconds,
    Status,
)
from gridgov.cases.selectors.cases import visibility
from gridgov.cases.services.policy import ORGANISATION_ROLES
from gridgov.grids.models import Cell

BREAKDOWNS: tuple[str, ...] = ("month", "category", "channel", "cell", "department")
RANKINGS: tuple[str, ...] = ("department", "property_company")

# Red list (红榜) and black list (黑榜) thresholds; override with the settings of the same name.
DEFAULT_RED_LIST: dict[str, float] = {
    "closure_rate": 0.95,
    "on_time_resolution_rate": 0.90,
    "mean_rating": 4.5,
}
DEFAULT_BLACK_LIST: dict[str, float] = {"on_time_resolution_rate": 0.70, "mean_rating": 3.0}
# An organisation with fewer cases in the period is ranked but put on neither list.
DEFAULT_LIST_MIN_CASES = 10

RESOLVED_STATUSES: tuple[str, ...] = (Status.RESOLVED, Status.CLOSED)
_RESOLVED = Q(status__in=RESOLVED_STATUSES)
_SECONDS_PER_HOUR = 3600.0


class StatisticsFilterError(ValueError):
    """A period that ends before it starts, or an unknown breakdown."""


@dataclass(frozen=True)
class StatisticsQuery:
    """What to count: reports from ``start`` to ``end`` (local dates, inclusive), optionally
    inside the area ``cell_code`` (its whole subtree), for one department, one category (with
    its subcategories) and one channel."""

    start: datetime.date
    end: datetime.date
    cell_code: str = ""
    department_id: int | None = None
    category_id: int | None = None
    channel: str = ""

    def as_filters(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "cell_code": self.cell_code,
            "department_id": self.department_id,
            "category_id": self.category_id,
            "channel": self.channel,
        }


def statistics_query(
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    cell_code: str = "",
    department_id: int | None = None,
    category_id: int | None = None,
    channel: str = "",
    today: datetime.date | None = None,
) -> StatisticsQuery:
    """A query with defaults: the last twelve months up to today."""
    today = today or timezone.localdate()
    end = end or today
    start = start or (end.replace(day=1) - datetime.timedelta(days=335)).replace(day=1)
    if end < start:
        raise StatisticsFilterError(_("The period ends before it starts."))
    if channel and channel not in Channel.values:
        raise StatisticsFilterError(_("Unknown channel."))
    return StatisticsQuery(
        start=start,
        end=end,
        cell_code=cell_code or "",
        department_id=department_id,
        category_id=category_id,
        channel=channel or "",
    )


@dataclass(frozen=True)
class Figures:
    accepted: int = 0
    resolved: int = 0
    closure_rate: float | None = None
    acceptance_due: int = 0
    accepted_on_time: int = 0
    on_time_acceptance_rate: float | None = None
    resolution_due: int = 0
    resolved_on_time: int = 0
    on_time_resolution_rate: float | None = None
    median_hours: float | None = None
    p90_hours: float | None = None
    rated: int = 0
    mean_rating: float | None = None
    satisfied: int = 0
    satisfied_share: float | None = None
    reopened: int = 0
    reopen_base: int = 0
    reopen_rate: float | None = None
    open: int = 0
    overdue_open: int = 0
    whistled: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    figures: Figures

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, **self.figures.as_dict()}


@dataclass(frozen=True)
class RankingRow:
    rank: int
    organization_id: int
    name: str
    figures: Figures
    score: float | None
    listed: str  # "red", "black" or ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "organization_id": self.organization_id,
            "name": self.name,
            "score": self.score,
            "listed": self.listed,
            **self.figures.as_dict(),
        }


@dataclass(frozen=True)
class StatisticsReport:
    query: StatisticsQuery
    summary: Figures
    breakdowns: dict[str, list[Row]] = field(default_factory=dict)
    rankings: dict[str, list[RankingRow]] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filters": self.query.as_filters(),
            "summary": self.summary.as_dict(),
            "breakdowns": {k: [row.as_dict() for row in v] for k, v in self.breakdowns.items()},
            "rankings": {k: [row.as_dict() for row in v] for k, v in self.rankings.items()},
            "thresholds": self.thresholds,
        }


# --- Scope and filters ---------------------------------------------------------------------


def _area_cell_ids(codes: Iterable[str]) -> list[int]:
    """Ids of the cells under any of ``codes`` (a few thousand at most)."""
    condition = Q()
    for code in codes:
        condition |= Q(code__startswith=code)
    return list(Cell.objects.filter(condition).values_list("id", flat=True))


def _scoped_cases(actor: Any) -> QuerySet[Case]:
    """The cases the actor sees with the statistics permission: the rule of
    ``cases.selectors.cases.visibility``. For area roles it is applied with the ids of the
    cells in the area (no join with the areas for every case; nothing at all when the area
    holds every cell), so that the aggregates read the cases table alone."""
    scope = scope_for(actor, Perm.CASE_STATISTICS)
    if scope.is_empty:
        return Case.objects.none()
    if scope.is_global:
        return Case.objects.all()
    roles = {
        role
        for role, _code, _organization in active_memberships(actor)
        if Perm.CASE_STATISTICS in ROLE_PERMISSIONS.get(role, frozenset())
    }
    if roles & ORGANISATION_ROLES:
        condition = visibility(actor, Perm.CASE_STATISTICS)
        return Case.objects.all() if condition is None else Case.objects.filter(condition)
    inside = set(_area_cell_ids(scope.cell_codes))
    outside = set(Cell.objects.values_list("id", flat=True)) - inside
    if not outside:
        return Case.objects.all()
    if len(outside) < len(inside):  # a large area: test the few cells outside it instead
        if not Case.objects.filter(cell_id__in=outside, handling_cell_id__in=outside).exists():
            # No case is both filed and handled outside it (one probe of the cell index): the
            # rule below holds for every case, so nothing is tested per case.
            return Case.objects.all()
        area = ~Q(cell_id__in=sorted(outside)) | ~Q(handling_cell_id__in=sorted(outside))
    else:
        area = Q(cell_id__in=sorted(inside)) | Q(handling_cell_id__in=sorted(inside))
    return Case.objects.filter(area | Q(reporter_id=actor.pk) | Q(assignee_id=actor.pk))


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def statistics_cases(*, actor: Any, query: StatisticsQuery) -> QuerySet[Case]:
    """The cases the figures are computed over: in scope, reported in the period, matching the
    filters, merged duplicates left out. Unordered (aggregates need no order)."""
    cases = (
        _scoped_cases(actor)
        .exclude(status=Status.MERGED)
        .filter(
            created_at__gte=_local_midnight(query.start),
            created_at__lt=_local_midnight(query.end + datetime.timedelta(days=1)),
        )
    )
    if query.cell_code:
        cases = cases.filter(cell_id__in=_area_cell_ids([query.cell_code]))
    if query.department_id:
        cases = cases.filter(department_id=query.department_id)
    if query.category_id:
        chosen = Q(pk=query.category_id) | Q(parent_id=query.category_id)
        cases = cases.filter(
            category_id__in=list(Category.objects.filter(chosen).values_list("id", flat=True))
        )
    if query.channel:
        cases = cases.filter(channel=query.channel)
    return cases.order_by()


# --- Counting ------------------------------------------------------------------------------
#
# Every figure is one pass over the cases of the query: the cases are counted per group and per
# ``Case.stat_code`` (what is known of a case once it is written, packed by the database into
# one small integer on every write) and per ``passed`` (which deadlines have passed by ``now``,
# the only part that depends on the time of asking). Python then adds the counts up into the
# figures. On PostgreSQL the same pass also counts the resolved cases per step of the time to
# resolve (``GROUPING SETS``), and everything it reads is in the index
# ``cases_case_statistics`` (an index-only scan, no row of the wide table is read).

COUNTERS: tuple[str, ...] = (
    "accepted",
    "resolved",
    "acceptance_due",
    "accepted_on_time",
    "resolution_due",
    "resolved_on_time",
    "rated",
    "rating_sum",
    "satisfied",
    "reopened",
    "reopen_base",
    "open",
    "overdue_open",
    "whistled",
)
_ACCEPT_PASSED, _RESOLVE_PASSED = 1, 2


def _duration() -> ResolveSeconds:
    return ResolveSeconds()


def _passed(now: datetime.datetime) -> Any:
    """1 if the case is not accepted and its acceptance deadline is before ``now``, plus 2 if it
    is not resolved and its resolution deadline is before ``now``."""
    not_accepted = Exact(F("stat_code").bitand(STAT_ACCEPTED), 0)
    not_resolved = Exact(F("stat_code").bitand(STAT_RESOLVED), 0)
    return CaseWhen(
        When(Q(not_accepted, accept_due_at__lt=now), then=Value(_ACCEPT_PASSED)),
        default=Value(0),
    ) + CaseWhen(
        When(Q(not_resolved, resolve_due_at__lt=now), then=Value(_RESOLVE_PASSED)),
        default=Value(0),
    )


def _count_into(totals: dict[str, int], code: int, passed: int, count: int) -> None:
    """Adds ``count`` cases of one ``stat_code`` and ``passed`` to the counters (the written
    definitions, bit by bit)."""
    resolved = bool(code & STAT_RESOLVED)
    is_open = bool(code & STAT_OPEN)
    rating = code // STAT_RATING
    reopened = bool(code & STAT_REOPENED)
    values = {
        "accepted": count,
        "resolved": count if resolved else 0,
        "acceptance_due": count if code & STAT_ACCEPTED or passed & _ACCEPT_PASSED else 0,
        "accepted_on_time": count if code & STAT_ACCEPTED_ON_TIME else 0,
        "resolution_due": count if resolved or passed & _RESOLVE_PASSED else 0,
        "resolved_on_time": count if code & STAT_RESOLVED_ON_TIME else 0,
        "rated": count if rating else 0,
        "rating_sum": count * rating,
        "satisfied": count if rating >= 4 else 0,
        "reopened": count if reopened else 0,
        "reopen_base": count if resolved or reopened else 0,
        "open": count if is_open else 0,
        "overdue_open": count if is_open and passed & _RESOLVE_PASSED else 0,
        "whistled": count if code & STAT_WHISTLED else 0,
    }
    for name, value in values.items():
        totals[name] = totals.get(name, 0) + value


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(seconds: Any) -> float | None:
    if seconds is None:
        return None
    return round(float(seconds) / _SECONDS_PER_HOUR, 2)


def _figures(values: Mapping[str, Any], median: Any = None, p90: Any = None) -> Figures:
    accepted, resolved = int(values["accepted"]), int(values["resolved"])
    rated = int(values["rated"])
    return Figures(
        accepted=accepted,
        resolved=resolved,
        closure_rate=_rate(resolved, accepted),
        acceptance_due=int(values["acceptance_due"]),
        accepted_on_time=int(values["accepted_on_time"]),
        on_time_acceptance_rate=_rate(values["accepted_on_time"], values["acceptance_due"]),
        resolution_due=int(values["resolution_due"]),
        resolved_on_time=int(values["resolved_on_time"]),
        on_time_resolution_rate=_rate(values["resolved_on_time"], values["resolution_due"]),
        median_hours=_hours(median),
        p90_hours=_hours(p90),
        rated=rated,
        mean_rating=round(int(values["rating_sum"]) / rated, 2) if rated else None,
        satisfied=int(values["satisfied"]),
        satisfied_share=_rate(values["satisfied"], rated),
        reopened=int(values["reopened"]),
        reopen_base=int(values["reopen_base"]),
        reopen_rate=_rate(values["reopened"], values["reopen_base"]),
        open=int(values["open"]),
        overdue_open=int(values["overdue_open"]),
        whistled=int(values["whistled"]),
    )


def _counts_histogram() -> bool:
    """Percentiles from a histogram counted by the database in the same pass (PostgreSQL, over
    millions of cases) rather than from the ordered times (others)."""
    return connection.vendor == "postgresql"


# Resolution times are counted in 5-minute steps up to a day, then in hours (``stat_step``).
FINE_STEP, FINE_STEPS, COARSE_STEP = STAT_FINE_STEP, STAT_FINE_STEPS, STAT_COARSE_STEP


def _step_middle(step: int) -> float:
    if step < FINE_STEPS:
        return (step + 0.5) * FINE_STEP
    return FINE_STEP * FINE_STEPS + (step - FINE_STEPS + 0.5) * COARSE_STEP


def _histogram_rank(steps: list[tuple[int, int]], rank: int) -> float:
    seen = 0
    for step, count in steps:
        seen += count
        if rank < seen:
            return _step_middle(step)
    return _step_middle(steps[-1][0])


def _histogram_value(steps: list[tuple[int, int]], fraction: float) -> float | None:
    total = sum(count for _step, count in steps)
    if not total:
        return None
    position = fraction * (total - 1)
    low = math.floor(position)
    first = _histogram_rank(steps, low)
    second = _histogram_rank(steps, min(low + 1, total - 1))
    return first + (second - first) * (position - low)


def _ordered_offset_percentile(durations: QuerySet[Any, Any], count: int, fraction: float) -> Any:
    """The continuous percentile from at most two rows fetched by offset (any database)."""
    if not count:
        return None
    position = fraction * (count - 1)
    low = math.floor(position)
    values = list(durations[low : low + 2])
    if not values:
        return None
    if len(values) == 1 or position == low:
        return values[0]
    weight = position - low
    return values[0] + (values[1] - values[0]) * weight


def _summary_percentiles(cases: QuerySet[Case]) -> tuple[Any, Any]:
    done = cases.filter(_RESOLVED, resolved_at__isnull=False)
    durations = (
        done.annotate(duration=_duration()).order_by("duration").values_list("duration", flat=True)
    )
    count = done.count()
    return (
        _ordered_offset_percentile(durations, count, 0.5),
        _ordered_offset_percentile(durations, count, 0.9),
    )


@contextmanager
def _aggregate_settings() -> Iterator[None]:
    """On PostgreSQL, for this transaction: hash the groups rather than sort a million rows
    (the planner cannot tell how few codes and steps there are, so it is allowed the memory it
    would expect that to take; the groups actually take little); read the statistics index
    alone rather than the table: in order (a random page costs little more than a sequential
    one) and never through another index into the table's rows (a filter on a department or a
    company would otherwise fetch tens of thousands of scattered rows, seconds when they are
    not cached); no JIT compilation (it costs more than it saves on these one-pass counts)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL jit = off")
        yield


_Raw = tuple[dict[Any, dict[str, int]], dict[Any, list[tuple[int, int]]]]


def _tally(cases: QuerySet[Case], key: Any, now: datetime.datetime, *, steps: bool) -> _Raw:
    """The counters per group and, with ``steps`` (PostgreSQL), per group the number of cases
    resolved in each step of the time to resolve: the histogram. One pass over the cases."""
    totals: dict[Any, dict[str, int]] = {}
    histogram: dict[Any, list[tuple[int, int]]] = {}
    counted = cases.annotate(_g=key, _c=F("stat_code"), _p=_passed(now))
    if not steps:
        rows = counted.values_list("_g", "_c", "_p").annotate(_n=Count("*")).order_by()
        for group, code, passed, count in rows:
            _count_into(totals.setdefault(group, {}), int(code), int(passed), int(count))
        return totals, histogram
    try:
        inner, params = (
            counted.annotate(_s=F("stat_step"))
            .values("_g", "_c", "_p", "_s")
            .query.sql_with_params()
        )
    except EmptyResultSet:  # nothing in scope
        return totals, histogram
    sql = (
        "SELECT t._g, t._c, t._p, t._s, GROUPING(t._c), COUNT(*) "  # noqa: S608 - Django's own SQL
        f"FROM ({inner}) AS t GROUP BY GROUPING SETS ((t._g, t._c, t._p), (t._g, t._s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, code, passed, step, by_step, count in cursor.fetchall():
            if not by_step:
                _count_into(totals.setdefault(group, {}), int(code), int(passed), int(count))
            elif step is not None:
                histogram.setdefault(group, []).append((int(step), int(count)))
    return totals, histogram


def _merged(raw: _Raw, owner: Callable[[Any], Any]) -> _Raw:
    """Groups summed into their owners (categories into their groups, cells into areas)."""
    totals: dict[Any, dict[str, int]] = {}
    steps: dict[Any, list[tuple[int, int]]] = {}
    for group, values in raw[0].items():
        bucket = totals.setdefault(owner(group), {})
        for name, value in values.items():
            bucket[name] = bucket.get(name, 0) + value
    for group, counted in raw[1].items():
        steps.setdefault(owner(group), []).extend(counted)
    return totals, steps


def _python_percentiles(
    cases: QuerySet[Case], key: Any, owner: Callable[[Any], Any]
) -> dict[Any, tuple[float | None, float | None]]:
    """Median and 90th percentile per group from the exact durations (databases without the
    histogram; demo-sized data)."""
    rows = (
        cases.filter(_RESOLVED, resolved_at__isnull=False)
        .annotate(group=key, duration=_duration())
        .values_list("group", "duration")
        .order_by()
    )
    grouped: dict[Any, list[Any]] = {}
    for group, duration in rows.iterator(chunk_size=5000):
        if duration is not None:
            grouped.setdefault(owner(group), []).append(duration)
    result = {}
    for group, durations in grouped.items():
        durations.sort()
        result[group] = (_list_percentile(durations, 0.5), _list_percentile(durations, 0.9))
    return result


def _list_percentile(values: list[Any], fraction: float) -> Any:
    position = fraction * (len(values) - 1)
    low = math.floor(position)
    if low + 1 >= len(values) or position == low:
        return values[low]
    return values[low] + (values[low + 1] - values[low]) * (position - low)


def _same(group: Any) -> Any:
    return group


def _grouped(
    cases: QuerySet[Case],
    key: Any,
    now: datetime.datetime,
    *,
    percentiles: bool = True,
    owner: Callable[[Any], Any] = _same,
) -> dict[Any, Figures]:
    """Figures per group (``owner`` maps the counted key to the group it belongs to);
    percentiles from the histogram within half a step (2.5 minutes up to a day, half an hour
    beyond; PostgreSQL), interpolated the way ``percentile_cont`` does, or exact (others)."""
    histogram = percentiles and _counts_histogram()
    totals, steps = _merged(_tally(cases, key, now, steps=histogram), owner)
    exact: dict[Any, tuple[float | None, float | None]] = {}
    if percentiles and not histogram:
        exact = _python_percentiles(cases, key, owner)
    result = {}
    for group, values in totals.items():
        if histogram:
            merged: dict[int, int] = {}
            for step, count in steps.get(group, []):
                merged[step] = merged.get(step, 0) + count
            ordered = sorted(merged.items())
            median = _histogram_value(ordered, 0.5) if ordered else None
            p90 = _histogram_value(ordered, 0.9) if ordered else None
        else:
            median, p90 = exact.get(group, (None, None))
        result[group] = _figures(values, median, p90)
    return result


def statistics_summary(
    *, actor: Any, query: StatisticsQuery, now: datetime.datetime | None = None
) -> Figures:
    """The headline figures for the query."""
    now = now or timezone.now()
    cases = statistics_cases(actor=actor, query=query)
    with _aggregate_settings():
        if _counts_histogram():
            return _grouped(cases, Value(0), now).get(0, Figures())
        totals, _steps = _tally(cases, Value(0), now, steps=False)
        median, p90 = _summary_percentiles(cases)
        return _figures(totals.get(0) or dict.fromkeys(COUNTERS, 0), median, p90)


# --- Breakdowns ----------------------------------------------------------------------------


class _Lookup(Func):
    """``table[column]`` on PostgreSQL: the 1-based position of a small integer (a cell id) in
    an integer array passed as a parameter; NULL beyond its end. The per-row work of a join,
    without the join."""

    output_field = IntegerField()

    def __init__(self, column: str, table: list[int]) -> None:
        super().__init__(F(column))
        self.table = table

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        return f"(%s::integer[])[{column}]", [self.table, *params]


class _Bucket(Func):
    """``width_bucket(created_at, bounds)`` on PostgreSQL: how many of the ascending ``bounds``
    (the local starts of the second, third … month) lie at or before the report."""

    output_field = IntegerField()

    def __init__(self, bounds: list[datetime.datetime]) -> None:
        super().__init__(F("created_at"))
        self.bounds = bounds

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        column, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({column}, %s::timestamptz[])", [*params, self.bounds]


def _months(query: StatisticsQuery) -> list[datetime.date]:
    months = []
    month = query.start.replace(day=1)
    while month <= query.end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_rows(cases: QuerySet[Case], query: StatisticsQuery, now: datetime.datetime) -> list[Row]:
    """By the local month of the report: the database compares timestamps with the local month
    starts only (no per-row time-zone conversion)."""
    months = _months(query)
    keys = [month.strftime("%Y-%m") for month in months]
    starts = [_local_midnight(month) for month in months[1:]]
    if connection.vendor == "postgresql":
        key: Any = _Bucket(starts) if starts else Value(0)
        grouped = _grouped(cases, key, now, owner=lambda index: keys[index])
    else:
        branches = [
            When(created_at__lt=start, then=Value(index)) for index, start in enumerate(starts)
        ]
        key = CaseWhen(*branches, default=Value(len(starts))) if branches else Value(0)
        grouped = _grouped(cases, key, now, owner=lambda index: keys[index])
    return [Row(key=key, label=key, figures=grouped.get(key, Figures())) for key in keys]


def _category_rows(
    cases: QuerySet[Case], query: StatisticsQuery, now: datetime.datetime
) -> list[Row]:
    """By top-level category; inside one chosen top-level category, by its subcategories.
    Counted per category, then summed into the groups."""
    chosen = Category.objects.filter(pk=query.category_id).first() if query.category_id else None
    parents = dict(Category.objects.values_list("id", "parent_id"))
    if chosen is not None and chosen.parent_id is None:
        grouped = _grouped(cases, F("category_id"), now)
    else:
        grouped = _grouped(cases, F("category_id"), now, owner=lambda pk: parents.get(pk) or pk)
    names = dict(Category.objects.filter(pk__in=list(grouped)).values_list("id", "name"))
    order = dict(Category.objects.filter(pk__in=list(grouped)).values_list("id", "sort_order"))
    return [
        Row(key=str(pk), label=names.get(pk, str(pk)), figures=figures)
        for pk, figures in sorted(
            grouped.items(), key=lambda item: (order.get(item[0], 0), item[0])
        )
    ]


def _channel_rows(cases: QuerySet[Case], now: datetime.datetime) -> list[Row]:
    grouped = _grouped(cases, F("channel"), now)
    return [
        Row(key=value, label=str(label), figures=grouped[value])
        for value, label in Channel.choices
        if value in grouped
    ]


# Cell ids up to this are mapped to their areas with an array (``_Lookup``); beyond, by CASE.
LOOKUP_MAX_ID = 1_000_000


def _cell_rows(
    actor: Any, cases: QuerySet[Case], query: StatisticsQuery, now: datetime.datetime
) -> list[Row]:
    """By the children of the chosen area (or of the outermost area in the actor's scope); the
    cases of cells under no child count for the parent itself."""
    parent = _breakdown_parent(actor, query)
    if parent is None:
        return []
    children = list(Cell.objects.filter(parent=parent).order_by("sort_order", "code"))
    if not children:
        return []
    codes = [child.code for child in children] + [parent.code]
    members: list[list[int]] = [[] for _child in children]
    under = Q()
    for child in children:
        under |= Q(code__startswith=child.code)
    for pk, code in Cell.objects.filter(under).values_list("id", "code"):
        for index, child in enumerate(children):
            if code.startswith(child.code):
                members[index].append(pk)
                break
    top = max((pk for ids in members for pk in ids), default=0)
    if connection.vendor == "postgresql" and top <= LOOKUP_MAX_ID:
        table = [0] * top  # position = cell id; 1 + the child's index, 0 for none
        for index, ids in enumerate(members):
            for pk in ids:
                table[pk - 1] = index + 1
        key: Any = _Lookup("cell_id", table)
        grouped = _grouped(cases, key, now, owner=lambda index: codes[(index or 0) - 1])
    else:
        branches = [
            When(cell_id__in=ids, then=Value(index)) for index, ids in enumerate(members) if ids
        ]
        key = CaseWhen(*branches, default=Value(len(children)))
        grouped = _grouped(cases, key, now, owner=lambda index: codes[index])
    rows = [
        Row(key=child.code, label=child.name, figures=grouped[child.code])
        for child in children
        if child.code in grouped
    ]
    if parent.code in grouped:
        rows.append(Row(key=parent.code, label=parent.name, figures=grouped[parent.code]))
    return rows


def _breakdown_parent(actor: Any, query: StatisticsQuery) -> Cell | None:
    if query.cell_code:
        return Cell.objects.filter(code=query.cell_code).first()
    scope = scope_for(actor, Perm.CASE_STATISTICS)
    if scope.is_global:
        return Cell.objects.filter(parent__isnull=True).order_by("sort_order", "code").first()
    if len(scope.cell_codes) == 1:
        return Cell.objects.filter(code=scope.cell_codes[0]).first()
    return None


def _organization_rows(
    cases: QuerySet[Case], field_name: str, now: datetime.datetime, *, percentiles: bool = True
) -> list[tuple[int, str, Figures]]:
    grouped = _grouped(
        cases.filter(**{f"{field_name}__isnull": False}),
        F(field_name),
        now,
        percentiles=percentiles,
    )
    names = dict(Organization.objects.filter(pk__in=list(grouped)).values_list("id", "name"))
    return [(pk, names.get(pk, str(pk)), figures) for pk, figures in grouped.items()]


def _department_rows(cases: QuerySet[Case], now: datetime.datetime) -> list[Row]:
    rows = _organization_rows(cases, "department_id", now)
    return [
        Row(key=str(pk), label=name, figures=figures)
        for pk, name, figures in sorted(rows, key=lambda item: (-item[2].accepted, item[1]))
    ]


def statistics_breakdown(
    *, actor: Any, query: StatisticsQuery, by: str, now: datetime.datetime | None = None
) -> list[Row]:
    """The figures per month, category, channel, child area or department."""
    if by not in BREAKDOWNS:
        raise StatisticsFilterError(by)
    now = now or timezone.now()
    cases = statistics_cases(actor=actor, query=query)
    with _aggregate_settings():
        if by == "month":
            return _month_rows(cases, query, now)
        if by == "category":
            return _category_rows(cases, query, now)
        if by == "channel":
            return _channel_rows(cases, now)
        if by == "cell":
            return _cell_rows(actor, cases, query, now)
        return _department_rows(cases, now)


# --- Rankings, red and black lists ---------------------------------------------------------


def list_thresholds() -> dict[str, Any]:
    """The red/black list thresholds in force (settings over defaults)."""
    return {
        "red": {**DEFAULT_RED_LIST, **getattr(settings, "GRIDGOV_CASE_RED_LIST", {})},
        "black": {**DEFAULT_BLACK_LIST, **getattr(settings, "GRIDGOV_CASE_BLACK_LIST", {})},
        "min_cases": int(getattr(settings, "GRIDGOV_CASE_LIST_MIN_CASES", DEFAULT_LIST_MIN_CASES)),
    }


def _score(figures: Figures) -> float | None:
    """40% on-time resolution, 30% closure, 30% satisfaction (mean rating ÷ 5); missing parts
    count as their weight's share of the others."""
    parts = [
        (0.4, figures.on_time_resolution_rate),
        (0.3, figures.closure_rate),
        (0.3, figures.mean_rating / 5 if figures.mean_rating is not None else None),
    ]
    known = [(weight, value) for weight, value in parts if value is not None]
    if not known:
        return None
    total = sum(weight for weight, _value in known)
    return round(100 * sum(weight * value for weight, value in known) / total, 1)


def _listed(figures: Figures, thresholds: Mapping[str, Any]) -> str:
    if figures.accepted < thresholds["min_cases"]:
        return ""
    black = thresholds["black"]
    on_time, rating = figures.on_time_resolution_rate, figures.mean_rating
    if (on_time is not None and on_time < black["on_time_resolution_rate"]) or (
        rating is not None and rating < black["mean_rating"]
    ):
        return "black"
    red = thresholds["red"]
    if (
        figures.closure_rate is not None
        and figures.closure_rate >= red["closure_rate"]
        and on_time is not None
        and on_time >= red["on_time_resolution_rate"]
        and rating is not None
        and rating >= red["mean_rating"]
    ):
        return "red"
    return ""


def statistics_ranking(
    *,
    actor: Any,
    query: StatisticsQuery,
    kind: str = "department",
    now: datetime.datetime | None = None,
) -> list[RankingRow]:
    """Departments or property companies by score, best first, with their red/black listing."""
    if kind not in RANKINGS:
        raise StatisticsFilterError(kind)
    now = now or timezone.now()
    cases = statistics_cases(actor=actor, query=query)
    field_name = "department_id" if kind == "department" else "property_company_id"
    thresholds = list_thresholds()
    with _aggregate_settings():
        organisations = _organization_rows(cases, field_name, now, percentiles=False)
    scored = [(pk, name, figures, _score(figures)) for pk, name, figures in organisations]
    scored.sort(key=lambda item: (item[3] is None, -(item[3] or 0), -item[2].accepted, item[1]))
    return [
        RankingRow(
            rank=index,
            organization_id=pk,
            name=name,
            figures=figures,
            score=score,
            listed=_listed(figures, thresholds),
        )
        for index, (pk, name, figures, score) in enumerate(scored, start=1)
    ]


def statistics_report(
    *,
    actor: Any,
    query: StatisticsQuery,
    now: datetime.datetime | None = None,
    breakdowns: Iterable[str] = BREAKDOWNS,
    rankings: Iterable[str] = RANKINGS,
) -> StatisticsReport:
    """Everything the statistics page shows, in one object."""
    now = now or timezone.now()
    return StatisticsReport(
        query=query,
        summary=statistics_summary(actor=actor, query=query, now=now),
        breakdowns={
            by: statistics_breakdown(actor=actor, query=query, by=by, now=now) for by in breakdowns
        },
        rankings={
            kind: statistics_ranking(actor=actor, query=query, kind=kind, now=now)
            for kind in rankings
        },
        thresholds=list_thresholds(),
    )


def statistics_filter_choices(*, actor: Any) -> dict[str, list[tuple[Any, str]]]:
    """Choices for the filter form: areas in scope (town down to grid), departments,
    categories (groups and subcategories) and channels."""
    scope = scope_for(actor, Perm.CASE_STATISTICS)
    cells = scope.filter(Cell.objects.filter(depth__lte=2), code_field="code").order_by("code")
    categories = Category.objects.select_related("parent").order_by(
        Coalesce("parent__sort_order", "sort_order"), Coalesce("parent_id", "id"), "parent_id"
    )
    return {
        "cells": [(cell.code, cell.name) for cell in cells.only("code", "name")],
        "departments": list(
            Organization.objects.filter(kind=Organization.Kind.DEPARTMENT)
            .order_by("name")
            .values_list("id", "name")
        ),
        "categories": [
            (c.pk, f"{c.parent.name} › {c.name}" if c.parent else c.name) for c in categories
        ],
        "channels": [(value, str(label)) for value, label in Channel.choices],
    }
