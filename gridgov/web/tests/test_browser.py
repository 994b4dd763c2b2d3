"""Browser journeys through the shell with Debian's chromium (never a downloaded browser).

Outside CI a missing chromium skips these tests with the reason; under ``CI=true`` they fail.
"""

from __future__ import annotations

import pytest

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.grids.models import Post
from gridgov.grids.tests.factories import StaffAssignmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]


def _sign_in(page, live_server, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action*='login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def worker(town, make_member):
    """A grid worker of grid A (no second factor needed) with a colleague on duty."""
    StaffAssignmentFactory(cell=town.micro_a1, post=Post.MICRO_GRID_CHIEF)
    return make_member(Role.GRID_WORKER, town.grid_a, "browser_worker")


def test_signing_in_shows_the_home_page_with_the_figures_of_the_own_grid(
    browser_page, live_server, town, worker
):
    page = browser_page

    _sign_in(page, live_server, "browser_worker")

    assert page.url == f"{live_server.url}/"
    assert page.inner_text("[data-figure='cells-grid'] .gg-stat-value") == "1"
    assert page.inner_text("[data-figure='cells-micro_grid'] .gg-stat-value") == "2"
    assert page.inner_text("[data-figure='staff'] .gg-stat-value") == "1"
    # overview, notifications, alarm board, gate access, areas, map, staff, people, housing,
    # rentals, tags, data quality, case queues, report, visits, case map; owners' votes,
    # property-service rating, disclosure, consultations, projects
    assert page.locator("#gg-nav [data-nav]").count() == 21


def test_a_wrong_password_shows_the_error_and_stays_on_the_sign_in_page(
    browser_page, live_server, town, worker
):
    page = browser_page

    _sign_in(page, live_server, "browser_worker", "not-the-password")

    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.locator(".alert-danger, .invalid-feedback, [role=alert]").count() >= 1
    assert page.locator("#gg-nav").count() == 0


def test_opening_the_area_tree_and_expanding_a_node_loads_its_children(
    browser_page, live_server, town, worker
):
    page = browser_page
    _sign_in(page, live_server, "browser_worker")
    page.goto(f"{live_server.url}/grids/")

    # the own grid opens at once; collapse and reopen it, then open a micro-grid's page
    toggle = page.locator(f"[aria-controls='gg-children-{town.grid_a.code}']")
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle.click()
    assert page.locator(f"#gg-children-{town.grid_a.code}").is_hidden()
    toggle.click()
    with page.expect_navigation():
        page.get_by_role("link", name=town.micro_a2.name).click()

    assert page.url.endswith(f"/grids/cells/{town.micro_a2.code}/")
    assert town.grid_a.name in page.inner_text("#gg-breadcrumb")


def test_expanding_a_closed_node_fetches_its_children_over_htmx(
    browser_page, live_server, town, operator, settings
):
    settings.DEMO_MODE = True  # the operator's second factor is off, as in the demo
    page = browser_page
    _sign_in(page, live_server, "operator")
    page.goto(f"{live_server.url}/grids/")
    children = page.locator(f"#gg-children-{town.community_b.code}")
    assert children.locator("li").count() == 0

    page.locator(f"[aria-controls='gg-children-{town.community_b.code}']").click()

    page.wait_for_selector(
        f"#gg-children-{town.community_b.code} li[data-code='{town.grid_b.code}']"
    )
    assert children.is_visible()


def test_the_map_draws_the_boundaries_of_the_chosen_level(browser_page, live_server, town, worker):
    page = browser_page
    _sign_in(page, live_server, "browser_worker")

    page.goto(f"{live_server.url}/grids/map/")
    page.wait_for_selector("#gg-map[data-loaded]")

    assert page.get_attribute("#gg-map", "data-loaded") == "2"
    assert page.locator("#gg-map path.leaflet-interactive").count() == 2
    assert page.locator(".leaflet-tile").count() == 0
