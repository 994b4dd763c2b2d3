"""The permission matrix of the registry pages: every role × every page, in and out of scope,
and no clear identity or phone number in any page a user sees without revealing it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.registry.tests.helpers_views import (
    World,
    build_world,
    clear_identifiers,
    sign_in_as,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, places, person_factory, make_member) -> World:
    return build_world(
        town=town, places=places, person_factory=person_factory, make_member=make_member
    )


ROLES = (
    "platform_admin",
    "operator",
    "department_handler",
    "community_staff",
    "grid_worker_a",
    "grid_worker_b",
    "property_staff",
    "resident",
)
PEOPLE_VIEWERS = {"platform_admin", "operator", "community_staff", "grid_worker_a", "grid_worker_b"}
PEOPLE_MANAGERS = {"platform_admin", "community_staff", "grid_worker_a", "grid_worker_b"}
PLACE_VIEWERS = PEOPLE_VIEWERS | {"department_handler", "property_staff"}
IMPORTERS = {"platform_admin", "community_staff"}
# Who covers grid A (where person_a, the estate and dwelling_a are); grid_worker_b does not.
OUTSIDE_GRID_A = {"grid_worker_b"}


def _page_urls(world: World) -> dict[str, str]:
    building = world.dwelling_a.building
    return {
        "person_list": reverse("registry:person_list"),
        "person_detail": reverse("registry:person_detail", args=[world.person_a.pk]),
        "person_register": reverse("registry:person_register"),
        "place_list": reverse("registry:place_list"),
        "estate_detail": reverse("registry:estate_detail", args=[building.estate_id]),
        "building_detail": reverse("registry:building_detail", args=[building.pk]),
        "dwelling_detail": reverse("registry:dwelling_detail", args=[world.dwelling_a.pk]),
        "lease_list": reverse("registry:lease_list") + "?view=all",
        "lease_register": reverse("registry:lease_register"),
        "tag_list": reverse("registry:tag_list"),
        "import_list": reverse("registry:import_list"),
        "import_new": reverse("registry:import_new"),
        "quality": reverse("registry:quality"),
    }


def _expected(role: str, page: str) -> int:
    """The status each role gets: 200, 403 (no permission) or 404 (outside its area)."""
    needs = {
        "person_list": PEOPLE_VIEWERS,
        "person_detail": PEOPLE_VIEWERS,
        "person_register": PEOPLE_MANAGERS,
        "place_list": PLACE_VIEWERS,
        "estate_detail": PLACE_VIEWERS,
        "building_detail": PLACE_VIEWERS,
        "dwelling_detail": PLACE_VIEWERS,
        "lease_list": PEOPLE_VIEWERS,
        "lease_register": PEOPLE_MANAGERS,
        "tag_list": PEOPLE_VIEWERS,
        "import_list": IMPORTERS,
        "import_new": IMPORTERS,
        "quality": PEOPLE_VIEWERS,
    }[page]
    if role not in needs:
        return 403
    in_grid_a = {"person_detail", "estate_detail", "building_detail", "dwelling_detail"}
    if page in in_grid_a and role in OUTSIDE_GRID_A:
        return 404
    return 200


@pytest.mark.parametrize("role", ROLES)
def test_every_role_gets_exactly_the_pages_it_may_see_and_never_a_clear_identifier(
    world: World, role: str
) -> None:
    client = sign_in_as(Client(), world.users[role])
    secrets = clear_identifiers(world)
    statuses, leaks = {}, {}
    for page, url in _page_urls(world).items():
        response = client.get(url)
        statuses[page] = response.status_code
        leaks[page] = [secret for secret in secrets if secret in response.content.decode()]
    # The searchable list, answered to a search, stays masked too.
    searched = client.post(reverse("registry:person_list"), {"q": "zhang"}).content.decode()
    leaks["search"] = [secret for secret in secrets if secret in searched]
    assert statuses == {page: _expected(role, page) for page in _page_urls(world)}
    assert leaks == {page: [] for page in leaks}


def test_anonymous_visitors_are_sent_to_sign_in_from_every_registry_page(world: World) -> None:
    client = Client()
    for url in _page_urls(world).values():
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_grid_worker_cannot_see_people_outside_own_grid_in_the_list(world: World) -> None:
    # given a grid worker in grid B
    client = sign_in_as(Client(), world.users["grid_worker_b"])
    # when they list people
    html = client.get(reverse("registry:person_list")).content.decode()
    # then only grid B's person is there
    assert "王五" in html
    assert "张三" not in html
    assert "李四" not in html


def test_person_page_shows_identifiers_masked(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    html = client.get(reverse("registry:person_detail", args=[world.person_a.pk])).content.decode()
    masked = f"{world.person_a.id_number_prefix}********{world.person_a.id_number_last4}"
    assert masked in html
    assert f"139****{PHONE_LAST4}" in html


PHONE_LAST4 = "5678"


def test_household_file_of_another_grid_answers_404_like_an_unknown_dwelling(
    world: World,
) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_b"])
    other = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk]))
    unknown = client.get(reverse("registry:dwelling_detail", args=[999999]))
    assert (other.status_code, unknown.status_code) == (404, 404)


def test_department_handler_sees_the_dwelling_but_not_its_people(world: World) -> None:
    client = sign_in_as(Client(), world.users["department_handler"])
    html = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk])).content
    text = html.decode()
    assert world.dwelling_a.address in text
    assert "张三" not in text
    assert "李四" not in text


def _writes(world: World) -> list[tuple[str, dict[str, Any]]]:
    pk = world.person_a.pk
    return [
        (reverse("registry:person_verify", args=[pk]), {}),
        (reverse("registry:person_tag_set", args=[pk]), {"tag": "volunteer", "reason": "报名"}),
        (
            reverse("registry:person_reveal", args=[pk]),
            {"field": "id_number", "purpose": "核实身份"},
        ),
        (
            reverse("registry:person_edit", args=[pk]),
            {"version": 1, "name": "张三丰", "id_type": "resident_id"},
        ),
    ]


@pytest.mark.parametrize("role", ["grid_worker_b", "department_handler", "resident"])
def test_writes_on_a_person_outside_scope_or_permission_change_nothing(
    world: World, role: str
) -> None:
    from gridgov.core.models import AuditEntry

    client = sign_in_as(Client(), world.users[role])
    audit_before = AuditEntry.objects.count()
    statuses = [client.post(url, data).status_code for url, data in _writes(world)]
    world.person_a.refresh_from_db()
    assert all(status in (403, 404) for status in statuses), statuses
    assert world.person_a.name == "张三"
    assert world.person_a.verified_at is None
    assert world.person_a.person_tags.count() == 0
    assert AuditEntry.objects.count() == audit_before
