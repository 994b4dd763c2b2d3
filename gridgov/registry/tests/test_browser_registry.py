"""Browser journey through the registry pages with Debian's chromium (same launch rules as
``gridgov/web/tests/test_browser.py``): search a person, open them, open their household file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.registry.models import Residency
from gridgov.registry.tests.factories import ResidencyFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    with page.expect_navigation():
        page.click("form[action*='login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_a_grid_worker_finds_a_person_by_initials_and_opens_their_household_file(
    browser_page,
    live_server,
    town,
    places,
    person_factory,
    make_member,
):
    # given 张三 lives in 12号楼1单元101室 of grid A, and a grid worker of grid A
    zhang = person_factory(name="张三", cell=town.grid_a)
    person_factory(name="李四", cell=town.grid_a)
    dwelling = places.dwellings[0]
    ResidencyFactory(person=zhang, dwelling=dwelling, role=Residency.Role.OWNER)
    make_member(Role.GRID_WORKER, town.grid_a, "browser_registry")
    page = browser_page
    _sign_in(page, live_server, "browser_registry")
    page.goto(f"{live_server.url}{reverse('registry:person_list')}")
    assert page.locator("[data-person]").count() == 2

    # when she types the initials, the list narrows as she types (htmx), with no reload
    page.fill("#gg-people-q", "zs")
    page.wait_for_function("document.querySelectorAll('[data-person]').length === 1")
    assert page.url == f"{live_server.url}{reverse('registry:person_list')}"  # no search in URL
    with page.expect_navigation():
        page.get_by_role("link", name="张三").first.click()
    assert page.url.endswith(reverse("registry:person_detail", args=[zhang.pk]))

    # then the household file shows the dwelling with her among the current residents
    with page.expect_navigation():
        page.click(f"a[href='{reverse('registry:dwelling_detail', args=[dwelling.pk])}']")
    assert dwelling.address in page.inner_text("h1")
    assert "张三" in page.inner_text("#gg-current")
