"""The rating pages: the resident's phone form, the ranking with its lists, a score's arithmetic."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, UserFactory
from gridgov.participation.models import RatingResponse, ServiceItem, SupervisionScore
from gridgov.participation.services.ratings import rating_submit, survey_close
from gridgov.participation.tests.factories import (
    all_stars,
    property_company,
    rated_estate,
    resident_account,
    supervision_world,
)


@pytest.fixture
def world(town):
    return supervision_world(town)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(survey, stars: int) -> dict[str, str]:
    return {f"item_{pk}": str(stars) for pk in all_stars(survey, stars)} | {"comment": "不错"}


def test_resident_rates_from_the_form_and_sees_the_recorded_rating(world):
    client = _client(world.resident)
    url = reverse("participation:rating_form", args=[world.survey.pk])

    page = client.get(url)
    posted = client.post(url, _form(world.survey, 4))
    after = client.get(url)

    assert page.status_code == 200
    assert 'id="gg-rating-form"' in page.content.decode()
    assert posted.status_code == 302
    assert RatingResponse.objects.get().weighted_stars == 20
    assert 'id="gg-rated"' in after.content.decode()
    assert 'id="gg-rating-form"' not in after.content.decode()


def test_second_post_of_the_form_is_refused_with_a_message_and_nothing_changes(world):
    client = _client(world.resident)
    url = reverse("participation:rating_form", args=[world.survey.pk])
    client.post(url, _form(world.survey, 5))

    again = client.post(url, _form(world.survey, 1))

    assert again.status_code == 400
    assert 'id="gg-rating-error"' in again.content.decode()
    assert RatingResponse.objects.count() == 1
    assert RatingResponse.objects.get().weighted_stars == 25


def test_form_with_a_star_out_of_range_is_refused(world):
    form = _form(world.survey, 3)
    form[next(iter(form))] = "9"
    response = _client(world.resident).post(
        reverse("participation:rating_form", args=[world.survey.pk]), form
    )
    assert response.status_code == 400
    assert RatingResponse.objects.count() == 0


def test_staff_see_the_survey_but_no_form(world):
    response = _client(world.staff).get(
        reverse("participation:rating_form", args=[world.survey.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="gg-cannot-rate"' in body
    assert 'id="gg-rating-form"' not in body


def test_account_without_any_role_cannot_open_the_rating_pages(world):
    nobody = UserFactory(username="nobody")
    client = _client(nobody)
    assert client.get(reverse("participation:rating_home")).status_code == 403
    assert client.get(reverse("participation:ranking", args=[world.survey.pk])).status_code == 403


def test_resident_of_another_town_does_not_see_the_survey(world, town):
    from gridgov.grids.tests.factories import CellFactory

    elsewhere = CellFactory(code="310112999", name="别的镇")
    outsider_home = rated_estate(elsewhere, world.company_a, residents=1)
    outsider = resident_account(outsider_home.people[0], elsewhere, "outsider")
    response = _client(outsider).get(reverse("participation:ranking", args=[world.survey.pk]))
    assert response.status_code == 404


def test_ranking_page_shows_companies_scores_and_lists_but_no_personal_data(world, town):
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5))
    other = resident_account(world.b.people[0], town.grid_b, "resident_b")
    rating_submit(actor=other, survey=world.survey, stars=all_stars(world.survey, 2))
    survey_close(actor=world.staff, survey=world.survey)

    response = _client(world.resident).get(reverse("participation:ranking_latest"))
    body = response.content.decode()

    assert response.status_code == 200
    assert "绿城物业" in body
    assert "万科物业" in body
    assert "100.00" in body
    assert "40.00" in body
    assert 'id="gg-ranking-chart"' in body
    assert 'data-listed="red"' in body
    assert 'data-listed="black"' in body
    for person in [*world.a.people, *world.b.people]:
        assert person.name not in body


def test_score_page_shows_the_arithmetic(world):
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 4))
    survey_close(actor=world.staff, survey=world.survey)
    score = SupervisionScore.objects.get(kind="estate", estate=world.a.estate)

    body = (
        _client(world.resident)
        .get(reverse("participation:score_detail", args=[score.pk]))
        .content.decode()
    )

    assert "20 × 20 ÷ 5" in body  # 4 stars × weights 2+1+2 = 20, over Σ weight 5
    assert "80.00" in body
    assert body.count("100 × 0 ÷ 0") == 3  # no cases: the three case parts are left out


def test_ranking_page_queries_do_not_grow_with_the_number_of_companies(
    world, town, django_assert_max_num_queries
):
    for index in range(15):
        company = property_company(f"co-{index}", f"物业公司{index}")
        rated_estate(town.grid_b, company, residents=0, name=f"小区{index}")
    survey_close(actor=world.staff, survey=world.survey)
    assert SupervisionScore.objects.filter(kind="company").count() == 17
    client = _client(world.resident)
    url = reverse("participation:ranking", args=[world.survey.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("data-score-id=") == 17 + 17


def test_service_items_page_adds_and_reweighs_items_for_managers_only(world, grid_worker_a):
    client = _client(world.staff)
    url = reverse("participation:service_items")
    client.post(url, {"code": "parking", "name": "停车管理", "weight": "3"})
    item = ServiceItem.objects.get(code="parking")
    client.post(url, {"item_id": str(item.pk), "name": "停车", "weight": "4", "is_active": "on"})
    item.refresh_from_db()

    refused = _client(grid_worker_a).post(url, {"code": "x", "name": "x", "weight": "1"})

    assert (item.name, item.weight, item.is_active) == ("停车", 4, True)
    assert refused.status_code == 403
    assert not ServiceItem.objects.filter(code="x").exists()


def test_manager_opens_and_closes_a_survey_from_the_page(world, town):
    client = _client(world.staff)
    client.post(
        reverse("participation:survey_open"),
        {"cell": town.town.code, "period_start": "2025-08-15"},
    )
    from gridgov.participation.models import RatingSurvey

    opened = RatingSurvey.objects.get(period_start="2025-07-01")
    closed = client.post(reverse("participation:survey_close", args=[opened.pk]))
    opened.refresh_from_db()
    assert str(opened.period_end) == "2025-09-30"
    assert closed.status_code == 302
    assert opened.status == "closed"


def test_grid_worker_cannot_close_a_survey_from_the_page(world, town):
    worker = UserFactory(username="worker")
    MembershipFactory(user=worker, cell=town.town, role=Role.GRID_WORKER)
    response = _client(worker).post(reverse("participation:survey_close", args=[world.survey.pk]))
    world.survey.refresh_from_db()
    assert response.status_code == 403
    assert world.survey.status == "open"


def test_home_offers_managers_the_survey_form_and_residents_the_open_survey(world, town):
    staff_page = _client(world.staff).get(reverse("participation:rating_home")).content.decode()
    resident_page = _client(world.resident).get(reverse("participation:rating_home"))
    body = resident_page.content.decode()

    assert 'id="gg-open-survey"' in staff_page
    assert f'<option value="{town.town.code}">' in staff_page
    assert 'id="gg-rate-now"' not in staff_page
    assert 'id="gg-open-survey"' not in body
    assert reverse("participation:rating_form", args=[world.survey.pk]) in body


def test_disclosure_list_shows_staff_their_estates_and_sends_a_resident_to_their_own(world):
    staff_page = _client(world.staff).get(reverse("participation:disclosure_list"))
    resident_page = _client(world.resident).get(reverse("participation:disclosure_list"))

    assert "飞碟苑" in staff_page.content.decode()
    assert "彭渡新村" in staff_page.content.decode()
    assert resident_page.status_code == 302
    assert resident_page.url == reverse("participation:disclosure", args=[world.a.estate.pk])
