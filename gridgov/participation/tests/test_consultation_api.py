"""The consultation API: scoped lists, opening, results with exact fractions, answers and their
refusals as JSON errors, and the schema."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.participation.models import Consultation, ConsultationAnswer
from gridgov.participation.tests.factories import (
    ConsultationAnswerFactory,
    consultation_over,
    estate_with_households,
    resident_account,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/participation"


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def place(town):
    return estate_with_households(town.grid_a, households=3, name="飞碟苑")


@pytest.fixture
def consultation(town, place):
    return consultation_over([place], cell=town.grid_a)


def test_staff_list_only_the_consultations_of_their_area(api, town, staff, consultation):
    other = estate_with_households(town.grid_b, households=1)
    consultation_over([other], cell=town.grid_b)
    api.force_authenticate(staff)

    response = api.get(f"{BASE}/consultations/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [consultation.pk]


def test_staff_open_a_consultation_over_a_doorway(api, staff, place):
    api.force_authenticate(staff)
    closes = timezone.now() + datetime.timedelta(days=7)

    response = api.post(
        f"{BASE}/consultations/",
        {
            "title": "加装电梯意向征询",
            "question": "是否同意?",
            "places": [
                {
                    "estate_id": place.estate.pk,
                    "building_id": place.building.pk,
                    "unit_id": place.unit_1.pk,
                }
            ],
            "closes_at": closes.isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["rule"] == "2/3"
    assert body["result"]["overall"]["eligible"] == 3
    assert Consultation.objects.count() == 1


def test_opening_over_an_empty_scope_is_a_json_refusal(api, town, staff):
    empty = estate_with_households(town.grid_a, households=0)
    api.force_authenticate(staff)

    response = api.post(
        f"{BASE}/consultations/",
        {
            "title": "征询",
            "question": "?",
            "places": [{"estate_id": empty.estate.pk}],
            "closes_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "empty_scope"
    assert Consultation.objects.count() == 0


def test_the_detail_gives_exact_fractions_per_estate(api, staff, consultation, place):
    for household in place.households[:2]:
        ConsultationAnswerFactory(consultation=consultation, household=household)
    api.force_authenticate(staff)

    response = api.get(f"{BASE}/consultations/{consultation.pk}/")

    result = response.json()["result"]
    assert result["overall"]["share"] == "2/3"
    assert result["overall"]["passed"] is True
    assert (result["estates_passed"], result["estates_total"]) == (1, 1)


def test_staff_record_an_answer_and_a_second_one_is_409(api, staff, consultation, place):
    api.force_authenticate(staff)
    url = f"{BASE}/consultations/{consultation.pk}/answers/"

    first = api.post(url, {"household_id": place.households[0].pk, "choice": "yes"}, format="json")
    second = api.post(url, {"household_id": place.households[0].pk, "choice": "no"}, format="json")

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "already_answered"
    assert list(ConsultationAnswer.objects.values_list("choice", flat=True)) == ["yes"]


def test_a_resident_answers_as_themselves_and_cannot_answer_after_the_close(
    api, town, staff, consultation, place
):
    resident = resident_account(place.people[0], town.grid_a)
    neighbour = resident_account(place.people[1], town.grid_a)
    api.force_authenticate(resident)
    answered = api.post(
        f"{BASE}/my/consultations/{consultation.pk}/answer/", {"choice": "yes"}, format="json"
    )
    api.force_authenticate(staff)
    api.post(f"{BASE}/consultations/{consultation.pk}/close/")
    api.force_authenticate(neighbour)

    late = api.post(
        f"{BASE}/my/consultations/{consultation.pk}/answer/", {"choice": "no"}, format="json"
    )

    assert answered.status_code == 201
    assert answered.json()["household_id"] == place.households[0].pk
    assert late.status_code == 409
    assert late.json()["code"] == "closed"
    assert ConsultationAnswer.objects.count() == 1


def test_a_resident_outside_the_scope_gets_a_400_refusal(api, town, consultation):
    outsider = estate_with_households(town.grid_a, households=1)
    api.force_authenticate(resident_account(outsider.people[0], town.grid_a))

    response = api.post(
        f"{BASE}/my/consultations/{consultation.pk}/answer/", {"choice": "yes"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "outside_scope"
    assert ConsultationAnswer.objects.count() == 0


def test_a_resident_lists_their_consultations_but_not_the_staff_list(
    api, town, place, consultation
):
    api.force_authenticate(resident_account(place.people[0], town.grid_a))

    mine = api.get(f"{BASE}/my/consultations/")
    staff_list = api.get(f"{BASE}/consultations/")

    assert [row["id"] for row in mine.json()["results"]] == [consultation.pk]
    assert staff_list.status_code == 403


def test_reminders_through_the_api_go_out_once_a_day(api, staff, consultation):
    api.force_authenticate(staff)

    first = api.post(f"{BASE}/consultations/{consultation.pk}/remind/")
    second = api.post(f"{BASE}/consultations/{consultation.pk}/remind/")

    assert (first.json()["messages"], second.json()["messages"]) == (3, 0)


def test_the_consultation_endpoints_are_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    for path in (
        "/api/v1/participation/consultations/",
        "/api/v1/participation/consultations/{consultation_id}/",
        "/api/v1/participation/consultations/{consultation_id}/answers/",
        "/api/v1/participation/consultations/{consultation_id}/close/",
        "/api/v1/participation/consultations/{consultation_id}/remind/",
        "/api/v1/participation/my/consultations/",
        "/api/v1/participation/my/consultations/{consultation_id}/answer/",
    ):
        assert path in paths
