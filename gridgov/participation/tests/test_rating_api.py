"""The rating API: surveys, a household's response and its refusals, ranking, a score."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.participation.models import RatingResponse, SupervisionScore
from gridgov.participation.services.ratings import rating_submit, survey_close
from gridgov.participation.tests.factories import all_stars, supervision_world


@pytest.fixture
def world(town):
    return supervision_world(town)


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _answers(survey, stars) -> dict:
    return {
        "answers": [{"item": pk, "stars": stars} for pk in all_stars(survey, 1)],
        "comment": "",
    }


def test_resident_lists_surveys_and_sees_the_items_to_rate(world):
    client = _client(world.resident)
    listed = client.get(reverse("api-participation-rating-surveys"))
    detail = client.get(reverse("api-participation-rating-survey", args=[world.survey.pk]))
    assert [row["id"] for row in listed.json()["results"]] == [world.survey.pk]
    assert listed.json()["count"] == 1
    assert [item["name"] for item in detail.json()["items"]] == ["保洁", "绿化", "设施维修"]
    assert detail.json()["can_rate"] is True


def test_resident_posts_one_response_and_a_second_is_a_conflict(world):
    client = _client(world.resident)
    url = reverse("api-participation-rating-responses", args=[world.survey.pk])

    first = client.post(url, _answers(world.survey, 4), format="json")
    second = client.post(url, _answers(world.survey, 1), format="json")

    assert first.status_code == 201
    assert first.json()["estate"] == "飞碟苑"
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated"
    assert RatingResponse.objects.get().weighted_stars == 20


def test_staff_posting_a_response_is_forbidden(world):
    response = _client(world.staff).post(
        reverse("api-participation-rating-responses", args=[world.survey.pk]),
        _answers(world.survey, 5),
        format="json",
    )
    assert response.status_code == 403
    assert RatingResponse.objects.count() == 0


@pytest.mark.parametrize("stars", [0, 6])
def test_stars_out_of_range_are_a_bad_request(world, stars):
    response = _client(world.resident).post(
        reverse("api-participation-rating-responses", args=[world.survey.pk]),
        _answers(world.survey, stars),
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_stars"
    assert RatingResponse.objects.count() == 0


def test_response_to_a_closed_survey_is_a_conflict(world):
    survey_close(actor=world.staff, survey=world.survey)
    response = _client(world.resident).post(
        reverse("api-participation-rating-responses", args=[world.survey.pk]),
        _answers(world.survey, 5),
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "closed")
    assert RatingResponse.objects.count() == 0


def test_ranking_and_score_arithmetic_through_the_api(world, django_assert_max_num_queries):
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 4))
    survey_close(actor=world.staff, survey=world.survey)
    client = _client(world.resident)

    with django_assert_max_num_queries(12):
        ranking = client.get(reverse("api-participation-rating-ranking", args=[world.survey.pk]))
    companies = ranking.json()["companies"]
    score = SupervisionScore.objects.get(kind="estate", estate=world.a.estate)
    detail = client.get(reverse("api-participation-rating-score", args=[score.pk])).json()

    assert [(row["name"], row["score"], row["rank"]) for row in companies] == [
        ("绿城物业", "80.00", 1),
        ("万科物业", None, None),
    ]
    assert ranking.json()["scheme"]["rating_weight"] == "60.00"
    assert detail["parts"][0] == {
        "key": "rating",
        "numerator": 20,
        "denominator": 5,
        "factor": 20,
        "weight": "60.00",
        "value": "80",
        "shown": "80.00",
    }
    assert (detail["exact"], detail["used_weight"]) == ("80", "60.00")


def test_rating_endpoints_are_in_the_openapi_schema(world):
    schema = _client(world.staff).get(reverse("api-schema"), {"format": "json"}).json()
    for path in (
        "/api/v1/participation/rating-surveys/",
        "/api/v1/participation/rating-surveys/{survey_id}/responses/",
        "/api/v1/participation/rating-surveys/{survey_id}/ranking/",
        "/api/v1/participation/rating-scores/{score_id}/",
        "/api/v1/participation/estates/{estate_id}/disclosure/",
    ):
        assert path in schema["paths"]
