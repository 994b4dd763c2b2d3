"""Browser journeys through the case pages with Debian's chromium, each from intake to a rated
closure: a resident's report rated by herself; a hotline call and a grid worker's visit (reached
from a building's QR page) rated at the callback (回访) by the operations centre and by the
community; a third-party Open311 client's request and an alarm's system case, handled on the
pages and rated at the operations centre's callback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.cases.models import Case, Channel, Status, Visit
from gridgov.cases.tests.helpers_pages import PNG, build_case_world, sign_in_as

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 390, "height": 844}
# The filled colour of each satisfaction answer once chosen (Bootstrap's success/secondary/danger).
SOLID = {
    5: "rgb(25, 135, 84)",
    4: "rgb(25, 135, 84)",
    3: "rgb(108, 117, 125)",
    2: "rgb(220, 53, 69)",
    1: "rgb(220, 53, 69)",
}
# Set GRIDGOV_SCREENSHOTS to a folder to keep a picture of each page the journeys pass.
SHOTS = os.environ.get("GRIDGOV_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(SHOTS) / f"{name}.png"), full_page=True, animations="disabled"
        )


def _context_for(browser: Any, live_server: Any, user: Any, *, phone: bool = False) -> Any:
    """A browser context already signed in as ``user`` (second factor passed)."""
    client = sign_in_as(Client(), user)
    viewport = PHONE if phone else {"width": 1280, "height": 800}
    context = browser.new_context(
        viewport=viewport, locale="zh-CN", is_mobile=phone, has_touch=phone
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
    return context


def _act(page: Any, action: str, fill: dict[str, str] | None = None) -> None:
    """Open an action's form on the case page, fill it in and confirm."""
    page.click(f"[data-action-toggle={action}]")
    # Wait for the end of Bootstrap's collapse transition (``collapsing`` → ``collapse show``):
    # on a busy machine a click during it can land on whatever the moving layout puts there.
    page.wait_for_selector(f"#gg-act-{action}.collapse.show", state="visible")
    form = page.locator(f"form[data-action-form={action}]")
    form.wait_for(state="visible")
    for selector, value in (fill or {}).items():
        field = form.locator(selector)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def _page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def _handle_to_resolved(
    live_server: Any, case: Case, handler_page: Any, operator_page: Any, world: Any
) -> None:
    """The department handler accepts, the operations centre dispatches it to him, he starts
    and resolves it — each by the buttons of the case page."""
    url = f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}"
    handler_page.goto(url)
    _act(handler_page, "accept")
    operator_page.goto(url)
    _act(
        operator_page,
        "dispatch",
        {
            "[name=dispatch-department]": str(world.department.pk),
            "[name=dispatch-assignee]": str(world.users["handler"].pk),
        },
    )
    handler_page.goto(url)
    _act(handler_page, "start")
    _act(handler_page, "resolve", {"[name=resolve-note]": "已更换栏杆并加固"})
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED


def _record_callback(page: Any, rating: int, words: str, shot: str) -> None:
    """回访 on the case page: tap the satisfaction, type what the person said, save."""
    form = page.locator("#gg-callback form")
    form.scroll_into_view_if_needed()
    page.click(f"label[for=gg-callback-{rating}]")
    assert page.is_checked(f"#gg-callback-{rating}")
    # the chosen answer turns solid in its colour, so the choice is plain to see
    page.wait_for_function(
        "([selector, colour]) => getComputedStyle(document.querySelector(selector))"
        ".backgroundColor === colour",
        arg=[f"label[for=gg-callback-{rating}]", SOLID[rating]],
    )
    page.fill("[name=callback-comment]", words)
    _shot(page, shot)
    with page.expect_navigation():
        page.click("#gg-callback-submit")


def _assert_closed_with_rating(page: Any, case: Case, rating: int, by: Any) -> None:
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.rating == rating
    assert page.get_attribute("#gg-case-head [data-status]", "data-status") == Status.CLOSED
    assert f"{rating}/5" in page.inner_text("#gg-rating")
    assert (by.display_name or by.username) in page.inner_text("#gg-rating-callback")
    assert page.locator("#gg-callback").count() == 0
    timeline = page.locator("#gg-timeline [data-event]").evaluate_all(
        "els => els.map(e => e.dataset.event)"
    )
    assert timeline[-2:] == ["rated", "closed"]
    assert "回访" in page.inner_text("#gg-timeline [data-event=rated]")


