"""The alarm board in Debian's chromium: an alarm raised after the page loaded appears without a
reload, and is acknowledged from the board; the alarm page at desktop and phone width."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.sensing.models import AlarmStatus, AlarmStep
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
