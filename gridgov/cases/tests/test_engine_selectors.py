"""Who sees which cases: scoping per role, queues, one case, duplicates, the map."""

from __future__ import annotations

import datetime

import pytest

from gridgov.cases.models import Status
from gridgov.cases.selectors import (
    case_get_for_actor,
    case_queue,
    case_timeline,
    cases_for_actor,
    duplicate_candidates,
    open_cases_geojson,
    queue_counts,
)
from gridgov.cases.services import (
    case_dispatch,
    case_whistle,
    deadline_scan,
)
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.tests.helpers_engine import POINT_B2, World, local, report, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

T0 = local(2025, 9, 22, 10, 0)


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_visibility_per_role(world: World) -> None:
    light_a = report(world, now=T0)  # urban management, micro-grid A1
    leak = report(world, category="property-leak", building_id=world.building.pk, now=T0)
    fire_b = report(world, category="fire-hazard", actor=world.other_resident, **POINT_B2, now=T0)
    everything = {light_a.pk, leak.pk, fire_b.pk}
    assert _ids(cases_for_actor(actor=world.operator)) == everything
    assert _ids(cases_for_actor(actor=world.handler)) == {light_a.pk}
    assert _ids(cases_for_actor(actor=world.housing_handler)) == {leak.pk}
    assert _ids(cases_for_actor(actor=world.other_handler)) == {fire_b.pk}
    assert _ids(cases_for_actor(actor=world.community)) == {fire_b.pk}
    assert _ids(cases_for_actor(actor=world.gridworker)) == {light_a.pk, leak.pk}
    assert _ids(cases_for_actor(actor=world.property_staff)) == {leak.pk}
    assert _ids(cases_for_actor(actor=world.resident)) == {light_a.pk, leak.pk}
    assert _ids(cases_for_actor(actor=world.other_resident)) == {fire_b.pk}
    with pytest.raises(CaseNotFoundError):
        case_get_for_actor(actor=world.handler, case_id=leak.pk)
    with pytest.raises(CaseNotFoundError):
        case_get_for_actor(actor=world.other_resident, case_id=light_a.pk)
    assert case_get_for_actor(actor=world.resident, case_id=light_a.pk) == light_a
    assert [event.action for event in case_timeline(actor=world.resident, case=light_a)] == [
        "created"
    ]


def test_a_whistle_shows_the_case_to_the_summoned(world: World) -> None:
    case = report(world, now=T0)
    assert case.pk not in _ids(cases_for_actor(actor=world.other_handler))
    case_whistle(
        actor=world.operator,
        case_id=case.pk,
        department_ids=[world.fire.pk],
        lead_department_id=world.urban.pk,
        reason="联合处置",
        now=T0,
    )
    assert case.pk in _ids(cases_for_actor(actor=world.other_handler))
    assert case.pk in _ids(case_queue(actor=world.operator, queue="whistled"))


def test_queues(world: World) -> None:
    mine = report(world, now=T0)
    case_dispatch(
        actor=world.operator,
        case_id=mine.pk,
        department_id=world.urban.pk,
        assignee_id=world.handler.pk,
        now=T0,
    )
    other = report(world, now=T0, description="又一盏灯坏了")
    leak = report(world, category="property-leak", building_id=world.building.pk, now=T0)
    assert _ids(case_queue(actor=world.handler, queue="mine")) == {mine.pk}
    assert _ids(case_queue(actor=world.handler, queue="department")) == {mine.pk, other.pk}
    assert _ids(case_queue(actor=world.gridworker, queue="cell")) == {mine.pk, other.pk, leak.pk}
    assert _ids(case_queue(actor=world.property_staff, queue="grab")) == {leak.pk}
    assert _ids(case_queue(actor=world.resident, queue="reported")) == {mine.pk, other.pk, leak.pk}
    assert _ids(case_queue(actor=world.operator, queue="late")) == set()
    deadline_scan(now=T0 + datetime.timedelta(hours=3))
    assert _ids(case_queue(actor=world.operator, queue="late")) == {other.pk, leak.pk}
    counts = queue_counts(actor=world.handler)
    assert counts["mine"] == 1
    assert counts["department"] == 2
    with pytest.raises(ValueError, match="unknown queue"):
        case_queue(actor=world.handler, queue="everything")


def test_duplicates_within_50_metres_and_7_days(world: World) -> None:
    first = report(world, lat=31.1, lng=121.05, now=T0)
    near = report(world, lat=31.1003, lng=121.05, now=T0 + datetime.timedelta(days=2))  # ~33 m
    far = report(world, lat=31.1010, lng=121.05, now=T0)  # ~111 m
    late = report(world, lat=31.1, lng=121.05, now=T0 + datetime.timedelta(days=9))
    other_kind = report(world, category="noise", lat=31.1, lng=121.05, now=T0)
    found = _ids(duplicate_candidates(actor=world.operator, case=first))
    assert found == {near.pk}
    assert far.pk not in found
    assert late.pk not in found
    assert other_kind.pk not in found


def test_open_cases_on_the_map(world: World) -> None:
    case = report(world, now=T0)
    report(world, category="fire-hazard", actor=world.other_resident, **POINT_B2, now=T0)
    data = open_cases_geojson(actor=world.handler)
    assert [feature["properties"]["number"] for feature in data["features"]] == [case.number]
    assert data["features"][0]["geometry"]["coordinates"] == [121.05, 31.1]
    assert len(open_cases_geojson(actor=world.operator)["features"]) == 2
    assert open_cases_geojson(actor=world.operator, late_only=True)["features"] == []
    assert case.status == Status.NEW


def test_files_and_case_numbers_are_found_only_by_those_who_may_see_them(world: World) -> None:
    from gridgov.cases.selectors import attachment_get_for_actor, case_id_for_number
    from gridgov.cases.services import Upload, visit_record
    from gridgov.cases.services.errors import CaseNotFoundError
    from gridgov.cases.tests.helpers_engine import PNG, report

    case = report(world, uploads=[Upload("a.png", "image/png", PNG)])
    photo = case.attachments.get()
    assert attachment_get_for_actor(actor=world.resident, attachment_id=photo.pk) == photo
    assert case_id_for_number(actor=world.operator, number=f" {case.number} ") == case.pk
    with pytest.raises(CaseNotFoundError):
        attachment_get_for_actor(actor=world.other_resident, attachment_id=photo.pk)
    with pytest.raises(CaseNotFoundError):
        case_id_for_number(actor=world.other_resident, number=case.number)
    with pytest.raises(CaseNotFoundError):
        case_id_for_number(actor=world.operator, number="20000101000001")

    visit = visit_record(
        actor=world.gridworker,
        building_id=world.building.pk,
        note="楼道堆物",
        uploads=[Upload("b.png", "image/png", PNG)],
    )
    visit_photo = visit.attachments.get()
    assert attachment_get_for_actor(actor=world.gridworker, attachment_id=visit_photo.pk)
    with pytest.raises(CaseNotFoundError):
        attachment_get_for_actor(actor=world.resident, attachment_id=visit_photo.pk)
