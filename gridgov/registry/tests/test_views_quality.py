"""The data-quality page, the tag overview and the home-page people figures."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.registry.models import Person, PersonTag, Tag
from gridgov.registry.selectors.summary import registry_summary_for_actor, tag_counts_for_actor
from gridgov.registry.tests.helpers_views import (
    World,
    build_world,
    sign_in_as,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, places, person_factory, make_member) -> World:
    return build_world(
        town=town, places=places, person_factory=person_factory, make_member=make_member
    )


def test_quality_page_shows_the_accuracy_of_the_scope_and_its_areas_worst_first(
    world: World,
) -> None:
    # given one of the two people in grid A verified today, nobody in grid B
    Person.objects.filter(pk=world.person_a.pk).update(verified_at=timezone.now())
    client = sign_in_as(Client(), world.users["community_staff"])
    response = client.get(reverse("registry:quality"))
    html = response.content.decode()
    assert response.status_code == 200
    accuracy = html.split('id="gg-accuracy"')[1].split("</div>")[0]
    assert "50.0%" in accuracy
    assert "彭渡" not in html  # grid B is outside community A


def test_quality_records_to_fix_list_people_masked(world: World, town) -> None:
    client = sign_in_as(Client(), world.users["community_staff"])
    url = reverse("registry:quality") + f"?cell={town.grid_a.code}&issue=unverified"
    html = client.get(url).content.decode()
    records = html.split('id="gg-records"')[1]
    assert "张三" in records
    assert "李四" in records
    assert world.person_a.id_number_last4 in records


def test_tag_counts_count_only_people_in_scope(world: World, town) -> None:
    tag = Tag.objects.get(code="volunteer")
    for person in (world.person_a, world.person_b):
        PersonTag.objects.create(
            person=person, tag=tag, source=PersonTag.Source.STAFF, set_at=timezone.now()
        )
    counts = {
        item.code: item.count for item in tag_counts_for_actor(actor=world.users["grid_worker_a"])
    }
    assert counts["volunteer"] == 1
    html = sign_in_as(Client(), world.users["grid_worker_a"]).get(reverse("registry:tag_list"))
    assert reverse("registry:person_list") + "?tag=volunteer" in html.content.decode()


def test_sensitive_tags_are_not_counted_for_roles_without_sensitive_permission(
    world: World,
) -> None:
    counts = {
        item.code: item.count for item in tag_counts_for_actor(actor=world.users["grid_worker_a"])
    }
    staff_counts = {
        item.code: item.count for item in tag_counts_for_actor(actor=world.users["community_staff"])
    }
    assert counts["disability"] is None
    assert staff_counts["disability"] == 0


def test_registry_summary_counts_the_actors_scope(world: World) -> None:
    Person.objects.filter(pk=world.tenant_a.pk).update(is_migrant=True)
    summary = registry_summary_for_actor(
        actor=world.users["grid_worker_a"], today=timezone.localdate()
    )
    assert (
        summary.residents,
        summary.migrants,
        summary.registered,
        summary.households,
        summary.dwellings,
        summary.leases_active,
        summary.leases_expiring,
    ) == (2, 1, 1, 1, 6, 1, 1)


def test_registry_summary_of_a_role_without_registry_permissions_is_empty(world: World) -> None:
    summary = registry_summary_for_actor(actor=world.users["resident"])
    assert summary.is_empty
    assert (summary.residents, summary.dwellings, summary.tags) == (0, 0, [])


def test_home_figures_partial_renders_the_summary(world: World, rf) -> None:
    request = rf.get("/")
    request.user = world.users["operator"]
    summary = registry_summary_for_actor(actor=world.users["operator"])
    html = render_to_string(
        "registry/_home_figures.html", {"registry_summary": summary}, request=request
    )
    residents = html.split('data-figure="residents"')[1].split('gg-stat-value">')[1]
    assert residents.startswith("3<")
    assert reverse("registry:lease_list") + "?view=expiring" in html


def test_registry_summary_uses_a_bounded_number_of_queries(
    world: World, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(9):
        registry_summary_for_actor(actor=world.users["operator"], today=datetime.date(2026, 1, 1))
