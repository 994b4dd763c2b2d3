"""The demo town's year of property ratings: four closed quarters, one open, red and black."""

from __future__ import annotations

import pytest

from gridgov.demo.services import demo_town_generate
from gridgov.participation.models import (
    DisclosureVersion,
    RatingResponse,
    RatingSurvey,
    SupervisionScore,
)


@pytest.fixture
def small_town(db):
    return demo_town_generate(profile="small", seed=5)


def test_demo_writes_a_year_of_ratings_with_red_and_black_entries(small_town):
    closed = RatingSurvey.objects.filter(status=RatingSurvey.Status.CLOSED)
    assert closed.count() == 4
    assert RatingSurvey.objects.filter(status=RatingSurvey.Status.OPEN).count() == 1
    assert small_town.counts["property_ratings"] == RatingResponse.objects.count()
    assert RatingResponse.objects.count() > 0
    for survey in closed:
        companies = SupervisionScore.objects.filter(survey=survey, kind="company")
        assert companies.filter(score__isnull=False).exists()
        assert companies.filter(listed="black").exists()
    listed = set(SupervisionScore.objects.values_list("listed", flat=True))
    assert {"red", "black"} <= listed
    assert (
        DisclosureVersion.objects.count()
        == SupervisionScore.objects.filter(survey=closed.first(), kind="estate").count()
    )
