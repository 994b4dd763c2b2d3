"""The alarm board in Debian's chromium: an alarm raised after the page loaded appears without a
reload, and is acknowledged from the board; what another operator does in another browser
(acknowledging, clearing) shows on the first board without a reload; the alarm page at desktop
and phone width."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.sensing.models import Alarm, AlarmStatus, AlarmStep
from gridgov.sensing.tests.factories import AlarmFactory, ScenarioFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Set GRIDGOV_SCREENSHOTS to a folder to keep a picture of each page the journey passes.
SHOTS = os.environ.get("GRIDGOV_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(SHOTS) / f"{name}.png"), full_page=True, animations="disabled"
        )


def _page_for(browser: Any, live_server: Any, user: Any, *, phone: bool = False) -> Any:
    """A page in a browser context already signed in as ``user`` (second factor passed)."""
    client = sign_in_as(Client(), user)
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def _alarm(town: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("cell", town.micro_a1)
    alarm = AlarmFactory(**kwargs)
    alarm.device.lng, alarm.device.lat = kwargs.pop("lng", 121.05), kwargs.pop("lat", 31.1)
    alarm.device.save(update_fields=["lng", "lat"])
    return alarm


def test_a_new_alarm_appears_on_the_open_board_and_is_acknowledged_there(
    chromium_browser, live_server, town, make_member
):
    # given an operator watching the board with one alarm on it
    operator = make_member(Role.OPERATOR, town.town, "operator")
    first = _alarm(town, summary="飞碟苑12号楼消防通道门常开")
    page = _page_for(chromium_browser, live_server, operator)
    page.goto(f"{live_server.url}{reverse('alarms:board')}")
    page.wait_for_selector(f"#gg-alarm-{first.pk}")
    page.wait_for_selector("#gg-alarm-map[data-markers='1']")
    page.evaluate("window.ggLoadedOnce = true")

    # when an alarm is raised after the page loaded
    smoke = ScenarioFactory(code="smoke", name="烟感报警", severity="critical")
    raised = _alarm(town, scenario=smoke, summary="飞碟苑8号楼烟感报警")

    # then it arrives with the next poll, on top, on the map, without a reload
    row = page.wait_for_selector(f"#gg-alarm-{raised.pk}")
    assert page.evaluate("window.ggLoadedOnce") is True
    ids = page.eval_on_selector_all("#gg-alarm-list [data-alarm-id]", "rows => rows.map(r => r.id)")
    assert ids == [f"gg-alarm-{raised.pk}", f"gg-alarm-{first.pk}"]
    page.wait_for_selector("#gg-alarm-map[data-markers='2']")
    assert page.inner_text("[data-figure=active] .gg-stat-value") == "2"
    _shot(page, "alarm-board-desktop")

    # and the operator acknowledges it from the board
    row.query_selector("[data-acknowledge]").click()
    page.wait_for_selector(f"#gg-alarm-{raised.pk}[data-status=acknowledged]")
    raised.refresh_from_db()
    assert raised.status == AlarmStatus.ACKNOWLEDGED
    assert raised.acknowledged_by == operator
    assert raised.steps.filter(action=AlarmStep.Action.ACKNOWLEDGED).count() == 1

    phone = _page_for(chromium_browser, live_server, operator, phone=True)
    phone.goto(f"{live_server.url}{reverse('alarms:board')}")
    phone.wait_for_selector(f"#gg-alarm-{raised.pk}")
    _shot(phone, "alarm-board-phone")

    page.goto(f"{live_server.url}{reverse('alarms:detail', args=[raised.pk])}")
    page.wait_for_selector("[data-step=acknowledged]")
    _shot(page, "alarm-detail-desktop")
    phone.goto(f"{live_server.url}{reverse('alarms:detail', args=[raised.pk])}")
    phone.wait_for_selector("#gg-clear-form")
    _shot(phone, "alarm-detail-phone")


def test_what_another_operator_does_shows_on_the_open_board_without_a_reload(
    chromium_browser, live_server, town, make_member
):
    # given two operators, each with the board open in a browser of their own
    first_operator = make_member(Role.OPERATOR, town.town, "operator")
    second_operator = make_member(Role.OPERATOR, town.town, "operator2")
    smoke = ScenarioFactory(code="smoke", name="烟感报警", severity="critical")
    door = _alarm(town, summary="飞碟苑12号楼消防通道门常开")
    fire = _alarm(town, scenario=smoke, summary="飞碟苑8号楼烟感报警")
    fire.device.lng, fire.device.lat = 121.1, 31.12
    fire.device.save(update_fields=["lng", "lat"])
    watcher = _page_for(chromium_browser, live_server, first_operator)
    other = _page_for(chromium_browser, live_server, second_operator)
    board = f"{live_server.url}{reverse('alarms:board')}"
    watcher.goto(board)
    other.goto(board)
    watcher.wait_for_selector("#gg-alarm-map[data-markers='2']")
    watcher.evaluate("window.ggLoadedOnce = true")
    assert watcher.inner_text("[data-figure=active] .gg-stat-value") == "2"

    # when the other operator acknowledges the smoke alarm on their board
    other.click(f"#gg-alarm-{fire.pk} [data-acknowledge]")
    other.wait_for_selector(f"#gg-alarm-{fire.pk}[data-status=acknowledged]")

    # then the first board shows who acknowledged it, the counts and the marker follow
    watcher.wait_for_selector(f"#gg-alarm-{fire.pk}[data-status=acknowledged]")
    assert str(second_operator) in watcher.inner_text(f"#gg-alarm-{fire.pk}")
    watcher.wait_for_function(
        "document.querySelector('[data-figure=acknowledged] .gg-stat-value').textContent === '1'"
    )
    assert watcher.inner_text("[data-figure=active] .gg-stat-value") == "1"
    assert watcher.evaluate("window.ggLoadedOnce") is True
    _shot(watcher, "alarm-board-acknowledged-by-another-desktop")

    # and the first operator's own acknowledgement is not undone by a poll
    watcher.click(f"#gg-alarm-{door.pk} [data-acknowledge]")
    watcher.wait_for_selector(f"#gg-alarm-{door.pk}[data-status=acknowledged]")
    watcher.wait_for_timeout(2500)  # two polls
    assert watcher.get_attribute(f"#gg-alarm-{door.pk}", "data-status") == "acknowledged"
    assert watcher.query_selector(f"#gg-alarm-{door.pk} [data-acknowledge]") is None
    # nor by an older picture of the row from a poll sent before it (a slower answer)
    watcher.evaluate(
        """id => htmx.swap("#gg-alarm-list", `<article class="gg-alarm" id="gg-alarm-${id}"
            data-alarm-id="${id}" data-status="active" data-rank="0 0 1" hx-swap-oob="true">
            stale</article>`, {swapStyle: "afterbegin"})""",
        door.pk,
    )
    assert watcher.get_attribute(f"#gg-alarm-{door.pk}", "data-status") == "acknowledged"

    # when the door alarm is cleared elsewhere, it fades and leaves the board and the map
    other.goto(f"{live_server.url}{reverse('alarms:detail', args=[door.pk])}")
    other.fill("#gg-clear-note", "门已关好")
    other.click("#gg-clear")
    other.wait_for_selector("#gg-alarm-head [data-status=cleared]")
    watcher.wait_for_selector(f"#gg-alarm-{door.pk}[data-status=cleared]")
    _shot(watcher, "alarm-board-cleared-desktop")
    watcher.wait_for_selector("#gg-alarm-map[data-markers='1']")
    watcher.wait_for_selector(f"#gg-alarm-{door.pk}", state="detached")
    assert watcher.eval_on_selector_all(
        "#gg-alarm-list [data-alarm-id]", "rows => rows.map(r => r.id)"
    ) == [f"gg-alarm-{fire.pk}"]
    assert Alarm.objects.get(pk=door.pk).status == AlarmStatus.CLEARED

    # when the smoke detector reports again (a recurrence writes no step), the count follows
    Alarm.objects.filter(pk=fire.pk).update(
        occurrences=F("occurrences") + 4,
        last_occurred_at=fire.last_occurred_at + timedelta(minutes=3),
    )
    watcher.wait_for_selector(f"#gg-alarm-{fire.pk} [data-occurrences='5']")
    assert watcher.get_attribute(f"#gg-alarm-{fire.pk}", "data-status") == "acknowledged"

    phone = _page_for(chromium_browser, live_server, first_operator, phone=True)
    phone.goto(board)
    phone.wait_for_selector(f"#gg-alarm-{fire.pk}[data-status=acknowledged]")
    _shot(phone, "alarm-board-acknowledged-phone")
