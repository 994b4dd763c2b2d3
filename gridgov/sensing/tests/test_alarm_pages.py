"""The alarm pages: the board and its polling fragment, acknowledging from it, the alarm page
with its history and actions, and the household file's alarm block."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.cases.models import Category
from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.registry.tests.factories import DwellingFactory
from gridgov.sensing import selectors
from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep
from gridgov.sensing.services import alarm_actions
from gridgov.sensing.tests.factories import AlarmFactory, ScenarioFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("alarms:board")
CHANGES = reverse("alarms:board_changes")


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
    assert f'id="gg-alarm-after" name="after" value="{newer.pk}"' in html  # polls start there
    assert 'hx-trigger="every 1s"' in html
    assert "看板每 1 秒刷新一次" in html
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
    fragment = client.get(CHANGES, {"after": 0, "step": 0, "seen": 0})

    assert _ids(html) == []
    assert fragment.status_code == 204


def _marks(html: str) -> dict[str, str]:
    """The board's watermarks as the page would send them with its next poll."""
    return dict(
        re.findall(r'<input type="hidden" id="gg-alarm-\w+" name="(\w+)" value="(\d+)"', html)
    )


def _poll(client, marks: dict[str, str]):
    """One poll; the marks are moved on as the page would from the answer."""
    response = client.get(CHANGES, marks, HTTP_HX_REQUEST="true")
    if response.status_code == 200:
        marks.update(_marks(response.content.decode()))
    return response


def _board_marks(client) -> dict[str, str]:
    marks = _marks(client.get(BOARD).content.decode())
    assert set(marks) == {"after", "step", "seen"}
    return marks


def _changed_row(html: str, alarm_id: int) -> str:
    """The out-of-band row of one alarm in a poll's answer."""
    match = re.search(rf'<article [^>]*id="gg-alarm-{alarm_id}"[^>]*>.*?</article>', html, re.S)
    assert match is not None, html
    assert 'hx-swap-oob="true"' in match.group(0)
    return match.group(0)


def test_the_fragment_holds_only_alarms_newer_than_the_last_shown(
    client, town, grid_worker_a, django_assert_max_num_queries
):
    shown = _alarm(town)
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)

    with django_assert_max_num_queries(4):
        nothing = _poll(client, marks)
    arrived = _alarm(town, summary="新到的告警")
    fragment = _poll(client, marks)

    assert nothing.status_code == 204
    assert nothing.content == b""
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert _ids(html) == [arrived.pk]
    assert 'hx-swap-oob="true"' not in html.split("</article>")[0]  # inserted on top
    assert "新到的告警" in html
    assert f'id="gg-alarm-after" name="after" value="{arrived.pk}" hx-swap-oob="true"' in html
    assert 'id="gg-alarm-counts" hx-swap-oob="true"' in html
    assert _poll(client, marks).status_code == 204
    assert shown.pk not in _ids(html)


def test_an_unchanged_board_costs_one_query_whatever_it_shows(
    client, town, grid_worker_a, django_assert_num_queries
):
    sign_in_as(client, grid_worker_a)
    _alarm(town)
    few = _board_marks(client)
    _poll(client, few)  # the session and memberships are warm
    with django_assert_num_queries(4) as small:
        assert _poll(client, few).status_code == 204
    for _index in range(30):
        _alarm(town)
    many = _board_marks(client)

    with django_assert_num_queries(4) as large:
        assert _poll(client, many).status_code == 204

    # the session, the user, the memberships, and the one probe for changes
    assert len(small.captured_queries) == len(large.captured_queries) == 4
    assert "sensing_alarmstep" in large.captured_queries[-1]["sql"]


def test_an_acknowledgement_by_someone_else_shows_in_the_next_poll(
    client, town, grid_worker_a, operator
):
    # given a grid worker watching a board with an active alarm
    alarm = _alarm(town)
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)

    # when the operator acknowledges it elsewhere
    alarm_actions.alarm_acknowledge(actor=operator, alarm_id=alarm.pk)
    response = _poll(client, marks)

    # then the row is replaced in place, with who acknowledged it, and the counts follow
    html = response.content.decode()
    row = _changed_row(html, alarm.pk)
    assert response.status_code == 200
    assert 'data-status="acknowledged"' in row
    assert 'data-rank="1 0 1"' in row
    assert str(operator) in row
    assert "data-acknowledge=" not in row
    assert re.search(
        r'data-figure="active"><[^>]*><[^>]*></i></span><div><div class="gg-stat-value">0<', html
    )
    assert _poll(client, marks).status_code == 204


