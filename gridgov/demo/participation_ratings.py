"""A year of property-service ratings in the demo town (物业服务测评 and 红黑榜).

Four closed quarterly surveys over the town, and the current quarter open for the residents
to rate. Each property company has a service quality of its own (a few good, a few poor) that
drifts a little from quarter to quarter, each estate a little noise on top; a sample of each
estate's households rates every service item around that quality. The scores are computed as
closing a survey computes them (with the year of demo cases for the case parts), so the
ranking has red and black entries. Each estate also gets a first disclosure version.
Everything is written with bulk inserts.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from typing import Any

from django.utils import timezone

from gridgov.accounts.models import Membership, User
from gridgov.accounts.roles import Role
from gridgov.grids.models import Cell
from gridgov.participation.models import (
    DisclosureVersion,
    RatingAnswer,
    RatingResponse,
    RatingSurvey,
    ScoringScheme,
    ServiceItem,
    SurveyItem,
)
from gridgov.participation.services.ratings import (
    quarter_of,
    scoring_scheme_default,
    service_items_ensure_defaults,
    survey_scores_compute,
)
from gridgov.registry.models import Estate, Residency

BATCH_SIZE = 2000
HOUSEHOLDS_PER_ESTATE = 36  # at most this many households rate each estate each quarter
QUARTERS = 4
# Mean stars of the companies, best to worst: the spread a real town shows.
COMPANY_QUALITY = (4.8, 4.7, 4.3, 4.0, 3.8, 3.5, 3.1, 2.5, 1.9)
COMMITTEE_NAMES = ("张建国", "李秀英", "王志强", "陈美华", "刘德明")
COMMITTEE_ROLES = ("主任", "副主任", "委员", "委员", "委员")


def _quarters(today: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The current quarter first, then the four before it."""
    start, end = quarter_of(today)
    periods = [(start, end)]
    for _ in range(QUARTERS):
        start, end = quarter_of(start - datetime.timedelta(days=1))
        periods.append((start, end))
    return periods


