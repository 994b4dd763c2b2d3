"""The alarm pages: the board and its polling fragment, acknowledging from it, the alarm page
with its history and actions, and the household file's alarm block."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.cases.models import Category
from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.registry.tests.factories import DwellingFactory
from gridgov.sensing.models import AlarmStatus, AlarmStep
from gridgov.sensing.tests.factories import AlarmFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("alarms:board")
NEW = reverse("alarms:board_new")


def _alarm(town, **kwargs):
    kwargs.setdefault("cell", town.micro_a1)
    alarm = AlarmFactory(**kwargs)
    alarm.device.lng, alarm.device.lat = 121.05, 31.1
    alarm.device.save(update_fields=["lng", "lat"])
    return alarm


def _ids(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-alarm-id="(\d+)"', html)]


def test_the_board_lists_open_alarms_newest_first_with_their_positions(client, town, grid_worker_a):
    older = _alarm(town, summary="一号楼消防门常开")
    newer = _alarm(town, summary="二号楼烟感报警", raised_at=older.raised_at.replace(hour=9))
    _alarm(town, status=AlarmStatus.CLEARED)
    sign_in_as(client, grid_worker_a)

    response = client.get(BOARD)

    html = response.content.decode()
    assert response.status_code == 200
    assert _ids(html) == [newer.pk, older.pk]
    assert 'data-lat="31.100000"' in html
    assert f'value="{newer.pk}"' in html  # the polling starts after the newest shown
    assert 'hx-trigger="every 5s"' in html
    assert "告警看板" in html


def test_the_board_costs_the_same_for_many_alarms(
    client, town, operator, grid_worker_a, django_assert_max_num_queries
):
    for index in range(12):
        alarm = _alarm(town)
        if index % 2:
            alarm.status = AlarmStatus.ACKNOWLEDGED
            alarm.acknowledged_by = grid_worker_a
            alarm.acknowledged_at = alarm.raised_at
            alarm.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    sign_in_as(client, operator)
    client.get(BOARD)

    with django_assert_max_num_queries(16):
        response = client.get(BOARD)

    assert len(_ids(response.content.decode())) == 12


def test_the_board_filters_by_severity(client, town, operator):
    critical = _alarm(town, scenario=ScenarioFactory(code="smoke", severity="critical"))
    _alarm(town)
    sign_in_as(client, operator)

    html = client.get(BOARD, {"severity": "critical"}).content.decode()

    assert _ids(html) == [critical.pk]


def test_the_board_is_refused_to_a_resident(client, town, make_member):
    sign_in_as(client, make_member(Role.RESIDENT, town.grid_a, "resident"))

    assert client.get(BOARD).status_code == 403


def test_a_grid_worker_of_another_grid_sees_nothing_on_the_board(client, town, make_member):
    _alarm(town)
    sign_in_as(client, make_member(Role.GRID_WORKER, town.grid_b, "worker_b"))

    html = client.get(BOARD).content.decode()
    fragment = client.get(NEW, {"after": 0})

    assert _ids(html) == []
    assert fragment.status_code == 204


def test_the_fragment_holds_only_alarms_newer_than_the_last_shown(
    client, town, grid_worker_a, django_assert_max_num_queries
):
    shown = _alarm(town)
    sign_in_as(client, grid_worker_a)
    client.get(BOARD)  # the session and memberships are warm

    with django_assert_max_num_queries(6):
        nothing = client.get(NEW, {"after": shown.pk})
    arrived = _alarm(town, summary="新到的告警")
    fragment = client.get(NEW, {"after": shown.pk}, HTTP_HX_REQUEST="true")

    assert nothing.status_code == 204
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert _ids(html) == [arrived.pk]
    assert "新到的告警" in html
    assert f'id="gg-alarm-after" name="after" value="{arrived.pk}" hx-swap-oob="true"' in html
    assert 'id="gg-alarm-counts" hx-swap-oob="true"' in html


def test_acknowledging_from_the_board_answers_with_the_row(client, town, grid_worker_a):
    alarm = _alarm(town)
    sign_in_as(client, grid_worker_a)

    response = client.post(reverse("alarms:acknowledge", args=[alarm.pk]), HTTP_HX_REQUEST="true")
    again = client.post(reverse("alarms:acknowledge", args=[alarm.pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<article")
    assert 'data-status="acknowledged"' in html
    assert 'data-acknowledge="' not in html
    assert "data-alarm-error" in again.content.decode()
    assert alarm.steps.filter(action=AlarmStep.Action.ACKNOWLEDGED).count() == 1


def test_the_alarm_page_shows_history_device_and_linked_case(client, town, grid_worker_a):
    Category.objects.create(code="fire-exit", name="消防通道")
    alarm = _alarm(town, scenario=ScenarioFactory(case_category_code="fire-exit"))
    sign_in_as(client, grid_worker_a)
    client.post(reverse("alarms:acknowledge", args=[alarm.pk]))

    opened = client.post(reverse("alarms:open_case", args=[alarm.pk]), {"note": "请物业到场"})
    alarm.refresh_from_db()
    html = client.get(reverse("alarms:detail", args=[alarm.pk])).content.decode()

    assert opened.status_code == 302
    assert alarm.case is not None
    assert reverse("cases:case_detail", args=[alarm.case_id]) in html
    assert alarm.device.code in html
    assert 'data-step="acknowledged"' in html
    assert 'data-step="case_opened"' in html
    assert 'id="gg-open-case-form"' not in html


def test_the_case_page_shows_the_alarms_behind_the_case(client, town, grid_worker_a, make_member):
    Category.objects.create(code="fire-exit", name="消防通道")
    alarm = _alarm(town, scenario=ScenarioFactory(case_category_code="fire-exit"))
    _alarm(town, summary="另一条告警")
    sign_in_as(client, grid_worker_a)
    client.post(reverse("alarms:open_case", args=[alarm.pk]), {"note": ""})
    alarm.refresh_from_db()

    html = client.get(reverse("cases:case_detail", args=[alarm.case_id])).content.decode()

    assert 'data-section="alarms"' in html
    assert f'data-alarm="{alarm.pk}"' in html
    assert reverse("alarms:detail", args=[alarm.pk]) in html
    assert "另一条告警" not in html


def test_clearing_on_the_page_without_a_note_keeps_the_page_and_says_why(
    client, town, grid_worker_a
):
    alarm = _alarm(town)
    sign_in_as(client, grid_worker_a)

    refused = client.post(reverse("alarms:clear", args=[alarm.pk]), {"note": ""})
    cleared = client.post(reverse("alarms:clear", args=[alarm.pk]), {"note": "误报"})

    assert refused.status_code == 400
    assert 'class="invalid-feedback"' in refused.content.decode()
    assert cleared.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.status, alarm.clear_note) == (AlarmStatus.CLEARED, "误报")


def test_an_alarm_outside_the_area_is_not_found(client, town, make_member):
    alarm = _alarm(town)
    sign_in_as(client, make_member(Role.GRID_WORKER, town.grid_b, "worker_b"))

    assert client.get(reverse("alarms:detail", args=[alarm.pk])).status_code == 404
    assert client.post(reverse("alarms:acknowledge", args=[alarm.pk])).status_code == 404
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE


def test_the_household_file_shows_the_dwellings_alarms(client, town, grid_worker_a):
    dwelling = DwellingFactory(cell=town.micro_a1, building__cell=town.micro_a1)
    alarm = _alarm(town, dwelling=dwelling, summary="燃气泄漏报警")
    _alarm(town, summary="别处的告警")
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("registry:dwelling_detail", args=[dwelling.pk])).content.decode()

    assert 'data-section="alarms"' in html
    assert f'data-alarm="{alarm.pk}"' in html
    assert "别处的告警" not in html
