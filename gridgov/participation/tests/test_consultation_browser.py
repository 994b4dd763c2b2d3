"""In Debian's chromium: a resident answers a consultation from a phone-sized screen, and staff
see the result chart and the programme funnel drawn."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.participation.models import ConsultationAnswer
from gridgov.participation.services.projects import (
    ELEVATOR_TEMPLATE,
    project_create,
    project_stage_reach,
)
from gridgov.participation.tests.factories import (
    consultation_over,
    estate_with_households,
    resident_account,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


def _page_for(browser: Any, live_server: Any, user: Any, *, phone: bool = False) -> Any:
    client = Client()
    client.force_login(user)
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


def test_a_resident_answers_from_a_phone_sized_screen(chromium_browser, live_server, town):
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over([place], cell=town.grid_a, title="加装电梯意向征询")
    resident = resident_account(place.people[0], town.grid_a)
    page = _page_for(chromium_browser, live_server, resident, phone=True)

    page.goto(f"{live_server.url}{reverse('participation:my_consultations')}")
    page.click(f"[data-consultation='{consultation.pk}']")
    page.click("#gg-answer-yes")
    page.wait_for_selector("#gg-my-answer")

    assert "同意" in page.inner_text("#gg-my-answer")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    answer = ConsultationAnswer.objects.get()
    assert (answer.household_id, answer.choice) == (place.households[0].pk, "yes")


def test_staff_see_the_result_chart_and_the_funnel_drawn(
    chromium_browser, live_server, town, make_member
):
    staff = make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")
    place = estate_with_households(town.grid_a, households=2)
    consultation = consultation_over([place], cell=town.grid_a)
    project = project_create(
        actor=staff, template_code=ELEVATOR_TEMPLATE, building_id=place.building.pk
    )
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )
    page = _page_for(chromium_browser, live_server, staff)

    page.goto(
        f"{live_server.url}{reverse('participation:consultation_detail', args=[consultation.pk])}"
    )
    page.wait_for_selector("#gg-consultation-chart[data-drawn='1']")
    page.goto(f"{live_server.url}{reverse('participation:project_programme')}")
    page.wait_for_selector("#gg-funnel-chart[data-drawn='1']")

    assert page.inner_text("[data-stage='intent'] [data-figure='reached']") == "1"
