"""Rating, automatic closure, escalation, the whistle and the joint squad."""

from __future__ import annotations

import datetime

import pytest

from gridgov.cases.models import CaseEvent, Status
from gridgov.cases.services import (
    IllegalTransitionError,
    MissingFieldError,
    NotAllowedError,
    RatingNotAllowedError,
    case_accept,
    case_dispatch,
    case_escalate,
    case_rate,
    case_resolve,
    case_start,
    case_whistle,
    close_unrated_cases,
    squad_add_member,
    whistle_report_in,
)
from gridgov.cases.tests.helpers_engine import World, local, report, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = local(2025, 9, 22, 10, 0)


def _resolved(world: World, when: datetime.datetime = T0):
    case = report(world, now=when)
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk, now=when)
    case_start(actor=world.handler, case_id=case.pk, now=when)
    return case_resolve(actor=world.handler, case_id=case.pk, note="修好了", now=when)


def test_only_the_reporter_rates_once(world: World) -> None:
    case = _resolved(world)
    for someone in (world.other_resident, world.operator, world.handler, None):
        with pytest.raises(RatingNotAllowedError):
            case_rate(actor=someone, case_id=case.pk, rating=5)
    with pytest.raises(MissingFieldError):
        case_rate(actor=world.resident, case_id=case.pk, rating=6)
    case = case_rate(actor=world.resident, case_id=case.pk, rating=4, comment="可以")
    assert case.status == Status.CLOSED
    assert case.rating == 4
    with pytest.raises(RatingNotAllowedError):
        case_rate(actor=world.resident, case_id=case.pk, rating=1)


def test_a_rating_before_resolution_is_refused(world: World) -> None:
    case = report(world, now=T0)
    with pytest.raises(RatingNotAllowedError):
        case_rate(actor=world.resident, case_id=case.pk, rating=3)


def test_a_low_rating_may_reopen(world: World) -> None:
    case = _resolved(world)
    with pytest.raises(RatingNotAllowedError):
        case_rate(actor=world.resident, case_id=case.pk, rating=3, reopen=True)
    case = case_rate(
        actor=world.resident, case_id=case.pk, rating=1, comment="根本没修", reopen=True
    )
    assert case.status == Status.DISPATCHED
    assert case.reopen_count == 1
    assert case.rating == 1
    assert case.events.filter(action=CaseEvent.Action.REOPENED).count() == 1


def test_unrated_cases_close_after_n_days_once(world: World) -> None:
    old = _resolved(world, local(2025, 9, 1, 10, 0))
    recent = _resolved(world, local(2025, 9, 20, 10, 0))
    assert close_unrated_cases(now=local(2025, 9, 22, 10, 0)) == 1
    assert close_unrated_cases(now=local(2025, 9, 22, 10, 0)) == 0
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.status == Status.CLOSED
    assert recent.status == Status.RESOLVED
    assert close_unrated_cases(now=local(2025, 9, 22, 10, 0), days=1) == 1
    # The resident may still rate a case closed for want of a rating.
    rated = case_rate(actor=world.resident, case_id=old.pk, rating=5)
    assert rated.status == Status.CLOSED
    assert rated.rating == 5


def test_escalation_to_the_parent_cell(world: World) -> None:
    case = report(world, now=T0)
    with pytest.raises(NotAllowedError):
        case_escalate(actor=world.resident, case_id=case.pk, reason="我要升级", now=T0)
    with pytest.raises(MissingFieldError):
        case_escalate(actor=world.gridworker, case_id=case.pk, reason="", now=T0)
    for expected in (world.town.grid_a, world.town.community_a, world.town.town):
        case = case_escalate(actor=world.operator, case_id=case.pk, reason="本级无法解决", now=T0)
        assert case.handling_cell == expected
    with pytest.raises(IllegalTransitionError):
        case_escalate(actor=world.operator, case_id=case.pk, reason="再上", now=T0)
    assert case.escalation_count == 3
    assert case.cell == world.town.micro_a1


def test_whistle_summons_departments_and_each_reports_in(world: World) -> None:
    case = report(world, now=T0)
    case_accept(actor=world.operator, case_id=case.pk, now=T0)
    with pytest.raises(NotAllowedError):
        case_whistle(
            actor=world.handler,
            case_id=case.pk,
            department_ids=[world.fire.pk],
            lead_department_id=world.urban.pk,
            reason="联合执法",
        )
    whistle = case_whistle(
        actor=world.operator,
        case_id=case.pk,
        department_ids=[world.fire.pk, world.housing.pk],
        lead_department_id=world.urban.pk,
        reason="违法搭建涉及消防与房管",
        report_within_minutes=30,
        now=T0,
    )
    assert whistle.summonses.count() == 3
    assert whistle.lead_department == world.urban
    case.refresh_from_db()
    assert case.is_whistled
    # The summoned fire station now sees the case and reports in, once.
    fire = whistle.summonses.get(department=world.fire)
    with pytest.raises(NotAllowedError):
        whistle_report_in(actor=world.housing_handler, summons_id=fire.pk)
    fire = whistle_report_in(actor=world.other_handler, summons_id=fire.pk, note="已到场", now=T0)
    assert fire.reported_by == world.other_handler
    with pytest.raises(IllegalTransitionError):
        whistle_report_in(actor=world.other_handler, summons_id=fire.pk)
    member = squad_add_member(
        actor=world.operator,
        case_id=case.pk,
        name="李队长",
        organization_id=world.fire.pk,
        role="现场指挥",
        now=T0,
    )
    assert member.case == case
    assert case.squad.count() == 1
    actions = set(case.events.values_list("action", flat=True))
    assert {
        CaseEvent.Action.WHISTLED,
        CaseEvent.Action.REPORTED_IN,
        CaseEvent.Action.SQUAD_FORMED,
    } <= actions
    with pytest.raises(MissingFieldError):
        squad_add_member(actor=world.operator, case_id=case.pk, name=" ")
