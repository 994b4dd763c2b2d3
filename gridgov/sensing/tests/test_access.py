"""Gate flows and the absence list (gridgov.sensing.access and selectors_access)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.core.crypto import lookup_hash
from gridgov.core.models import AuditEntry
from gridgov.registry.tests.factories import (
    BuildingFactory,
    DwellingFactory,
    EstateFactory,
    PersonFactory,
    PersonTagFactory,
    TagFactory,
)
from gridgov.sensing.access import gate_flows, hourly_totals, people_not_passed_since
from gridgov.sensing.models import AccessCard, DeviceCategory
from gridgov.sensing.selectors_access import absence_list_for_actor, gate_flows_for_actor
from gridgov.sensing.tests.factories import DeviceFactory, EventFactory

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
ELDERLY_ALONE = "elderly-alone"


def _elder(cell, *, card: str, issued_days_ago: int = 30, tagged: bool = True):
    person = PersonFactory(cell=cell)
    if tagged:
        PersonTagFactory(person=person, tag=TagFactory(code=ELDERLY_ALONE))
    building = BuildingFactory(estate=EstateFactory(cell=cell), cell=cell)
    dwelling = DwellingFactory(building=building)
    AccessCard.objects.create(
        person=person,
        card_hash=lookup_hash(card),
        card_last4=card[-4:],
        dwelling=dwelling,
        issued_at=NOW - timedelta(days=issued_days_ago),
    )
    return person, dwelling


def _pass(gate, card: str, at: datetime, direction: str = "in"):
    return EventFactory(
        device=gate,
        kind="card_pass",
        occurred_at=at,
        received_at=at,
        values={"direction": direction},
        person_card_hash=lookup_hash(card),
    )


@pytest.fixture
def gate(town):
    return DeviceFactory(code="gate-1", category=DeviceCategory.ACCESS_CONTROL, cell=town.micro_a1)


def test_absence_lists_elders_without_a_recent_pass(town, gate):
    seen, _ = _elder(town.micro_a1, card="CARD0001")
    stale, stale_dwelling = _elder(town.micro_a1, card="CARD0002")
    never, _ = _elder(town.micro_a1, card="CARD0003")
    _elder(town.micro_a1, card="CARD0004", issued_days_ago=1)  # too new to tell
    _elder(town.micro_a1, card="CARD0005", tagged=False)  # not tagged
    _pass(gate, "CARD0001", NOW - timedelta(hours=5))
    _pass(gate, "CARD0002", NOW - timedelta(days=4))
    _pass(gate, "CARD0002", NOW - timedelta(days=6))
    _pass(gate, "CARD0005", NOW - timedelta(days=9))

    absent = people_not_passed_since(tag_code=ELDERLY_ALONE, since=NOW - timedelta(days=3))

    assert [person.person_id for person in absent] == [never.id, stale.id]
    assert absent[0].last_pass_at is None
    assert absent[1].last_pass_at == NOW - timedelta(days=4)
    assert absent[1].dwelling_id == stale_dwelling.id
    assert seen.id not in {person.person_id for person in absent}


def test_absence_any_recent_card_counts_and_cells_limit(town, gate):
    person, dwelling = _elder(town.micro_a1, card="CARD0101")
    AccessCard.objects.create(
        person=person,
        card_hash=lookup_hash("CARD0102"),
        dwelling=dwelling,
        issued_at=NOW - timedelta(days=30),
    )
    other, _ = _elder(town.micro_b1, card="CARD0201")
    _pass(gate, "CARD0102", NOW - timedelta(hours=1))
    since = NOW - timedelta(days=3)

    assert [p.person_id for p in people_not_passed_since(tag_code=ELDERLY_ALONE, since=since)] == [
        other.id
    ]
    assert (
        people_not_passed_since(tag_code=ELDERLY_ALONE, since=since, cell_ids=[town.micro_a1.id])
        == []
    )


def test_absence_ignores_inactive_cards_and_other_kinds(town, gate):
    person, _ = _elder(town.micro_a1, card="CARD0301")
    EventFactory(
        device=gate,
        kind="door_open",
        occurred_at=NOW,
        received_at=NOW,
        person_card_hash=lookup_hash("CARD0301"),
    )
    since = NOW - timedelta(days=3)
    assert [p.person_id for p in people_not_passed_since(tag_code=ELDERLY_ALONE, since=since)] == [
        person.id
    ]
    AccessCard.objects.filter(person=person).update(is_active=False)
    assert people_not_passed_since(tag_code=ELDERLY_ALONE, since=since) == []


def test_gate_flows_per_gate_and_hour_in_town_time(town, gate):
    other = DeviceFactory(code="gate-2", category=DeviceCategory.ACCESS_CONTROL, cell=town.micro_a2)
    # 07:10 and 07:50 town time (23:10, 23:50 UTC the day before) are one hour.
    morning = datetime(2026, 12, 3, 23, 10, tzinfo=UTC)
    _pass(gate, "C1", morning, "out")
    _pass(gate, "C2", morning + timedelta(minutes=40), "out")
    _pass(gate, "C3", morning + timedelta(minutes=20), "in")
    _pass(other, "C4", morning + timedelta(hours=11), "in")
    _pass(other, "C5", NOW + timedelta(days=2), "in")  # outside the period

    flows = gate_flows(occurred_from=NOW - timedelta(days=1), occurred_to=NOW + timedelta(days=1))

    assert [(f.device_id, f.hour.hour, f.passes_in, f.passes_out) for f in flows] == [
        (gate.id, 7, 1, 2),
        (other.id, 18, 1, 0),
    ]
    assert [(hour.hour, i, o) for hour, i, o in hourly_totals(flows)] == [(7, 1, 2), (18, 1, 0)]


# ---- selectors and pages -----------------------------------------------------------------------


def _absent_pair(town, gate):
    """An elder in grid A and one in grid B, both last seen 5 days ago."""
    a, _ = _elder(town.micro_a1, card="CARDA001")
    b, _ = _elder(town.micro_b1, card="CARDB001")
    _pass(gate, "CARDA001", timezone.now() - timedelta(days=5))
    _pass(gate, "CARDB001", timezone.now() - timedelta(days=5))
    return a, b


def test_absence_list_is_scoped_and_masked(town, gate, operator, grid_worker_a):
    a, b = _absent_pair(town, gate)
    everyone = absence_list_for_actor(actor=operator)
    assert {row.person["id"] for row in everyone} == {a.id, b.id}
    assert all(row.days_since == 5 for row in everyone)
    mine = absence_list_for_actor(actor=grid_worker_a)
    assert [row.person["id"] for row in mine] == [a.id]
    assert "*" in mine[0].person["phone_masked"]
    assert absence_list_for_actor(actor=grid_worker_a, days=6) == []
    assert (
        absence_list_for_actor(actor=operator, cell_code=town.grid_b.code)[0].person["id"] == b.id
    )


def test_flows_are_scoped_to_the_actors_gates(town, gate, operator, grid_worker_a):
    other = DeviceFactory(code="gate-b", category=DeviceCategory.ACCESS_CONTROL, cell=town.micro_b1)
    now = timezone.now()
    _pass(gate, "C1", now - timedelta(hours=1), "out")
    _pass(other, "C2", now - timedelta(hours=1), "in")
    today = timezone.localdate()
    everyone = gate_flows_for_actor(
        actor=operator, first_day=today - timedelta(days=1), last_day=today
    )
    assert (everyone.total_in, everyone.total_out) == (1, 1)
    mine = gate_flows_for_actor(
        actor=grid_worker_a, first_day=today - timedelta(days=1), last_day=today
    )
    assert [(g.code, g.passes_in, g.passes_out) for g in mine.gates] == [("gate-1", 0, 1)]


def test_pages_need_the_access_permission(client, town, make_member):
    resident = make_member(Role.RESIDENT, town.grid_a)
    sign_in_as(client, resident)
    assert client.get(reverse("access:flows")).status_code == 403
    assert client.get(reverse("access:absence")).status_code == 403
    assert client.post(reverse("access:absence_export")).status_code == 403


def test_flows_page_shows_the_chart_and_the_gates(client, town, gate, operator):
    _pass(gate, "C1", timezone.now() - timedelta(minutes=30), "in")
    sign_in_as(client, operator)
    response = client.get(reverse("access:flows"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="gg-chart-hours"' in page
    assert 'data-gate="gate-1"' in page
    chart = response.context["chart"]
    assert sum(chart["in"]) == 1
    assert sum(chart["out"]) == 0
    # Every hour of the last 7 days up to now is on the axis, those without passes at 0.
    assert 6 * 24 < len(chart["labels"]) <= 7 * 24


def test_flows_page_explains_a_bad_period(client, town, operator):
    sign_in_as(client, operator)
    response = client.get(reverse("access:flows"), {"start": "2026-13-01", "end": "x"})
    assert response.status_code == 200
    assert response.context["error"]
    response = client.get(reverse("access:flows"), {"start": "2026-12-04", "end": "2026-12-01"})
    assert response.context["error"]
    assert response.context["start"] <= response.context["end"]


def test_absence_page_lists_and_explains_bad_days(client, town, gate, operator):
    a, b = _absent_pair(town, gate)
    sign_in_as(client, operator)
    response = client.get(reverse("access:absence"))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-person="{a.id}"' in page
    assert f'data-person="{b.id}"' in page
    response = client.get(reverse("access:absence"), {"days": "abc"})
    assert response.context["error"]
    assert response.context["days"] == 3


def test_absence_export_is_stamped_and_audited(client, town, gate, operator):
    _absent_pair(town, gate)
    sign_in_as(client, operator)
    response = client.post(reverse("access:absence_export"), {"days": "3"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="absence-')
    workbook = load_workbook(BytesIO(response.content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert "operator" in str(rows[0][0])
    assert len([row for row in rows if row and row[-1] == 5]) == 2
    entry = AuditEntry.objects.get(action="sensing.absence_export")
    assert entry.changes["rows"] == 2