def test_an_alarm_cleared_by_someone_else_leaves_the_board(client, town, grid_worker_a, operator):
    alarm = _alarm(town)
    other = _alarm(town)
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)

    alarm_actions.alarm_clear(actor=operator, alarm_id=alarm.pk, note="现场已处理")
    html = _poll(client, marks).content.decode()

    row = _changed_row(html, alarm.pk)
    assert 'data-status="cleared"' in row
    assert "gg-alarm-gone" in row
    assert "data-cleared-by" in row
    assert other.pk not in _ids(html)
    assert _poll(client, marks).status_code == 204
    assert _ids(client.get(BOARD).content.decode()) == [other.pk]


def test_a_case_opened_by_someone_else_shows_its_link_in_the_next_poll(
    client, town, grid_worker_a, operator
):
    Category.objects.create(code="fire-exit", name="消防通道")
    alarm = _alarm(town, scenario=ScenarioFactory(case_category_code="fire-exit"))
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)

    case = alarm_actions.alarm_open_case(actor=operator, alarm_id=alarm.pk)
    row = _changed_row(_poll(client, marks).content.decode(), alarm.pk)

    assert reverse("cases:case_detail", args=[case.pk]) in row
    assert case.number in row
    assert 'data-rank="0 1 1"' in row


def test_a_recurring_alarm_shows_its_new_occurrences_in_the_next_poll(client, town, grid_worker_a):
    # given a board showing an alarm seen once
    alarm = _alarm(town)
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)

    # when the condition recurs (an UPDATE, no step), as raising it again does
    Alarm.objects.filter(pk=alarm.pk).update(
        occurrences=F("occurrences") + 2,
        last_occurred_at=alarm.last_occurred_at + timedelta(seconds=40),
    )
    response = _poll(client, marks)

    # then the row shows three occurrences and the last one's time
    row = _changed_row(response.content.decode(), alarm.pk)
    assert 'data-occurrences="3"' in row
    assert 'data-rank="0 0 3"' in row
    assert "3 次" in row
    assert _poll(client, marks).status_code == 204


def test_a_poll_with_many_changes_costs_the_same_as_one_with_one(
    client, town, grid_worker_a, operator, django_assert_num_queries
):
    alarms = [_alarm(town) for _index in range(12)]
    sign_in_as(client, grid_worker_a)
    one = _board_marks(client)
    many = dict(one)
    _poll(client, dict(one))  # warm
    alarm_actions.alarm_acknowledge(actor=operator, alarm_id=alarms[0].pk)

    with django_assert_num_queries(6) as single:
        _poll(client, one)
    for alarm in alarms[1:]:
        alarm_actions.alarm_acknowledge(actor=operator, alarm_id=alarm.pk)
    with django_assert_num_queries(6) as twelve:
        html = _poll(client, many).content.decode()

    assert len(single.captured_queries) == len(twelve.captured_queries)
    assert html.count('data-rank="1 0 1"') == 12


def test_a_change_outside_the_area_shows_nothing_and_moves_the_marks_on(
    client, town, grid_worker_a, make_member
):
    mine = _alarm(town)
    elsewhere = _alarm(town, cell=town.grid_b, summary="别的网格的告警")
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)
    step = marks["step"]

    alarm_actions.alarm_acknowledge(
        actor=make_member(Role.GRID_WORKER, town.grid_b, "worker_b"), alarm_id=elsewhere.pk
    )
    html = _poll(client, marks).content.decode()

    assert _ids(html) == []
    assert "别的网格的告警" not in html
    assert int(marks["step"]) > int(step)
    assert _poll(client, marks).status_code == 204
    assert mine.pk in _ids(client.get(BOARD).content.decode())


def test_a_poll_with_broken_marks_answers_and_changes_nothing(client, town, grid_worker_a):
    alarm = _alarm(town)
    sign_in_as(client, grid_worker_a)

    response = client.get(CHANGES, {"after": "abc", "step": "-1", "seen": "9" * 40})
    largest = client.get(CHANGES, {"after": "0", "step": "0", "seen": "9" * 16})

    assert response.status_code == 200
    assert _ids(response.content.decode()) == [alarm.pk]
    assert largest.status_code == 200
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACTIVE


def test_a_filtered_board_polls_with_its_filters(client, town, operator):
    smoke = ScenarioFactory(code="smoke", severity="critical")
    sign_in_as(client, operator)
    html = client.get(BOARD, {"severity": "critical"}).content.decode()
    marks = _marks(html)
    assert 'id="gg-applied-severity" name="severity" value="critical"' in html

    critical = _alarm(town, scenario=smoke)
    warning = _alarm(town)
    fragment = _poll(client, {**marks, "severity": "critical"}).content.decode()

    assert _ids(fragment) == [critical.pk]
    assert warning.pk not in _ids(fragment)


def test_a_board_far_behind_is_told_to_load_afresh(client, town, grid_worker_a, monkeypatch):
    monkeypatch.setattr(selectors, "BOARD_CATCH_UP_LIMIT", 2)
    sign_in_as(client, grid_worker_a)
    marks = _board_marks(client)
    for _index in range(3):
        _alarm(town)

    response = _poll(client, marks)

    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    assert response.content == b""


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
