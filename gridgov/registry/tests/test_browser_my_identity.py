"""Browser journey (Debian's chromium, loopback only): a resident links their account on a phone
(375 px) with the code sent to the phone on record, and sees their record masked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.core.models import Notification
from gridgov.registry.models import PersonAccount, Residency
from gridgov.registry.tests.factories import OwnershipFactory, ResidencyFactory
from gridgov.registry.tests.helpers_views import sign_in_as

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 375, "height": 740}
ID_NUMBER = "310112198001011230"


def _phone_context(browser: Any, live_server: Any, user: Any) -> Any:
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
    return context


def test_a_resident_links_their_account_on_a_phone_with_the_sms_code(
    chromium_browser, live_server, town, places, person_factory, make_member
):
    # given an owner with a phone on record, and a resident's account
    owner = person_factory(name="王建国", id_number=ID_NUMBER, phone="13912345678")
    ResidencyFactory(person=owner, dwelling=places.dwellings[0], role=Residency.Role.OWNER)
    OwnershipFactory(owner=owner, dwelling=places.dwellings[0])
    resident = make_member(Role.RESIDENT, town.grid_a, "browser_resident")
    context = _phone_context(chromium_browser, live_server, resident)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(f"{live_server.url}{reverse('registry:my_identity')}")

        # when she asks for a code with her name and ID number
        page.fill("#gg-code-request input[name=name]", "王建国")
        page.fill("#gg-code-request input[name=id_number]", ID_NUMBER)
        with page.expect_navigation():
            page.click("#gg-code-request button[type=submit]")
        assert "验证码已通过短信发送" in page.inner_text("#gg-code-answer")
        sms = Notification.objects.get(channel=Notification.Channel.SMS)
        code = re.search(r"\d{6}", sms.subject).group(0)

        # and types the code she received
        page.fill("#gg-code-confirm input[name=code]", code)
        with page.expect_navigation():
            page.click("#gg-code-confirm button[type=submit]")

        # then her account is linked and the page shows her record masked, fitting the phone
        assert PersonAccount.objects.get().person_id == owner.pk
        assert page.inner_text("#gg-my-name") == "王**"
        assert page.inner_text("#gg-my-id") == "310112********1230"
        assert "12号楼 ***" in page.inner_text("#gg-my-ownerships")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
