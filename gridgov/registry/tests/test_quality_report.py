"""Data quality (人口信息准确率): figures per cell rolled up the tree, worst first, scoped."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.grids.models import LevelKind
from gridgov.registry.models import Person, Residency
from gridgov.registry.selectors.quality import (
    ISSUE_DUPLICATE,
    ISSUE_EXPIRED_LEASE,
    ISSUE_INCOMPLETE,
    ISSUE_MISSING_PHONE,
    ISSUE_NO_DWELLING,
    ISSUE_UNVERIFIED,
    QualityCellNotFoundError,
    quality_records_for_actor,
    quality_report_for_actor,
)
from gridgov.registry.services.quality import DwellingNotFoundError, dwelling_residents_verify
from gridgov.registry.tests.helpers_quality import live_in, make_dwelling, make_lease, make_person

NOW = timezone.now()
RECENT = NOW - datetime.timedelta(days=10)
STALE = NOW - datetime.timedelta(days=200)
TWIN_BIRTH = datetime.date(1975, 3, 9)


@pytest.fixture
def registry(town):
    """micro_a1: one accurate, one stale, one without phone, one without dwelling;
    micro_a2: one accurate; micro_b1: one accurate twin of the first, and an expired lease."""
    flat_a1 = make_dwelling(town.micro_a1, "101")
    flat_a2 = make_dwelling(town.micro_a2, "201")
    flat_b1 = make_dwelling(town.micro_b1, "301")
    people = {
        "accurate": make_person(town.micro_a1, birth=TWIN_BIRTH, verified_at=RECENT),
        "stale": make_person(town.micro_a1, name="李四", verified_at=STALE),
        "no_phone": make_person(town.micro_a1, name="王五", phone=None, verified_at=RECENT),
        "no_dwelling": make_person(town.micro_a1, name="赵六", verified_at=RECENT),
        "a2": make_person(town.micro_a2, name="钱七"),
        "twin": make_person(town.micro_b1, birth=TWIN_BIRTH, verified_at=RECENT),
    }
    live_in(people["accurate"], flat_a1)
    live_in(people["stale"], flat_a1, role=Residency.Role.FAMILY)
    live_in(people["no_phone"], flat_a1, role=Residency.Role.FAMILY)
    # Verified through the residency rather than the person.
    live_in(people["a2"], flat_a2, verified_at=RECENT)
    live_in(people["twin"], flat_b1)
    lease = make_lease(flat_b1, people["twin"], ends_on=NOW.date() - datetime.timedelta(days=3))
    make_lease(flat_b1, people["twin"], ends_on=NOW.date() + datetime.timedelta(days=30))
    return people, lease, flat_a1


def _by_code(report):
    return {row.code: row for row in report.cells}


def test_operator_sees_micro_grids_worst_first_with_exact_figures(town, operator, registry):
    _people, _lease, _flat = registry

    report = quality_report_for_actor(actor=operator, level=LevelKind.MICRO_GRID, now=NOW)

    assert [row.code for row in report.cells] == [
        town.micro_a1.code,
        town.micro_b1.code,
        town.micro_a2.code,
    ]
    a1 = report.cells[0]
    assert (a1.residents, a1.complete, a1.verified, a1.accurate) == (4, 2, 3, 1)
    assert (a1.missing_phone, a1.no_dwelling, a1.unverified, a1.duplicates) == (1, 1, 1, 1)
    assert a1.accuracy == 0.25
    assert _by_code(report)[town.micro_b1.code].expired_leases == 1
    assert _by_code(report)[town.micro_b1.code].duplicates == 1
    assert (report.total.residents, report.total.accurate) == (6, 3)
    assert report.max_age_days == 180


def test_figures_roll_up_to_grid_community_and_town(town, operator, registry):
    report = quality_report_for_actor(actor=operator, now=NOW)

    rows = _by_code(report)
    assert (rows[town.grid_a.code].residents, rows[town.grid_a.code].accurate) == (5, 2)
    assert rows[town.community_a.code].accuracy == 0.4
    assert (rows[town.town.code].residents, rows[town.town.code].accurate) == (6, 3)
    assert rows[town.town.code].expired_leases == 1
    assert town.micro_b2.code not in rows


def test_report_names_the_records_to_fix_per_issue(town, operator, registry):
    people, lease, _flat = registry

    report = quality_report_for_actor(actor=operator, level=LevelKind.GRID, now=NOW)

    grid_a = _by_code(report)[town.grid_a.code]
    assert grid_a.records == {
        ISSUE_INCOMPLETE: sorted([people["no_phone"].pk, people["no_dwelling"].pk]),
        ISSUE_NO_DWELLING: [people["no_dwelling"].pk],
        ISSUE_MISSING_PHONE: [people["no_phone"].pk],
        ISSUE_UNVERIFIED: [people["stale"].pk],
        ISSUE_DUPLICATE: [people["accurate"].pk],
    }
    assert _by_code(report)[town.grid_b.code].records[ISSUE_EXPIRED_LEASE] == [lease.pk]


def test_sample_of_records_is_capped_per_cell(town, operator, registry):
    report = quality_report_for_actor(actor=operator, level=LevelKind.GRID, sample_size=1, now=NOW)

    assert len(_by_code(report)[town.grid_a.code].records[ISSUE_INCOMPLETE]) == 1


def test_shorter_verification_window_makes_more_records_stale(town, operator, registry):
    report = quality_report_for_actor(actor=operator, level=LevelKind.GRID, max_age_days=5, now=NOW)

    assert _by_code(report)[town.grid_a.code].verified == 0
    assert report.max_age_days == 5


def test_grid_worker_sees_quality_only_of_own_grid(town, grid_worker_a, registry):
    report = quality_report_for_actor(actor=grid_worker_a, now=NOW)

    assert {row.code for row in report.cells} == {
        town.grid_a.code,
        town.micro_a1.code,
        town.micro_a2.code,
    }
    assert report.total.residents == 5
    assert report.total.expired_leases == 0


def test_children_of_a_parent_are_listed_alone(town, operator, registry):
    report = quality_report_for_actor(actor=operator, parent_code=town.grid_a.code, now=NOW)

    assert [row.code for row in report.cells] == [town.micro_a1.code, town.micro_a2.code]


def test_grid_worker_cannot_ask_for_a_cell_outside_own_grid(town, grid_worker_a, registry):
    with pytest.raises(QualityCellNotFoundError):
        quality_report_for_actor(actor=grid_worker_a, parent_code=town.grid_b.code)
    with pytest.raises(QualityCellNotFoundError):
        quality_records_for_actor(
            actor=grid_worker_a, cell_code=town.grid_b.code, issue=ISSUE_UNVERIFIED
        )


def test_roles_without_quality_permission_see_nothing(town, make_member, registry):
    handler = make_member(Role.DEPARTMENT_HANDLER, town.town)

    report = quality_report_for_actor(actor=handler, now=NOW)

    assert report.cells == []
    assert report.total.residents == 0


def test_records_of_one_issue_in_a_subtree(town, operator, registry):
    people, lease, _flat = registry

    unverified = quality_records_for_actor(
        actor=operator, cell_code=town.grid_a.code, issue=ISSUE_UNVERIFIED, now=NOW
    )
    expired = quality_records_for_actor(
        actor=operator, cell_code=town.town.code, issue=ISSUE_EXPIRED_LEASE, now=NOW
    )

    assert [person.pk for person in unverified] == [people["stale"].pk]
    assert [row.pk for row in expired] == [lease.pk]


def test_report_query_count_does_not_grow_with_people(town, operator, registry):
    quality_report_for_actor(actor=operator, now=NOW)  # memberships are cached on the user
    with CaptureQueriesContext(connection) as before:
        quality_report_for_actor(actor=operator, now=NOW)
    flat = make_dwelling(town.micro_b2, "909")
    for index in range(15):
        person = make_person(town.micro_b2, name=f"孙{index}", birth=datetime.date(1990, 1, 1))
        live_in(person, flat, role=Residency.Role.TENANT)

    with CaptureQueriesContext(connection) as after:
        report = quality_report_for_actor(actor=operator, now=NOW)

    assert len(after.captured_queries) == len(before.captured_queries)
    assert len(after.captured_queries) == 9
    assert _by_code(report)[town.micro_b2.code].residents == 15


def test_verifying_a_dwelling_confirms_its_current_residents(town, grid_worker_a, registry):
    people, _lease, flat = registry

    confirmed = dwelling_residents_verify(actor=grid_worker_a, dwelling_id=flat.pk)

    assert confirmed == 3
    stale = Person.objects.get(pk=people["stale"].pk)
    assert stale.verified_at is not None
    assert stale.verified_at > RECENT
    entry = AuditEntry.objects.get(action="registry.dwelling.verify_residents")
    assert entry.object_id == str(flat.pk)
    assert entry.changes == {"residencies": 3}
    report = quality_report_for_actor(actor=grid_worker_a, level=LevelKind.GRID)
    assert report.cells[0].unverified == 0


def test_verifying_a_dwelling_outside_own_grid_changes_nothing(town, make_member, registry):
    people, _lease, flat = registry
    worker_b = make_member(Role.GRID_WORKER, town.grid_b)

    with pytest.raises(DwellingNotFoundError):
        dwelling_residents_verify(actor=worker_b, dwelling_id=flat.pk)

    assert Person.objects.get(pk=people["stale"].pk).verified_at == STALE
    assert not AuditEntry.objects.filter(action="registry.dwelling.verify_residents").exists()
