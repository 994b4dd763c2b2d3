"""The housing pages: the places drill-down, the household file (一户一档), leases by state and
the lease registration form with the landlord and every tenant."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.registry.models import Lease, Person, Residency
from gridgov.registry.selectors.dwellings import (
    DwellingFileSection,
    dwelling_file_section_register,
    dwelling_file_section_unregister,
)
from gridgov.registry.tests.factories import PersonFactory, ResidencyFactory
from gridgov.registry.tests.helpers_housing import housing_counts, new_person_fields
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


def test_places_drill_down_leads_from_estate_to_building_to_dwelling(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    building = world.dwelling_a.building
    estates = client.get(reverse("registry:place_list")).content.decode()
    buildings = client.get(reverse("registry:estate_detail", args=[building.estate_id])).content
    rooms = client.get(reverse("registry:building_detail", args=[building.pk])).content.decode()
    assert "飞碟苑" in estates
    assert "彭渡新村" not in estates
    assert reverse("registry:building_detail", args=[building.pk]) in buildings.decode()
    assert rooms.count('data-dwelling="') == 6
    assert reverse("registry:dwelling_detail", args=[world.dwelling_a.pk]) in rooms


def test_household_file_shows_residents_owner_share_lease_tenants_and_household(
    world: World,
) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    current = html.split('id="gg-current"')[1].split("</section>")[0]
    assert "张三" in current
    assert "李四" in current
    owners = html.split('id="gg-owners"')[1].split("</section>")[0]
    assert "张三" in owners
    assert "1/1" in owners
    leases = html.split('id="gg-leases"')[1].split("</section>")[0]
    assert "李四" in leases
    assert world.lease_a.ends_on.isoformat() in leases
    assert world.person_a.name in html.split('id="gg-households"')[1]


def test_household_file_keeps_past_residents_in_its_history(world: World, person_factory) -> None:
    former = person_factory(name="钱七")
    ResidencyFactory(
        person=former,
        dwelling=world.dwelling_a,
        role=Residency.Role.TENANT,
        started_on=datetime.date(2019, 1, 1),
        ended_on=datetime.date(2020, 6, 30),
    )
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    html = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk])).content
    past = html.decode().split('id="gg-past"')[1].split("</section>")[0]
    assert "钱七" in past
    assert "2020-06-30" in past


def test_household_file_shows_sections_other_modules_contribute(world: World) -> None:
    def visits(actor, dwelling):
        return DwellingFileSection(key="visits", title="走访记录", items=["2026-03-01 入户走访"])

    dwelling_file_section_register("visits", visits)
    try:
        client = sign_in_as(Client(), world.users["grid_worker_a"])
        html = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk])).content
    finally:
        dwelling_file_section_unregister("visits")
    assert 'data-section="visits"' in html.decode()
    assert "2026-03-01 入户走访" in html.decode()


def test_household_file_uses_a_bounded_number_of_queries(
    world: World, town, django_assert_max_num_queries
) -> None:
    # given a crowded dwelling: twenty more tenants
    for index in range(20):
        tenant = PersonFactory(cell=town.grid_a)
        ResidencyFactory(
            person=tenant,
            dwelling=world.dwelling_a,
            role=Residency.Role.TENANT,
            started_on=datetime.date(2025, 1, 1) + datetime.timedelta(days=index),
        )
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    with django_assert_max_num_queries(22):
        response = client.get(reverse("registry:dwelling_detail", args=[world.dwelling_a.pk]))
    assert response.status_code == 200
    assert 'id="gg-group-rental"' in response.content.decode()  # 22 people on 89.5 m²


def test_lease_list_shows_leases_expiring_within_30_days(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    expiring = client.get(reverse("registry:lease_list") + "?view=expiring").content.decode()
    expired = client.get(reverse("registry:lease_list") + "?view=expired").content.decode()
    assert world.dwelling_a.address in expiring
    assert world.dwelling_a.address not in expired


def _party(prefix: str, fields: dict) -> dict:
    return {
        f"{prefix}-id_type": fields["id_type"],
        f"{prefix}-id_number": fields["id_number"],
        f"{prefix}-name": fields.get("name", ""),
        f"{prefix}-phone": fields.get("phone", ""),
    }


def test_landlord_registers_a_lease_with_two_new_tenants_in_one_form(world: World) -> None:
    # given a landlord already in the registry (found by ID) and two new tenants
    from gridgov.registry.services.protection import unprotect_id_number

    dwelling = world.dwelling_a.building.dwellings.exclude(pk=world.dwelling_a.pk).first()
    landlord = {
        "id_type": "resident_id",
        "id_number": unprotect_id_number(world.person_a.id_number_encrypted),
    }
    first, second = new_person_fields(), new_person_fields(sex="F")
    today = timezone.localdate()
    data = {
        "dwelling_id": dwelling.pk,
        "started_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=365)).isoformat(),
        "tenant_count": 2,
        **_party("landlord", landlord),
        **_party("tenant0", first),
        **_party("tenant1", second),
    }
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    # when the form is sent
    response = client.post(reverse("registry:lease_register"), data)
    # then one lease with both tenants living there, and the worker lands on the file
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:dwelling_detail", args=[dwelling.pk])
    lease = Lease.objects.get(dwelling=dwelling)
    assert lease.landlord == world.person_a
    assert sorted(lease.tenants.values_list("name", flat=True)) == sorted(
        [first["name"], second["name"]]
    )
    assert Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).count() == 2


def test_a_lease_ending_before_it_starts_is_refused_and_nothing_is_saved(world: World) -> None:
    dwelling = world.dwelling_a.building.dwellings.exclude(pk=world.dwelling_a.pk).first()
    today = timezone.localdate()
    data = {
        "dwelling_id": dwelling.pk,
        "started_on": today.isoformat(),
        "ends_on": (today - datetime.timedelta(days=1)).isoformat(),
        "tenant_count": 1,
        **_party("landlord", new_person_fields()),
        **_party("tenant0", new_person_fields()),
    }
    before = housing_counts()
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(reverse("registry:lease_register"), data)
    assert response.status_code == 400
    assert 'data-error-for="ends_on"' in response.content.decode()
    assert housing_counts() == before


def test_a_tenant_living_elsewhere_is_named_on_their_row_and_nothing_is_saved(
    world: World,
) -> None:
    from gridgov.registry.services.protection import unprotect_id_number

    dwelling = world.dwelling_a.building.dwellings.exclude(pk=world.dwelling_a.pk).first()
    today = timezone.localdate()
    lives_in_a = {
        "id_type": "resident_id",
        "id_number": unprotect_id_number(world.tenant_a.id_number_encrypted),
    }
    data = {
        "dwelling_id": dwelling.pk,
        "started_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=200)).isoformat(),
        "tenant_count": 2,
        **_party("landlord", new_person_fields()),
        **_party("tenant0", new_person_fields()),
        **_party("tenant1", lives_in_a),
    }
    before = housing_counts()
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(reverse("registry:lease_register"), data)
    assert response.status_code == 400
    html = response.content.decode()
    second_row = html.split("gg-party gg-tenant")[2]
    assert "alert-danger" in second_row or "invalid-feedback" in second_row
    assert housing_counts() == before
    assert Person.objects.filter(name=data["tenant0-name"]).count() == 0


def test_tenant_row_partial_adds_an_empty_numbered_row(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    html = client.get(reverse("registry:lease_tenant_row") + "?index=2").content.decode()
    assert 'name="tenant2-id_number"' in html