def test_a_resident_report_is_walked_to_a_rated_closure(
    chromium_browser, live_server, town, tmp_path
):
    world = build_case_world(town)
    photo = tmp_path / "railing.png"
    photo.write_bytes(PNG)

    # given a resident who signs in on her phone
    resident = chromium_browser.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = resident.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "c_resident")
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("form[action*='login'] button[type=submit]")

    # when she reports a broken railing with a photo, the place tapped on the map
    page.goto(f"{live_server.url}{reverse('cases:report')}")
    page.wait_for_selector("#gg-pick-map.leaflet-container")
    page.select_option("#id_category", "railing")
    page.fill("#id_description", "楼下人行道的栏杆断了，小孩容易摔下去")
    page.set_input_files("#gg-photos-photos", str(photo))
    page.locator("#gg-pick-map").scroll_into_view_if_needed()
    box = page.locator("#gg-pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert page.input_value("#id_lat")
    assert page.input_value("#id_lng")
    _shot(page, "phone-report")
    with page.expect_navigation():
        page.click("#gg-report-submit")

    # then the case exists, routed to the department, with her photo
    case = Case.objects.get()
    assert case.channel == Channel.RESIDENT
    assert case.status == Status.NEW
    assert case.department == world.department
    assert case.attachments.count() == 1
    assert case.number in page.inner_text("#gg-case-head")
    _shot(page, "phone-case-new")

    # the handler accepts it
    handler = _context_for(chromium_browser, live_server, world.users["handler"])
    hpage = handler.new_page()
    hpage.set_default_timeout(30_000)
    hpage.goto(f"{live_server.url}{reverse('cases:queue')}?tab=department")
    assert hpage.locator(f"[data-case='{case.number}']").count() == 1
    hpage.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    _act(hpage, "accept")
    assert (
        "已受理" in hpage.inner_text("#gg-case-head")
        or Case.objects.get().status == Status.ACCEPTED
    )

    # the operations centre dispatches it to the handler
    operator = _context_for(chromium_browser, live_server, world.users["operator"])
    opage = operator.new_page()
    opage.set_default_timeout(30_000)
    opage.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    _act(
        opage,
        "dispatch",
        {
            "[name=dispatch-department]": str(world.department.pk),
            "[name=dispatch-assignee]": str(world.users["handler"].pk),
        },
    )
    assert Case.objects.get().status == Status.DISPATCHED
    _shot(opage, "desktop-case-dispatched")

    # the handler starts and resolves it with a note
    hpage.goto(f"{live_server.url}{reverse('cases:queue')}?tab=mine")
    assert hpage.locator(f"[data-case='{case.number}']").count() == 1
    hpage.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    _act(hpage, "start")
    _act(hpage, "resolve", {"[name=resolve-note]": "已更换栏杆并加固"})
    assert Case.objects.get().status == Status.RESOLVED

    # the resident is told, rates 5 and the case closes
    page.goto(f"{live_server.url}{reverse('cases:notifications')}")
    _shot(page, "phone-notifications")
    page.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    page.click("label[for=gg-star-5]")
    page.fill("[name=rate-comment]", "很快就修好了")
    _shot(page, "phone-rate")
    with page.expect_navigation():
        page.click("#gg-rate-submit")
    case.refresh_from_db()
    assert case.rating == 5
    assert case.status == Status.CLOSED
    assert "5/5" in page.inner_text("#gg-rating")
    timeline = page.locator("#gg-timeline [data-event]").evaluate_all(
        "els => els.map(e => e.dataset.event)"
    )
    assert timeline[0] == "created"
    assert "resolved" in timeline
    assert "rated" in timeline
    _shot(page, "phone-case-closed")
    for context in (resident, handler, operator):
        context.close()


def test_a_hotline_call_is_walked_to_a_closure_rated_at_the_callback(
    chromium_browser, live_server, town
):
    world = build_case_world(town)
    context = _context_for(chromium_browser, live_server, world.users["operator"])
    page = _page(context)
    page.goto(f"{live_server.url}{reverse('cases:hotline')}")
    page.fill("#id_reporter_name", "王阿姨")
    page.fill("#id_reporter_phone", "13912345678")
    page.select_option("#id_category", "railing")
    page.fill("#id_description", "我家楼下栏杆坏了好几天了")
    # the building is found by typing part of its name
    page.fill("#gg-building-q", "飞碟苑12")
    page.click(f"[data-building-id='{world.building.pk}']")
    assert page.input_value("#id_building_id") == str(world.building.pk)
    _shot(page, "desktop-hotline")
    with page.expect_navigation():
        page.click("#gg-hotline-submit")

    case = Case.objects.get()
    assert case.channel == Channel.HOTLINE
    assert case.description == "我家楼下栏杆坏了好几天了"
    assert case.building == world.building
    html = page.content()
    assert "13912345678" not in html
    assert "5678" in html

    # the department handles it through the case page
    handler = _context_for(chromium_browser, live_server, world.users["handler"])
    _handle_to_resolved(live_server, case, _page(handler), page, world)

    # the operator calls 王阿姨 back and records that she is satisfied
    page.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    assert "王阿姨" in page.inner_text("#gg-callback-who")
    assert "139****5678" in page.inner_text("#gg-callback-who")
    _record_callback(page, 4, "栏杆已经修好了，比较满意", "desktop-callback")
    _assert_closed_with_rating(page, case, 4, world.users["operator"])
    _shot(page, "desktop-case-closed-callback")
    for item in (context, handler):
        item.close()


def test_a_grid_workers_visit_case_is_walked_to_a_closure_rated_at_the_callback(
    chromium_browser, live_server, town, tmp_path
):
    world = build_case_world(town)
    photo = tmp_path / "corridor.png"
    photo.write_bytes(PNG)
    context = _context_for(chromium_browser, live_server, world.users["gridworker"], phone=True)
    context.grant_permissions(["geolocation"], origin=live_server.url)
    context.set_geolocation({"latitude": 31.1001, "longitude": 121.0502, "accuracy": 12})
    page = context.new_page()
    page.set_default_timeout(30_000)

    # the building's printable sheet holds a QR code of its visit form
    page.goto(f"{live_server.url}{reverse('cases:qr_sheet', args=[world.building.pk])}")
    assert page.locator("#gg-qr svg").count() == 1
    visit_url = page.inner_text("#gg-qr-sheet .text-break")
    assert visit_url.endswith(reverse("cases:visit", args=[world.building.pk]))
    _shot(page, "phone-qr-sheet")

    # scanning it opens the visit form, which takes the position from the phone
    page.goto(visit_url)
    page.wait_for_function("document.querySelector('[name=lat]').value !== ''")
    page.fill("#id_note", "3楼走道堆放杂物，堵住消防通道")
    page.set_input_files("#gg-photos-photos", str(photo))
    page.select_option("#id_open_case_category", "railing")
    _shot(page, "phone-visit")
    with page.expect_navigation():
        page.click("#gg-visit-submit")

    visit = Visit.objects.get()
    assert visit.lat == pytest.approx(31.1001)
    assert visit.accuracy_m == 12
    assert visit.case is not None
    assert visit.case.channel == Channel.VISIT
    assert page.url.endswith(reverse("cases:case_detail", args=[visit.case_id]))

    # the department handles it, dispatched by the operations centre
    handler = _context_for(chromium_browser, live_server, world.users["handler"])
    operator = _context_for(chromium_browser, live_server, world.users["operator"])
    _handle_to_resolved(live_server, visit.case, _page(handler), _page(operator), world)

    # the community's staff call the household back from a phone and record its satisfaction
    community = _context_for(chromium_browser, live_server, world.users["community"], phone=True)
    cpage = _page(community)
    cpage.goto(f"{live_server.url}{reverse('cases:case_detail', args=[visit.case_id])}")
    assert cpage.locator("#gg-callback").is_visible()
    _shot(cpage, "phone-callback-form")
    _record_callback(cpage, 5, "杂物已经清走了，很满意", "phone-callback-filled")
    _assert_closed_with_rating(cpage, visit.case, 5, world.users["community"])
    _shot(cpage, "phone-case-closed-callback")
    for item in (context, handler, operator, community):
        item.close()


def _file_open311_request(live_server: Any, key: str) -> Case:
    """A third-party 311 client files a request exactly as GeoReport v2 describes it."""
    import requests

    response = requests.post(
        f"{live_server.url}/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "railing",
            "lat": "31.1",
            "long": "121.05",
            "description": "飞碟苑12号楼门口栏杆松动",
            "first_name": "三",
            "last_name": "张",
            "phone": "13812345678",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    (created,) = response.json()
    return Case.objects.get(number=created["service_request_id"])


def _file_alarm_case(world: Any) -> Case:
    """An alarm opens a case through the system intake other parts of the platform use."""
    from gridgov.cases.services.intake import case_report_from_system

    return case_report_from_system(
        source="烟感报警",
        source_ref="smoke-0042",
        category_code="railing",
        description="12号楼楼道报警后巡查发现栏杆脱落",
        building_id=world.building.pk,
    )


@pytest.mark.parametrize("channel", [Channel.OPEN311, Channel.SYSTEM])
def test_a_client_systems_or_an_alarms_case_is_walked_to_a_closure_rated_at_the_callback(
    chromium_browser, live_server, town, channel
):
    from gridgov.cases.services.api_clients import api_client_issue

    world = build_case_world(town)
    if channel == Channel.OPEN311:
        _client, key = api_client_issue(actor=world.users["admin"], name="市民热线小程序")
        case = _file_open311_request(live_server, key)
    else:
        case = _file_alarm_case(world)
    assert case.channel == channel
    assert case.department == world.department

    # it waits in the department's queue, is handled there and dispatched by the centre
    handler = _context_for(chromium_browser, live_server, world.users["handler"])
    hpage = _page(handler)
    hpage.goto(f"{live_server.url}{reverse('cases:queue')}?tab=department")
    assert hpage.locator(f"[data-case='{case.number}']").count() == 1
    operator = _context_for(chromium_browser, live_server, world.users["operator"])
    opage = _page(operator)
    _handle_to_resolved(live_server, case, hpage, opage, world)

    # the operations centre calls back (the client's reporter, or the building for an alarm)
    opage.goto(f"{live_server.url}{reverse('cases:case_detail', args=[case.pk])}")
    _record_callback(opage, 5, "已处理，满意", f"desktop-callback-{channel}")
    _assert_closed_with_rating(opage, case, 5, world.users["operator"])
    for item in (handler, operator):
        item.close()
