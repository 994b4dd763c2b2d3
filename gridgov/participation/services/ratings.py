"""Writes of the property-service rating (物业服务测评): service items, scoring schemes,
surveys, a household's response, and closing a survey, which fixes the scores and the ranking.

Rules (issue 6 §6 and the Xinhong seed, 居民给物业打分、红黑榜):
* residents rate as themselves, through their verified link to a registry person, for the
  estate they currently live in per the registry; staff accounts never rate;
* one response per household (the dwelling) per survey — a database constraint, so two
  requests at the same time still leave exactly one;
* every service item of the survey gets 1–5 whole stars; the window is ``opens_at`` to
  ``closes_at`` and nothing is accepted once the survey is closed;
* closing computes every score once, with the arithmetic of ``rating_scores``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.roles import Perm, Role
from gridgov.accounts.scoping import has_permission, roles_of
from gridgov.cases.selectors.property_outcomes import property_outcomes_by_estate
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell
from gridgov.participation.models import (
    RatingAnswer,
    RatingResponse,
    RatingSurvey,
    ScoringScheme,
    ServiceItem,
    SupervisionScore,
    SurveyItem,
)
from gridgov.participation.services.rating_scores import (
    Counts,
    Weights,
    rank_and_list,
    score_counts,
)
from gridgov.registry.models import Dwelling, Estate, Person, Residency
from gridgov.registry.selectors.accounts import person_for_account

DEFAULT_SERVICE_ITEMS: tuple[tuple[str, str, int], ...] = (
    ("cleaning", "保洁", 2),
    ("greening", "绿化", 1),
    ("security", "秩序维护/安保", 2),
    ("repairs", "设施维修", 2),
    ("service_desk", "客服响应", 1),
)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


# --- Periods ---------------------------------------------------------------------------------


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter ``day`` falls in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = day.replace(month=first_month, day=1)
    next_start = (
        start.replace(year=start.year + 1, month=1)
        if first_month == 10
        else start.replace(month=first_month + 3)
    )
    return start, next_start - datetime.timedelta(days=1)


# --- Service items and schemes -----------------------------------------------------------


def _require_rating_manage(actor: User, cell_code: str | None = None) -> None:
    if not has_permission(actor, Perm.RATING_MANAGE, cell_code=cell_code):
        raise PermissionDenied


def _check_weight(weight: int) -> None:
    if not 1 <= weight <= 100:
        raise _refuse(_("A weight is a whole number from 1 to 100."), "invalid_weight")


@transaction.atomic
def service_item_create(
    *,
    actor: User,
    code: str,
    name: str,
    weight: int = 1,
    sort_order: int = 0,
    description: str = "",
) -> ServiceItem:
    """A new service item residents rate in the surveys opened from now on."""
    _require_rating_manage(actor)
    _check_weight(weight)
    if not name.strip():
        raise _refuse(_("Give the service item a name."), "invalid_name")
    if ServiceItem.objects.filter(code=code).exists():
        raise _refuse(_("A service item with this code exists."), "duplicate_code")
    item = ServiceItem.objects.create(
        code=code, name=name.strip(), weight=weight, sort_order=sort_order, description=description
    )
    audit_record(
        actor=actor,
        action="participation.service_item_create",
        target=item,
        object_label=item.name,
        changes={"code": code, "weight": weight},
    )
    return item


@transaction.atomic
def service_item_update(
    *,
    actor: User,
    item: ServiceItem,
    name: str,
    weight: int,
    is_active: bool,
    sort_order: int | None = None,
) -> ServiceItem:
    """Rename, reweigh or retire an item; surveys already opened keep their copy."""
    _require_rating_manage(actor)
    _check_weight(weight)
    if not name.strip():
        raise _refuse(_("Give the service item a name."), "invalid_name")
    before = {"name": item.name, "weight": item.weight, "is_active": item.is_active}
    item.name, item.weight, item.is_active = name.strip(), weight, is_active
    fields = ["name", "weight", "is_active", "updated_at"]
    if sort_order is not None:
        item.sort_order = sort_order
        fields.append("sort_order")
    item.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="participation.service_item_update",
        target=item,
        object_label=item.name,
        changes={"before": before, "after": {"name": name, "weight": weight, "active": is_active}},
    )
    return item


def service_items_ensure_defaults() -> int:
    """The five usual items (保洁, 绿化, 秩序维护/安保, 设施维修, 客服响应) when none exist."""
    if ServiceItem.objects.exists():
        return 0
    ServiceItem.objects.bulk_create(
        ServiceItem(code=code, name=name, weight=weight, sort_order=index)
        for index, (code, name, weight) in enumerate(DEFAULT_SERVICE_ITEMS)
    )
    return len(DEFAULT_SERVICE_ITEMS)


def scoring_scheme_default() -> ScoringScheme:
    """The default scheme (60 % residents, 15 % closure, 15 % on time, 10 % satisfaction)."""
    scheme, _created = ScoringScheme.objects.get_or_create(name="默认方案")
    return scheme


@transaction.atomic
def scoring_scheme_create(
    *,
    actor: User,
    name: str,
    rating_weight: Decimal,
    closure_weight: Decimal,
    on_time_weight: Decimal,
    satisfaction_weight: Decimal,
    min_responses: int = 10,
    red_min_score: Decimal = Decimal(90),
    black_below_score: Decimal = Decimal(60),
    black_bottom_count: int = 1,
) -> ScoringScheme:
    """A scheme is never edited once made (past scores keep their meaning): make a new one."""
    _require_rating_manage(actor)
    weights = (rating_weight, closure_weight, on_time_weight, satisfaction_weight)
    if any(weight < 0 for weight in weights) or rating_weight <= 0:
        raise _refuse(_("Weights are not negative and the rating's is above 0."), "invalid_weight")
    if sum(weights) != 100:
        raise _refuse(_("The four weights add up to 100."), "invalid_weight")
    if not Decimal(0) <= black_below_score < red_min_score <= Decimal(100):
        raise _refuse(
            _("The black-list line is below the red-list line, both from 0 to 100."),
            "invalid_threshold",
        )
    if min_responses < 1:
        raise _refuse(_("At least one response is needed for a score."), "invalid_minimum")
    if ScoringScheme.objects.filter(name=name).exists():
        raise _refuse(_("A scheme with this name exists."), "duplicate_name")
    scheme = ScoringScheme.objects.create(
        name=name,
        rating_weight=rating_weight,
        closure_weight=closure_weight,
        on_time_weight=on_time_weight,
        satisfaction_weight=satisfaction_weight,
        min_responses=min_responses,
        red_min_score=red_min_score,
        black_below_score=black_below_score,
        black_bottom_count=black_bottom_count,
    )
    audit_record(
        actor=actor,
        action="participation.scoring_scheme_create",
        target=scheme,
        object_label=name,
        changes={"weights": [str(weight) for weight in weights]},
    )
    return scheme


# --- Surveys ---------------------------------------------------------------------------------


@transaction.atomic
def survey_open(
    *,
    actor: User,
    cell: Cell,
    period_start: datetime.date,
    period_end: datetime.date | None = None,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    scheme: ScoringScheme | None = None,
    title: str = "",
) -> RatingSurvey:
    """Open the survey of a period (the quarter of ``period_start`` unless an end is given)
    over ``cell``, asking every active service item with its current weight."""
    _require_rating_manage(actor, cell.code)
    quarter_start, quarter_end = quarter_of(period_start)
    if period_end is None:
        period_start, period_end = quarter_start, quarter_end
    if period_end < period_start:
        raise _refuse(_("The period ends before it starts."), "invalid_period")
    now = timezone.now()
    opens_at = opens_at or now
    closes_at = closes_at or opens_at + datetime.timedelta(days=30)
    if closes_at <= opens_at:
        raise _refuse(_("The survey closes after it opens."), "invalid_window")
    items = list(ServiceItem.objects.filter(is_active=True))
    if not items:
        raise _refuse(_("There is no active service item to rate."), "no_items")
    if RatingSurvey.objects.filter(cell=cell, period_start=period_start).exists():
        raise _refuse(_("This area already has a survey for this period."), "duplicate_period")
    survey = RatingSurvey.objects.create(
        title=title
        or _("Property services %(start)s – %(end)s")
        % {"start": period_start.isoformat(), "end": period_end.isoformat()},
        cell=cell,
        period_start=period_start,
        period_end=period_end,
        opens_at=opens_at,
        closes_at=closes_at,
        scheme=scheme or scoring_scheme_default(),
        created_by=actor,
    )
    SurveyItem.objects.bulk_create(
        SurveyItem(survey=survey, item=item, name=item.name, weight=item.weight, sort_order=i)
        for i, item in enumerate(items)
    )
    audit_record(
        actor=actor,
        action="participation.survey_open",
        target=survey,
        object_label=survey.title,
        changes={"cell": cell.code, "period": [str(period_start), str(period_end)]},
    )
    return survey


# --- A household's response ----------------------------------------------------------------


def is_staff_account(actor: Any) -> bool:
    """Any role but resident, or a superuser: such accounts supervise, they never rate."""
    if getattr(actor, "is_superuser", False):
        return True
    return bool(roles_of(actor) - {Role.RESIDENT})


def home_of(person: Person) -> tuple[Dwelling, Estate] | None:
    """The dwelling and estate ``person`` currently lives in per the registry."""
    residency = (
        Residency.objects.select_related("dwelling__building__estate__cell")
        .filter(person=person, ended_on__isnull=True)
        .first()
    )
    if residency is None:
        return None
    return residency.dwelling, residency.dwelling.building.estate


def rater_home(actor: User, survey: RatingSurvey) -> tuple[Person, Dwelling, Estate]:
    if is_staff_account(actor):
        raise _refuse(_("Staff accounts cannot rate; residents rate as themselves."), "staff")
    if not has_permission(actor, Perm.PARTICIPATION_TAKE_PART):
        raise PermissionDenied
    person = person_for_account(actor)
    if person is None:
        raise _refuse(_("Your account is not linked to a registered resident yet."), "not_verified")
    home = home_of(person)
    if home is None:
        raise _refuse(_("The registry has no current home for you."), "not_resident")
    dwelling, estate = home
    if not estate.cell.code.startswith(survey.cell.code):
        raise _refuse(_("Your estate is outside the area of this survey."), "not_resident")
    if estate.property_company_id is None:
        raise _refuse(_("Your estate has no property company to rate."), "no_company")
    return person, dwelling, estate


def survey_window_check(survey: RatingSurvey, now: datetime.datetime) -> None:
    if survey.status != RatingSurvey.Status.OPEN or now >= survey.closes_at:
        raise _refuse(_("This survey is closed."), "closed")
    if now < survey.opens_at:
        raise _refuse(_("This survey is not open yet."), "not_open")


def _weighted(stars: Mapping[int, Any], items: list[SurveyItem]) -> tuple[dict[int, int], int]:
    given = set(stars)
    expected = {item.pk for item in items}
    if given != expected:
        raise _refuse(_("Rate every service item of the survey, and only those."), "items")
    checked: dict[int, int] = {}
    for item_id, value in stars.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise _refuse(_("Stars are whole numbers from 1 to 5."), "invalid_stars")
        checked[item_id] = value
    return checked, sum(checked[item.pk] * item.weight for item in items)


def rating_submit(
    *,
    actor: User,
    survey: RatingSurvey,
    stars: Mapping[int, Any],
    comment: str = "",
    now: datetime.datetime | None = None,
) -> RatingResponse:
    """Record one household's rating; a second one from the same dwelling is refused."""
    now = now or timezone.now()
    person, dwelling, estate = rater_home(actor, survey)
    survey_window_check(survey, now)
    items = list(survey.survey_items.all())
    checked, weighted_stars = _weighted(stars, items)
    if len(comment) > 500:
        raise _refuse(_("The comment is at most 500 characters."), "invalid_comment")
    try:
        with transaction.atomic():
            response = RatingResponse.objects.create(
                survey=survey,
                estate=estate,
                dwelling=dwelling,
                person=person,
                comment=comment.strip(),
                weighted_stars=weighted_stars,
                weight_total=sum(item.weight for item in items),
                submitted_at=now,
            )
            RatingAnswer.objects.bulk_create(
                RatingAnswer(response=response, survey_item_id=item_id, stars=value)
                for item_id, value in checked.items()
            )
            audit_record(
                actor=actor,
                action="participation.rating_submit",
                target=response,
                object_label=f"{survey.pk}/{estate.code}",
            )
    except IntegrityError:
        raise _refuse(
            _("Your household has already rated in this survey."), "already_rated"
        ) from None
    return response


