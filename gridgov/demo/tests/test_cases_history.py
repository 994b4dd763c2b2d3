"""The demo town's year of cases: every channel and category, and rows the services would write."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter, defaultdict

import pytest
from django.utils import timezone

from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent, Category, Channel, Status, Whistle
from gridgov.cases.services.deadlines import deadlines_for
from gridgov.core.workdays import add_working_days
from gridgov.demo.cases_history import CASES_PER_PROFILE, WorkingCalendar
from gridgov.demo.services import demo_town_generate
from gridgov.registry.models import Estate


@pytest.fixture
def town_with_cases(db):
    return demo_town_generate(profile="small", seed=5)


def test_a_year_of_cases_over_every_channel_and_most_categories(town_with_cases):
    assert town_with_cases.counts["cases"] == CASES_PER_PROFILE["small"] == Case.objects.count()
    assert set(Case.objects.values_list("channel", flat=True)) == set(Channel.values)
    leaves = Category.objects.filter(children__isnull=True).count()
    assert Case.objects.values("category").distinct().count() >= leaves - 3
    today = timezone.localdate()
    first = timezone.localtime(Case.objects.order_by("created_at").first().created_at).date()
    assert (today - first).days > 330
    assert not Case.objects.filter(created_at__date__gte=today).exists()
    # every case lands in a department's or property company's queue
    assert not Case.objects.filter(department__isnull=True, property_company__isnull=True).exists()
    assert Estate.objects.filter(property_company__isnull=False).exists()
    assert Case.objects.filter(property_company__isnull=False).exists()


def test_the_town_is_alive_with_a_few_late_whistled_reopened_and_open_cases(town_with_cases):
    total = Case.objects.count()
    late = Case.objects.filter(resolved_late=True).count()
    assert 0.003 * total <= late <= 0.05 * total
    assert Case.objects.filter(is_whistled=True).exists()
    assert Whistle.objects.filter(summonses__reported_at__isnull=False).exists()
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert Case.objects.filter(status__in=OPEN_STATUSES).exists()
    ratings = Counter(Case.objects.exclude(rating=None).values_list("rating", flat=True))
    assert (ratings[4] + ratings[5]) / sum(ratings.values()) > 0.75


def test_every_row_is_what_the_services_would_have_written(town_with_cases):
    events = defaultdict(list)
    for event in CaseEvent.objects.order_by("at", "id"):
        events[event.case_id].append(event)
    numbers = set()
    for case in Case.objects.select_related("category"):
        timeline = events[case.pk]
        assert timeline[0].action == CaseEvent.Action.CREATED
        moves = [e for e in timeline if e.to_status]
        assert moves[-1].to_status == case.status
        pairs = list(itertools.pairwise(moves))
        assert all(a.to_status == b.from_status for a, b in pairs), [
            (e.action, e.at, e.to_status) for e in timeline
        ]
        assert len(moves) - 1 + case.escalation_count == case.version
        assert case.number[:8] == f"{timezone.localtime(case.created_at):%Y%m%d}"
        numbers.add(case.number)
        if case.reopen_count == 0:
            assert (case.accept_due_at, case.resolve_due_at) == deadlines_for(
                case.category, case.created_at
            )
        if case.accepted_at:
            assert case.accepted_late == (case.accepted_at > case.accept_due_at)
        if case.resolved_at:
            assert case.resolved_late == (case.resolved_at > case.resolve_due_at)
        assert (case.closed_at is not None) == (case.status == Status.CLOSED)
        if case.status in OPEN_STATUSES and case.status != Status.SUSPENDED:
            due = case.accept_due_at if case.accepted_at is None else case.resolve_due_at
            assert case.is_overdue == (due < timezone.now())
    assert len(numbers) == Case.objects.count()


def test_the_calendar_read_once_agrees_with_the_working_day_rule(db):
    calendar = WorkingCalendar(datetime.date(2025, 9, 1), datetime.date(2025, 12, 31))
    tz = timezone.get_current_timezone()
    starts = [
        datetime.datetime(2025, 9, 26, 15, 30, tzinfo=tz),  # Friday before the make-up Sunday
        datetime.datetime(2025, 9, 28, 10, 0, tzinfo=tz),  # make-up working Sunday
        datetime.datetime(2025, 9, 30, 16, 0, tzinfo=tz),
        datetime.datetime(2025, 10, 3, 11, 0, tzinfo=tz),  # National Day holiday
        datetime.datetime(2025, 10, 11, 9, 0, tzinfo=tz),  # make-up working Saturday
    ]
    for start in starts:
        for days in (1, 3, 5, 10):
            assert calendar.add(start, days) == add_working_days(start, days), (start, days)
