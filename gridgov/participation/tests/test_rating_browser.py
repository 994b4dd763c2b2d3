"""A resident rates the property company from a phone-sized chromium, then sees the ranking
with its chart once the survey closes."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.participation.models import RatingResponse
from gridgov.participation.services.ratings import survey_close
from gridgov.participation.tests.factories import supervision_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 375, "height": 740}


def _phone_page(browser: Any, live_server: Any, user: Any) -> Any:
    client = sign_in_as(Client(), user)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
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


def test_resident_rates_from_a_phone_and_then_sees_the_ranking(chromium_browser, live_server, town):
    world = supervision_world(town)
    page = _phone_page(chromium_browser, live_server, world.resident)

    page.goto(f"{live_server.url}{reverse('participation:rating_home')}")
    page.click("#gg-rate-now a")
    for item in world.survey.survey_items.all():
        page.click(f"label[for='gg-item-{item.pk}-5']")
    page.fill("#gg-comment", "保洁很好")
    page.click("#gg-rating-form button[type=submit]")
    page.wait_for_selector("#gg-rated")

    # nothing wider than the phone: the form and the record fit at 375 px
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    response = RatingResponse.objects.get()
    assert (response.weighted_stars, response.comment) == (25, "保洁很好")

    survey_close(actor=world.staff, survey=world.survey)
    page.goto(f"{live_server.url}{reverse('participation:ranking_latest')}")
    page.wait_for_selector("#gg-ranking-chart[data-drawn='1']")
    assert page.inner_text("#gg-red-list").count("绿城物业") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