# --- Closing and scoring ---------------------------------------------------------------------


def _estates_of(survey: RatingSurvey) -> list[Estate]:
    return list(
        Estate.objects.filter(
            cell__code__startswith=survey.cell.code, property_company__isnull=False
        )
        .select_related("property_company")
        .order_by("code")
    )


def _response_counts(survey: RatingSurvey) -> dict[int, tuple[int, int, int]]:
    rows = (
        RatingResponse.objects.filter(survey=survey)
        .values("estate_id")
        .annotate(n=Count("id"), stars=Sum("weighted_stars"), weights=Sum("weight_total"))
        .order_by()
    )
    return {row["estate_id"]: (row["n"], row["stars"], row["weights"]) for row in rows}


def _score_row(
    survey: RatingSurvey, counts: Counts, weights: Weights, now: datetime.datetime, **kw: Any
) -> SupervisionScore:
    scored = score_counts(counts, weights)
    return SupervisionScore(
        survey=survey, score=scored.score, computed_at=now, **vars(counts), **kw
    )


def _place(rows: list[SupervisionScore], scheme: ScoringScheme) -> None:
    placings = rank_and_list(
        [row.score for row in rows],
        red_min_score=scheme.red_min_score,
        black_below_score=scheme.black_below_score,
        black_bottom_count=scheme.black_bottom_count,
    )
    for row, placing in zip(rows, placings, strict=True):
        row.rank, row.listed = placing.rank, placing.listed


