"""Case outcomes per estate for the property-service score (``selectors.property_outcomes``)."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.cases.models import Case, Category, Channel, Status
from gridgov.cases.selectors.property_outcomes import (
    EstateCaseOutcome,
    property_outcomes_by_estate,
)
from gridgov.registry.tests.factories import EstateFactory

_numbers = itertools.count(1)


def at(day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(2026, 4, day, hour))


def add_case(
    estate, *, status=Status.NEW, day=5, hour=10, due=None, resolved=None, rating=None
) -> Case:
    category, _ = Category.objects.get_or_create(code="property-cleaning", name="保洁")
    return Case.objects.create(
        number=f"T{next(_numbers):06d}",
        channel=Channel.RESIDENT,
        status=status,
        category=category,
        title="楼道脏",
        description="楼道脏",
        cell=estate.cell,
        handling_cell=estate.cell,
        estate=estate,
        created_at=at(day, hour),
        resolve_due_at=due,
        resolved_at=resolved,
        rating=rating,
    )


@pytest.fixture
def estates(town):
    return EstateFactory(cell=town.grid_a), EstateFactory(cell=town.grid_b)


def test_outcomes_count_each_estates_cases_of_the_period(town, estates, make_member):
    estate_a, estate_b = estates
    staff = make_member(Role.COMMUNITY_STAFF, town.town)
    add_case(estate_a, status=Status.CLOSED, due=at(8), resolved=at(7), rating=5)
    add_case(estate_a, status=Status.RESOLVED, due=at(8), resolved=at(9), rating=3)
    add_case(estate_a, status=Status.IN_PROGRESS, due=at(10))  # overdue at "now"
    add_case(estate_a, status=Status.IN_PROGRESS, due=at(29))  # not due yet
    add_case(estate_a, status=Status.MERGED)  # a duplicate: never counted
    add_case(estate_a, day=1, hour=0)  # first minute of the period, local time
    add_case(estate_b, status=Status.CLOSED, resolved=at(6), rating=4)
    add_case(estate_b, day=30, hour=23)  # last day of the period
    outside = add_case(estate_b)
    Case.objects.filter(pk=outside.pk).update(created_at=at(5) - datetime.timedelta(days=10))

    outcomes = property_outcomes_by_estate(
        actor=staff,
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 4, 30),
        estate_ids=[estate_a.pk, estate_b.pk],
        now=at(20),
    )

    assert outcomes[estate_a.pk] == EstateCaseOutcome(
        estate_id=estate_a.pk, reported=5, resolved=2, due=3, on_time=1, rated=2, satisfied=1
    )
    assert outcomes[estate_b.pk] == EstateCaseOutcome(
        estate_id=estate_b.pk, reported=2, resolved=1, due=1, on_time=1, rated=1, satisfied=1
    )


def test_outcomes_leave_out_the_cases_outside_the_actors_statistics_area(
    town, estates, make_member
):
    estate_a, estate_b = estates
    staff_a = make_member(Role.COMMUNITY_STAFF, town.community_a)
    add_case(estate_a)
    add_case(estate_b)
    outcomes = property_outcomes_by_estate(
        actor=staff_a,
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 4, 30),
        estate_ids=[estate_a.pk, estate_b.pk],
    )
    assert (outcomes[estate_a.pk].reported, outcomes[estate_b.pk].reported) == (1, 0)


def test_outcomes_for_an_actor_without_statistics_are_all_zero(town, estates, make_member):
    estate_a, _estate_b = estates
    resident = make_member(Role.RESIDENT, town.grid_a)
    add_case(estate_a)
    outcomes = property_outcomes_by_estate(
        actor=resident,
        start=datetime.date(2026, 4, 1),
        end=datetime.date(2026, 4, 30),
        estate_ids=[estate_a.pk],
    )
    assert outcomes == {estate_a.pk: EstateCaseOutcome(estate_id=estate_a.pk)}