def _aware(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _households(estate_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """(dwelling id, person id) of one current resident per dwelling, by estate."""
    by_estate: dict[int, list[tuple[int, int]]] = defaultdict(list)
    seen: set[int] = set()
    rows = (
        Residency.objects.filter(
            ended_on__isnull=True, dwelling__building__estate_id__in=estate_ids
        )
        .order_by("dwelling_id", "id")
        .values_list("dwelling__building__estate_id", "dwelling_id", "person_id")
    )
    for estate_id, dwelling_id, person_id in rows.iterator(chunk_size=5000):
        if dwelling_id not in seen:
            seen.add(dwelling_id)
            by_estate[estate_id].append((dwelling_id, person_id))
    return by_estate


def _stars(rng: random.Random, mean: float) -> int:
    return min(5, max(1, round(rng.gauss(mean, 0.7))))


def _open_survey(
    town: Cell, period: tuple[datetime.date, datetime.date], scheme: Any, *, closed: bool
) -> RatingSurvey:
    start, end = period
    opens = _aware(end - datetime.timedelta(days=20)) if closed else _aware(start)
    closes = _aware(end + datetime.timedelta(days=10), 18) if closed else _aware(end, 23)
    survey = RatingSurvey.objects.create(
        title=f"{start.year}年第{(start.month - 1) // 3 + 1}季度物业服务测评",
        cell=town,
        period_start=start,
        period_end=end,
        opens_at=opens,
        closes_at=closes,
        scheme=scheme,
        status=RatingSurvey.Status.CLOSED if closed else RatingSurvey.Status.OPEN,
        closed_at=closes if closed else None,
    )
    items = [
        SurveyItem(survey=survey, item=item, name=item.name, weight=item.weight, sort_order=i)
        for i, item in enumerate(scheme_items())
    ]
    SurveyItem.objects.bulk_create(items)
    return survey


def scheme_items() -> list[ServiceItem]:
    return list(ServiceItem.objects.filter(is_active=True))


def _write_quarter(
    survey: RatingSurvey,
    estates: list[Estate],
    households: dict[int, list[tuple[int, int]]],
    quality: dict[int, float],
    rng: random.Random,
) -> int:
    items = list(survey.survey_items.all())
    weight_total = sum(item.weight for item in items)
    responses: list[RatingResponse] = []
    stars_of: list[list[int]] = []
    for estate in estates:
        homes = households.get(estate.pk, [])
        sample = rng.sample(homes, min(len(homes), HOUSEHOLDS_PER_ESTATE))
        mean = quality[estate.pk] + rng.uniform(-0.25, 0.25)
        for dwelling_id, person_id in sample:
            stars = [_stars(rng, mean) for _ in items]
            stars_of.append(stars)
            submitted = survey.opens_at + datetime.timedelta(minutes=rng.randrange(20 * 24 * 60))
            responses.append(
                RatingResponse(
                    survey=survey,
                    estate_id=estate.pk,
                    dwelling_id=dwelling_id,
                    person_id=person_id,
                    weighted_stars=sum(s * i.weight for s, i in zip(stars, items, strict=True)),
                    weight_total=weight_total,
                    submitted_at=submitted,
                )
            )
    RatingResponse.objects.bulk_create(responses, batch_size=BATCH_SIZE)
    answers = [
        RatingAnswer(response_id=response.pk, survey_item_id=item.pk, stars=value)
        for response, stars in zip(responses, stars_of, strict=True)
        for item, value in zip(items, stars, strict=True)
    ]
    RatingAnswer.objects.bulk_create(answers, batch_size=BATCH_SIZE)
    return len(responses)


def _disclosure(estate: Estate, rng: random.Random, at: datetime.datetime) -> DisclosureVersion:
    fee = f"{rng.choice((1.2, 1.5, 1.8, 2.2, 2.8)):.2f}"
    income = rng.randrange(80, 400) * 100
    spend = [rng.randrange(20, 150) * 100 for _ in range(3)]
    content = {
        "fees": [
            {"item": "物业服务费(住宅)", "standard": f"{fee} 元/㎡·月"},
            {"item": "地面停车费", "standard": f"{rng.choice((100, 150, 200))} 元/月"},
        ],
        "fund_income": [
            {"date": f"{at.year}-01-15", "item": "维修资金续筹", "amount": f"{income}.00"}
        ],
        "fund_spending": [
            {"date": f"{at.year}-03-10", "item": "屋面防水维修", "amount": f"{spend[0]}.00"},
            {"date": f"{at.year}-05-22", "item": "电梯更换钢丝绳", "amount": f"{spend[1]}.00"},
            {"date": f"{at.year}-08-03", "item": "消防设施更新", "amount": f"{spend[2]}.00"},
        ],
        "contracts": [
            {
                "name": "物业服务合同",
                "party": estate.property_company.name if estate.property_company else "",
                "amount": "",
                "period": f"{at.year - 1}-{at.year + 2}",
            },
            {
                "name": "电梯维保合同",
                "party": "上海某电梯工程公司",
                "amount": "48000.00",
                "period": str(at.year),
            },
        ],
        "committee": [
            {"name": name, "role": role}
            for name, role in zip(COMMITTEE_NAMES, COMMITTEE_ROLES, strict=True)
        ],
        "notes": "每季度更新公示;对公示内容有疑问,请通过“反映问题”提出。",
    }
    return DisclosureVersion(
        estate=estate, version=1, content=content, note="首次公示", edited_at=at
    )


def participation_ratings_write(*, seed: int, today: datetime.date | None = None) -> int:
    """Write the surveys, responses, scores and disclosures; returns the number of responses."""
    rng = random.Random(f"ratings-{seed}")
    today = today or timezone.localdate()
    town = Cell.objects.filter(parent__isnull=True).order_by("code").first()
    estates = list(
        Estate.objects.filter(property_company__isnull=False)
        .select_related("property_company")
        .order_by("code")
    )
    if town is None or not estates:
        return 0
    service_items_ensure_defaults()
    households = _households([estate.pk for estate in estates])
    scheme = scoring_scheme_default()
    smallest = min(len(households.get(estate.pk, [])) for estate in estates)
    if smallest < scheme.min_responses:
        # A town too small for the default (the "small" profile): a scheme of its own.
        scheme = ScoringScheme.objects.create(
            name="演示方案(小样本)", min_responses=max(1, min(3, smallest))
        )
    companies = sorted(
        {estate.property_company_id for estate in estates if estate.property_company_id}
    )
    company_quality = {
        company: COMPANY_QUALITY[index * len(COMPANY_QUALITY) // max(len(companies), 1)]
        for index, company in enumerate(rng.sample(companies, len(companies)))
    }
    admin = _platform_admin() or User.objects.filter(is_superuser=True).order_by("id").first()
    now = timezone.now()
    written = 0
    periods = _quarters(today)
    for index, period in enumerate(reversed(periods[1:])):
        drift = {company: rng.uniform(-0.2, 0.2) * index for company in companies}
        quality = {
            estate.pk: company_quality[estate.property_company_id]  # type: ignore[index]
            + drift[estate.property_company_id]  # type: ignore[index]
            + rng.uniform(-0.3, 0.3)
            for estate in estates
        }
        survey = _open_survey(town, period, scheme, closed=True)
        written += _write_quarter(survey, estates, households, quality, rng)
        if admin is not None:
            survey_scores_compute(actor=admin, survey=survey, now=min(survey.closes_at, now))
    _open_survey(town, periods[0], scheme, closed=False)
    at = timezone.now()
    DisclosureVersion.objects.bulk_create(
        [_disclosure(estate, rng, at) for estate in estates], batch_size=BATCH_SIZE
    )
    return written


def _platform_admin() -> User | None:
    membership = (
        Membership.objects.filter(role=Role.PLATFORM_ADMIN, is_active=True)
        .select_related("user")
        .order_by("cell__code")
        .first()
    )
    return membership.user if membership else None
