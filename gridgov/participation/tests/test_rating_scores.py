"""The score's arithmetic: exact fractions, one rounding at the end, ranks and lists."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from gridgov.cases.models import Case, Category, Channel, Status
from gridgov.participation.models import SupervisionScore
from gridgov.participation.services.rating_scores import (
    Counts,
    Placing,
    Weights,
    rank_and_list,
    round_score,
    score_counts,
)
from gridgov.participation.services.ratings import rating_submit, survey_close
from gridgov.participation.tests.factories import all_stars, resident_account, supervision_world

DEFAULT = Weights(
    rating=Decimal(60),
    closure=Decimal(15),
    on_time=Decimal(15),
    satisfaction=Decimal(10),
    min_responses=1,
)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(1, 3), Decimal("0.33")),
        (Fraction(2, 3), Decimal("0.67")),
        (Fraction(1, 200), Decimal("0.01")),  # exactly half a cent: up
        (Fraction(1, 201), Decimal("0.00")),
        (Fraction(8995, 100), Decimal("89.95")),
        (Fraction(179_99, 200), Decimal("90.00")),  # 89.995 → 90.00
        (Fraction(100), Decimal("100.00")),
    ],
)
def test_rounding_is_half_up_to_two_decimals_without_floats(value, rounded):
    assert round_score(value) == rounded


def test_score_combines_the_four_parts_with_their_weights():
    # rating: Σ stars×weight 42 over Σ weight 10 → 20 × 4.2 = 84
    # closure 9/10 → 90; on time 7/8 → 87.5; satisfaction 2/3 → 66⅔
    counts = Counts(
        responses=2,
        weighted_stars=42,
        weight_total=10,
        cases_reported=10,
        cases_resolved=9,
        cases_due=8,
        cases_on_time=7,
        cases_rated=3,
        cases_satisfied=2,
    )
    scored = score_counts(counts, DEFAULT)
    # (60×84 + 15×90 + 15×87.5 + 10×200/3) / 100 = (50215/6) / 100
    assert scored.exact == Fraction(50215, 600)
    assert scored.score == Decimal("83.69")
    assert [part.shown for part in scored.parts] == [
        Decimal("84.00"),
        Decimal("90.00"),
        Decimal("87.50"),
        Decimal("66.67"),
    ]
    assert scored.is_valid is True
    assert scored.used_weight == Decimal(100)


def test_case_parts_without_cases_give_their_weight_to_the_others():
    counts = Counts(responses=1, weighted_stars=7, weight_total=2)  # 3.5 stars → 70
    scored = score_counts(counts, DEFAULT)
    assert [part.value for part in scored.parts] == [Fraction(70), None, None, None]
    assert scored.used_weight == Decimal(60)
    assert scored.score == Decimal("70.00")


def test_score_needs_the_fewest_responses_of_the_scheme():
    counts = Counts(responses=9, weighted_stars=45, weight_total=45)
    scheme = Weights(Decimal(60), Decimal(15), Decimal(15), Decimal(10), min_responses=10)
    scored = score_counts(counts, scheme)
    assert (scored.is_valid, scored.score, scored.exact) == (False, None, None)
    assert score_counts(Counts(responses=10, weighted_stars=50, weight_total=50), scheme).score == (
        Decimal("20.00")
    )


def test_equal_scores_share_a_rank_and_lists_follow_the_thresholds():
    scores = [
        Decimal("91.00"),
        Decimal("75.00"),
        None,
        Decimal("90.00"),
        Decimal("75.00"),
        Decimal("59.99"),
        Decimal("62.00"),
    ]
    placings = rank_and_list(
        scores,
        red_min_score=Decimal(90),
        black_below_score=Decimal(60),
        black_bottom_count=2,
    )
    assert placings == [
        Placing(1, "red"),
        Placing(3, ""),
        Placing(None, ""),
        Placing(2, "red"),
        Placing(3, ""),
        Placing(6, "black"),  # below 60
        Placing(5, "black"),  # among the last two ranked
    ]


def test_bottom_rule_never_puts_a_red_entry_on_the_black_list():
    placings = rank_and_list(
        [Decimal(95)],
        red_min_score=Decimal(90),
        black_below_score=Decimal(60),
        black_bottom_count=1,
    )
    assert placings == [Placing(1, "red")]


# --- closing a survey: the stored scores -----------------------------------------------------

_numbers = itertools.count(1)


def _case(estate, *, resolved_on_time: bool, rating: int | None) -> Case:
    category, _ = Category.objects.get_or_create(code="property-repairs", name="设施维修")
    reported = timezone.now() - datetime.timedelta(hours=30)
    due = reported + datetime.timedelta(hours=24)
    resolved = (
        due - datetime.timedelta(hours=1) if resolved_on_time else due + datetime.timedelta(hours=1)
    )
    return Case.objects.create(
        number=f"S{next(_numbers):06d}",
        channel=Channel.RESIDENT,
        status=Status.CLOSED,
        category=category,
        title="电梯故障",
        description="电梯故障",
        cell=estate.cell,
        handling_cell=estate.cell,
        estate=estate,
        created_at=reported,
        resolve_due_at=due,
        resolved_at=resolved,
        rating=rating,
    )


@pytest.fixture
def world(town):
    return supervision_world(town)


def test_closing_scores_each_estate_and_company_and_ranks_them(world, town):
    # 飞碟苑: two households rate 5 and 3 stars on every item → R = 80
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5))
    second = resident_account(world.a.people[1], town.grid_a, "resident_a2")
    rating_submit(actor=second, survey=world.survey, stars=all_stars(world.survey, 3))
    # 彭渡新村: one household, 2 stars → R = 40
    third = resident_account(world.b.people[0], town.grid_b, "resident_b")
    rating_submit(actor=third, survey=world.survey, stars=all_stars(world.survey, 2))
    # 飞碟苑's cases: two closed, one late; ratings 5 and 2 → C 100, T 50, S 50
    _case(world.a.estate, resolved_on_time=True, rating=5)
    _case(world.a.estate, resolved_on_time=False, rating=2)

    survey_close(actor=world.staff, survey=world.survey)

    a = SupervisionScore.objects.get(kind="estate", estate=world.a.estate)
    b = SupervisionScore.objects.get(kind="estate", estate=world.b.estate)
    company_a = SupervisionScore.objects.get(kind="company", company=world.company_a)
    # (60×80 + 15×100 + 15×50 + 10×50) / 100 = 75.5
    assert (a.responses, a.weighted_stars, a.weight_total) == (2, 40, 10)
    assert (a.cases_reported, a.cases_resolved, a.cases_due, a.cases_on_time) == (2, 2, 2, 1)
    assert (a.cases_rated, a.cases_satisfied) == (2, 1)
    assert a.score == Decimal("75.50")
    # no cases: the rating alone → 40, below 60: black
    assert (b.score, b.rank, b.listed) == (Decimal("40.00"), 2, "black")
    assert (a.rank, a.listed) == (1, "")
    # the company manages one estate: the same counts, the same score
    assert (company_a.score, company_a.rank, company_a.name) == (Decimal("75.50"), 1, "绿城物业")
    assert SupervisionScore.objects.count() == 4


def test_estate_below_the_fewest_responses_is_scored_as_none_and_unranked(world):
    world.survey.scheme.min_responses = 2
    world.survey.scheme.save(update_fields=["min_responses"])
    rating_submit(actor=world.resident, survey=world.survey, stars=all_stars(world.survey, 5))

    survey_close(actor=world.staff, survey=world.survey)

    a = SupervisionScore.objects.get(kind="estate", estate=world.a.estate)
    assert (a.responses, a.score, a.rank, a.listed) == (1, None, None, "")


def test_bottom_rule_needs_more_ranked_entries_than_its_count():
    lone = rank_and_list(
        [Decimal(80)],
        red_min_score=Decimal(90),
        black_below_score=Decimal(60),
        black_bottom_count=1,
    )
    pair = rank_and_list(
        [Decimal(80), Decimal(85)],
        red_min_score=Decimal(90),
        black_below_score=Decimal(60),
        black_bottom_count=1,
    )
    assert lone == [Placing(1, "")]
    assert pair == [Placing(2, "black"), Placing(1, "")]


def test_a_scheme_whose_weights_do_not_add_up_to_100_is_refused(world):
    from django.core.exceptions import ValidationError

    from gridgov.participation.models import ScoringScheme
    from gridgov.participation.services.ratings import scoring_scheme_create

    before = ScoringScheme.objects.count()
    for weights, thresholds in (
        ((Decimal(60), Decimal(15), Decimal(15), Decimal(5)), (Decimal(90), Decimal(60))),
        ((Decimal(0), Decimal(50), Decimal(50), Decimal(0)), (Decimal(90), Decimal(60))),
        ((Decimal(70), Decimal(10), Decimal(10), Decimal(10)), (Decimal(60), Decimal(90))),
    ):
        with pytest.raises(ValidationError):
            scoring_scheme_create(
                actor=world.staff,
                name="坏方案",
                rating_weight=weights[0],
                closure_weight=weights[1],
                on_time_weight=weights[2],
                satisfaction_weight=weights[3],
                red_min_score=thresholds[0],
                black_below_score=thresholds[1],
            )
    made = scoring_scheme_create(
        actor=world.staff,
        name="居民为主",
        rating_weight=Decimal(70),
        closure_weight=Decimal(10),
        on_time_weight=Decimal(10),
        satisfaction_weight=Decimal(10),
    )
    assert ScoringScheme.objects.count() == before + 1
    assert (made.name, made.min_responses, made.red_min_score) == ("居民为主", 10, Decimal(90))