def survey_scores_compute(
    *, actor: User, survey: RatingSurvey, now: datetime.datetime | None = None
) -> list[SupervisionScore]:
    """Every estate's and company's score for ``survey`` (replacing any earlier ones)."""
    now = now or timezone.now()
    weights = Weights.of(survey.scheme)
    estates = _estates_of(survey)
    outcomes = property_outcomes_by_estate(
        actor=actor,
        start=survey.period_start,
        end=survey.period_end,
        estate_ids=[estate.pk for estate in estates],
        now=now,
    )
    responses = _response_counts(survey)
    estate_rows: list[SupervisionScore] = []
    company_counts: dict[int, Counts] = {}
    company_names: dict[int, str] = {}
    for estate in estates:
        answered, stars, weight_total = responses.get(estate.pk, (0, 0, 0))
        outcome = outcomes[estate.pk]
        counts = Counts(
            responses=answered,
            weighted_stars=stars,
            weight_total=weight_total,
            cases_reported=outcome.reported,
            cases_resolved=outcome.resolved,
            cases_due=outcome.due,
            cases_on_time=outcome.on_time,
            cases_rated=outcome.rated,
            cases_satisfied=outcome.satisfied,
        )
        company_id = estate.property_company_id
        assert company_id is not None
        company_counts[company_id] = company_counts.get(company_id, Counts()) + counts
        company_names[company_id] = estate.property_company.name  # type: ignore[union-attr]
        estate_rows.append(
            _score_row(
                survey,
                counts,
                weights,
                now,
                kind=SupervisionScore.Kind.ESTATE,
                estate=estate,
                company_id=company_id,
                name=estate.name,
            )
        )
    company_rows = [
        _score_row(
            survey,
            counts,
            weights,
            now,
            kind=SupervisionScore.Kind.COMPANY,
            company_id=company_id,
            name=company_names[company_id],
        )
        for company_id, counts in sorted(company_counts.items())
    ]
    _place(estate_rows, survey.scheme)
    _place(company_rows, survey.scheme)
    SupervisionScore.objects.filter(survey=survey).delete()
    return SupervisionScore.objects.bulk_create([*estate_rows, *company_rows])


@transaction.atomic
def survey_close(
    *, actor: User, survey: RatingSurvey, now: datetime.datetime | None = None
) -> RatingSurvey:
    """Close the survey and fix its scores and ranking. The closer needs the rating and the
    case-statistics permissions over the whole area (the scores read its case outcomes)."""
    _require_rating_manage(actor, survey.cell.code)
    if not has_permission(actor, Perm.CASE_STATISTICS, cell_code=survey.cell.code):
        raise _refuse(
            _("Closing needs the case statistics of the whole area of the survey."),
            "no_statistics",
        )
    locked = RatingSurvey.objects.select_for_update().get(pk=survey.pk)
    if locked.status == RatingSurvey.Status.CLOSED:
        raise _refuse(_("This survey is closed."), "closed")
    now = now or timezone.now()
    locked.status, locked.closed_at = RatingSurvey.Status.CLOSED, now
    locked.save(update_fields=["status", "closed_at"])
    scores = survey_scores_compute(actor=actor, survey=locked, now=now)
    audit_record(
        actor=actor,
        action="participation.survey_close",
        target=locked,
        object_label=locked.title,
        changes={"scores": len(scores)},
    )
    survey.status, survey.closed_at = locked.status, locked.closed_at
    return locked
