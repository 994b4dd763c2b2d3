"""Residents rate their property company: who may, how often, with what (issue 6 §6)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.accounts.tests.factories import MembershipFactory, UserFactory
from gridgov.core.models import AuditEntry
from gridgov.participation.models import RatingAnswer, RatingResponse, RatingSurvey, SurveyItem
from gridgov.participation.services.ratings import (
    quarter_of,
    rating_submit,
    service_item_update,
    survey_close,
    survey_open,
)
from gridgov.participation.tests.factories import (
    all_stars,
    open_survey,
    rated_estate,
    resident_account,
    supervision_world,
)
from gridgov.registry.models import Residency
from gridgov.registry.tests.factories import PersonFactory


@pytest.fixture
def world(town):
    return supervision_world(town)


def _refusal(call, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.code


def test_resident_rates_every_item_of_the_survey_once_for_the_household(world):
    stars = all_stars(world.survey, 4)
    response = rating_submit(
        actor=world.resident, survey=world.survey, stars=stars, comment="  电梯常坏 "
    )
    assert response.estate == world.a.estate
    assert response.dwelling == world.a.dwellings[0]
    assert response.comment == "电梯常坏"
    # items weigh 2, 1, 2: Σ stars × weight = 4 × 5, Σ weight = 5
    assert (response.weighted_stars, response.weight_total) == (20, 5)
    assert sorted(RatingAnswer.objects.values_list("stars", flat=True)) == [4, 4, 4]
    assert AuditEntry.objects.filter(action="participation.rating_submit").count() == 1


def test_second_response_from_the_same_household_is_refused_and_nothing_changes(world, town):
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5))
    # a second person living in the same dwelling, with their own account
    flatmate = PersonFactory(cell=town.grid_a)
    Residency.objects.create(
        person=flatmate,
        dwelling=world.a.dwellings[0],
        role=Residency.Role.FAMILY,
        started_on=datetime.date(2021, 1, 1),
    )
    second = resident_account(flatmate, town.grid_a, "flatmate")

    code = _refusal(
        rating_submit, actor=second, survey=world.survey, stars=all_stars(world.survey, 1)
    )
    again = _refusal(
        rating_submit, actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 1)
    )

    assert (code, again) == ("already_rated", "already_rated")
    assert RatingResponse.objects.count() == 1
    assert RatingResponse.objects.get().weighted_stars == 25
    assert set(RatingAnswer.objects.values_list("stars", flat=True)) == {5}


def test_person_without_a_home_in_the_registry_cannot_rate(world, town):
    homeless = resident_account(PersonFactory(cell=town.grid_a), town.grid_a, "no_home")
    code = _refusal(
        rating_submit, actor=homeless, survey=world.survey, stars=all_stars(world.survey, 3)
    )
    assert code == "not_resident"
    assert RatingResponse.objects.count() == 0


def test_resident_of_an_estate_outside_the_survey_area_cannot_rate(world, town):
    narrow = open_survey(town.grid_b, period_start=world.survey.period_start)
    code = _refusal(rating_submit, actor=world.resident, survey=narrow, stars=all_stars(narrow, 3))
    assert code == "not_resident"
    assert RatingResponse.objects.count() == 0


def test_resident_who_moved_out_can_no_longer_rate(world):
    Residency.objects.filter(person=world.a.people[0]).update(ended_on=datetime.date(2025, 1, 1))
    code = _refusal(
        rating_submit, actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 3)
    )
    assert code == "not_resident"
    assert RatingResponse.objects.count() == 0


def test_account_without_a_verified_person_cannot_rate(world, town):
    user = UserFactory(username="unlinked")
    MembershipFactory(user=user, cell=town.grid_a, role=Role.RESIDENT)
    code = _refusal(
        rating_submit, actor=user, survey=world.survey, stars=all_stars(world.survey, 3)
    )
    assert code == "not_verified"
    assert RatingResponse.objects.count() == 0


def test_staff_cannot_rate_even_when_they_live_in_the_estate(world, town):
    MembershipFactory(user=world.resident, cell=town.grid_a, role=Role.GRID_WORKER)
    code = _refusal(
        rating_submit, actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5)
    )
    staff_code = _refusal(
        rating_submit, actor=world.staff, survey=world.survey, stars=all_stars(world.survey, 5)
    )
    assert (code, staff_code) == ("staff", "staff")
    assert RatingResponse.objects.count() == 0


def test_closed_survey_takes_no_response(world):
    survey_close(actor=world.staff, survey=world.survey)
    code = _refusal(
        rating_submit, actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5)
    )
    assert code == "closed"
    assert RatingResponse.objects.count() == 0


def test_survey_past_its_closing_time_takes_no_response_before_anyone_closes_it(world):
    RatingSurvey.objects.filter(pk=world.survey.pk).update(
        closes_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    world.survey.refresh_from_db()
    code = _refusal(
        rating_submit, actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5)
    )
    assert code == "closed"
    assert RatingResponse.objects.count() == 0


@pytest.mark.parametrize("bad", [0, 6, -1, 3.5, "4", None, True])
def test_stars_outside_one_to_five_whole_are_refused(world, bad):
    stars = all_stars(world.survey, 4)
    stars[next(iter(stars))] = bad
    code = _refusal(rating_submit, actor=world.resident, survey=world.survey, stars=stars)
    assert code == "invalid_stars"
    assert RatingResponse.objects.count() == 0


def test_a_missing_or_foreign_item_is_refused(world):
    stars = all_stars(world.survey, 4)
    missing = dict(list(stars.items())[1:])
    foreign = {**stars, 999999: 4}
    assert _refusal(rating_submit, actor=world.resident, survey=world.survey, stars=missing) == (
        "items"
    )
    assert _refusal(rating_submit, actor=world.resident, survey=world.survey, stars=foreign) == (
        "items"
    )
    assert RatingResponse.objects.count() == 0


def test_estate_without_a_property_company_has_nothing_to_rate(world, town):
    bare = rated_estate(town.grid_a, None, residents=1, name="无物业小区")
    account = resident_account(bare.people[0], town.grid_a, "bare")
    code = _refusal(
        rating_submit, actor=account, survey=world.survey, stars=all_stars(world.survey, 4)
    )
    assert code == "no_company"


def test_survey_opens_for_the_quarter_with_the_items_weights_copied(world, town):
    item = SurveyItem.objects.filter(survey=world.survey).first().item
    survey = survey_open(actor=world.staff, cell=town.town, period_start=datetime.date(2026, 5, 9))
    service_item_update(actor=world.staff, item=item, name=item.name, weight=9, is_active=True)

    assert (survey.period_start, survey.period_end) == (
        datetime.date(2026, 4, 1),
        datetime.date(2026, 6, 30),
    )
    assert [i.weight for i in survey.survey_items.all()] == [2, 1, 2]


def test_a_second_survey_for_the_same_period_and_area_is_refused(world, town):
    code = _refusal(
        survey_open, actor=world.staff, cell=town.town, period_start=world.survey.period_start
    )
    assert code == "duplicate_period"
    assert RatingSurvey.objects.count() == 1


def test_a_grid_worker_cannot_open_or_close_a_survey(world, town, grid_worker_a):
    with pytest.raises(PermissionDenied):
        survey_open(actor=grid_worker_a, cell=town.grid_a, period_start=datetime.date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        survey_close(actor=grid_worker_a, survey=world.survey)
    world.survey.refresh_from_db()
    assert world.survey.status == RatingSurvey.Status.OPEN
    assert RatingSurvey.objects.count() == 1


def test_closing_twice_is_refused(world):
    survey_close(actor=world.staff, survey=world.survey)
    assert _refusal(survey_close, actor=world.staff, survey=world.survey) == "closed"


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)),
        (datetime.date(2026, 6, 30), datetime.date(2026, 4, 1), datetime.date(2026, 6, 30)),
        (datetime.date(2026, 12, 31), datetime.date(2026, 10, 1), datetime.date(2026, 12, 31)),
    ],
)
def test_quarter_of_a_day(day, start, end):
    assert quarter_of(day) == (start, end)
