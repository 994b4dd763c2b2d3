"""Reads of property-service supervision, always for an acting user.

Who sees what:
* surveys, scores and the ranking of an area — company and estate names and figures, no
  personal data — are open to staff holding ``participation.view`` or ``manage_rating`` over
  any part of the area (or above it), and to the residents who live in it per the registry;
* the rating form belongs to the resident alone (``rating_state_for_actor``);
* an estate's disclosure page is open to the estate's residents and to staff with
  ``participation.view`` or ``edit_disclosure`` over the estate; editing needs the latter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import ROLE_PERMISSIONS, Perm
from gridgov.accounts.scoping import active_memberships, has_permission
from gridgov.grids.models import Cell, LevelKind
from gridgov.participation.models import (
    DisclosureVersion,
    RatingResponse,
    RatingSurvey,
    ServiceItem,
    SupervisionScore,
    SurveyItem,
)
from gridgov.participation.services.rating_scores import Counts, Scored, Weights, score_counts
from gridgov.participation.services.ratings import (
    home_of,
    is_staff_account,
    rater_home,
    survey_window_check,
)
from gridgov.registry.models import Dwelling, Estate
from gridgov.registry.selectors.accounts import person_for_account
from gridgov.registry.services.protection import mask_name

_AREA_PERMISSIONS = (Perm.PARTICIPATION_VIEW, Perm.RATING_MANAGE)


@dataclass(frozen=True)
class Viewer:
    """Where the actor looks from: staff area codes, and the estate they live in."""

    is_global: bool = False
    staff_codes: tuple[str, ...] = ()
    home: tuple[Dwelling, Estate] | None = None

    def sees_area(self, cell_code: str) -> bool:
        if self.is_global:
            return True
        if any(cell_code.startswith(c) or c.startswith(cell_code) for c in self.staff_codes):
            return True
        return self.home is not None and self.home[1].cell.code.startswith(cell_code)

    def sees_estate(self, estate: Estate) -> bool:
        if self.is_global:
            return True
        if any(estate.cell.code.startswith(code) for code in self.staff_codes):
            return True
        return self.home is not None and self.home[1].pk == estate.pk


def viewer_for(actor: Any, permissions: tuple[str, ...] = _AREA_PERMISSIONS) -> Viewer:
    """The actor's view, cached on the actor object for the request."""
    cache_name = "_gridgov_supervision_viewer_" + "_".join(permissions)
    cached = getattr(actor, cache_name, None)
    if cached is not None:
        return cached
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Viewer()
    codes = tuple(
        sorted(
            {
                code
                for role, code, _org in active_memberships(actor)
                if any(p in ROLE_PERMISSIONS.get(role, frozenset()) for p in permissions)
            }
        )
    )
    person = person_for_account(actor)
    viewer = Viewer(
        is_global=bool(actor.is_superuser),
        staff_codes=codes,
        home=home_of(person) if person is not None else None,
    )
    setattr(actor, cache_name, viewer)
    return viewer


# --- Surveys ---------------------------------------------------------------------------------


def survey_list_for_actor(*, actor: Any) -> list[RatingSurvey]:
    """The surveys of the areas the actor sees, newest period first."""
    viewer = viewer_for(actor)
    surveys = RatingSurvey.objects.select_related("cell", "scheme").order_by("-period_start", "id")
    return [survey for survey in surveys if viewer.sees_area(survey.cell.code)]


def survey_get_for_actor(*, actor: Any, survey_id: int) -> RatingSurvey:
    """The survey, or ``RatingSurvey.DoesNotExist`` when missing or out of the actor's view."""
    survey = RatingSurvey.objects.select_related("cell", "scheme").get(pk=survey_id)
    if not viewer_for(actor).sees_area(survey.cell.code):
        raise RatingSurvey.DoesNotExist
    return survey


def survey_items(*, survey: RatingSurvey) -> list[SurveyItem]:
    return list(survey.survey_items.all())


def latest_closed_survey_for_actor(*, actor: Any) -> RatingSurvey | None:
    for survey in survey_list_for_actor(actor=actor):
        if survey.status == RatingSurvey.Status.CLOSED:
            return survey
    return None


def survey_can_manage(*, actor: Any, survey: RatingSurvey) -> bool:
    return has_permission(actor, Perm.RATING_MANAGE, cell_code=survey.cell.code)


@dataclass(frozen=True)
class RatingState:
    """What the resident may do with a survey: rate, or why not, and their response."""

    can_rate: bool
    reason: str
    estate: Estate | None = None
    response: RatingResponse | None = None
    answers: dict[int, int] = field(default_factory=dict)


def rating_state_for_actor(*, actor: Any, survey: RatingSurvey) -> RatingState:
    """Whether the actor's household can still rate ``survey`` (the service decides again on
    submit; this only shapes the page)."""
    try:
        _person, dwelling, estate = rater_home(actor, survey)
    except ValidationError as error:
        return RatingState(False, " ".join(error.messages))
    except PermissionDenied:  # not a resident account
        return RatingState(False, "")
    response = (
        RatingResponse.objects.filter(survey=survey, dwelling=dwelling)
        .prefetch_related("answers")
        .first()
    )
    if response is not None:
        answers = {answer.survey_item_id: answer.stars for answer in response.answers.all()}
        return RatingState(False, "", estate, response, answers)
    try:
        survey_window_check(survey, timezone.now())
    except ValidationError as error:
        return RatingState(False, " ".join(error.messages), estate)
    return RatingState(True, "", estate)


def rating_open_surveys_for_actor(*, actor: Any) -> list[RatingSurvey]:
    """The open surveys a resident can answer now (none for staff)."""
    if is_staff_account(actor):
        return []
    viewer = viewer_for(actor)
    if viewer.home is None:
        return []
    now = timezone.now()
    return [
        survey
        for survey in RatingSurvey.objects.select_related("cell").filter(
            status=RatingSurvey.Status.OPEN, opens_at__lte=now, closes_at__gt=now
        )
        if viewer.home[1].cell.code.startswith(survey.cell.code)
    ]


def rating_cells_for_actor(*, actor: Any, limit: int = 50) -> list[Cell]:
    """The towns and communities the actor may open a survey over."""
    cells = Cell.objects.filter(level__in=(LevelKind.STREET, LevelKind.COMMUNITY)).order_by("code")
    return [
        cell for cell in cells if has_permission(actor, Perm.RATING_MANAGE, cell_code=cell.code)
    ][:limit]


def service_item_list_for_actor(*, actor: Any) -> list[ServiceItem]:
    """Every service item (active or retired), for holders of ``manage_rating``."""
    if not has_permission(actor, Perm.RATING_MANAGE):
        raise PermissionDenied
    return list(ServiceItem.objects.all())


def service_item_get_for_actor(*, actor: Any, item_id: int) -> ServiceItem:
    if not has_permission(actor, Perm.RATING_MANAGE):
        raise PermissionDenied
    return ServiceItem.objects.get(pk=item_id)


# --- Scores and ranking ----------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    survey: RatingSurvey
    companies: list[SupervisionScore]
    estates: list[SupervisionScore]

    @property
    def red(self) -> list[SupervisionScore]:
        return [row for row in self.companies if row.listed == SupervisionScore.Listed.RED]

    @property
    def black(self) -> list[SupervisionScore]:
        return [row for row in self.companies if row.listed == SupervisionScore.Listed.BLACK]

    def chart(self) -> dict[str, list[Any]]:
        ranked = [row for row in self.companies if row.score is not None]
        return {
            "names": [row.name for row in ranked],
            "scores": [str(row.score) for row in ranked],
            "listed": [row.listed for row in ranked],
        }


def _ordered(queryset: QuerySet[SupervisionScore]) -> list[SupervisionScore]:
    rows = list(queryset)
    rows.sort(key=lambda row: (row.rank is None, row.rank or 0, row.name))
    return rows


def ranking_for_actor(*, actor: Any, survey: RatingSurvey) -> Ranking:
    """The ranking of a closed survey: companies and estates, ranked first, then unranked.
    Two queries whatever the number of rows."""
    if not viewer_for(actor).sees_area(survey.cell.code):
        raise RatingSurvey.DoesNotExist
    scores = SupervisionScore.objects.filter(survey=survey).only(
        "id",
        "kind",
        "name",
        "score",
        "rank",
        "listed",
        "responses",
        "company_id",
        "estate_id",
        "survey_id",
    )
    return Ranking(
        survey=survey,
        companies=_ordered(scores.filter(kind=SupervisionScore.Kind.COMPANY)),
        estates=_ordered(scores.filter(kind=SupervisionScore.Kind.ESTATE)),
    )


def score_get_for_actor(*, actor: Any, score_id: int) -> SupervisionScore:
    score = SupervisionScore.objects.select_related("survey__cell", "survey__scheme").get(
        pk=score_id
    )
    if not viewer_for(actor).sees_area(score.survey.cell.code):
        raise SupervisionScore.DoesNotExist
    return score


def score_arithmetic(score: SupervisionScore) -> Scored:
    """The parts, weights and exact result of a stored score, recomputed from its counts."""
    counts = Counts(
        **{name: getattr(score, name) for name in Counts.__dataclass_fields__},
    )
    return score_counts(counts, Weights.of(score.survey.scheme))


# --- Disclosure ------------------------------------------------------------------------------

_DISCLOSURE_VIEW = (Perm.PARTICIPATION_VIEW, Perm.DISCLOSURE_EDIT)


def disclosure_estates_for_actor(*, actor: Any) -> list[Estate]:
    """The estates whose disclosure page the actor may open."""
    viewer = viewer_for(actor, _DISCLOSURE_VIEW)
    if viewer.is_global:
        return list(Estate.objects.select_related("cell", "property_company").order_by("code"))
    if viewer.staff_codes:
        condition = Q()
        for code in viewer.staff_codes:
            condition |= Q(cell__code__startswith=code)
        return list(
            Estate.objects.filter(condition)
            .select_related("cell", "property_company")
            .order_by("code")
        )
    return [viewer.home[1]] if viewer.home is not None else []


def disclosure_estate_for_actor(*, actor: Any, estate_id: int) -> Estate:
    estate = Estate.objects.select_related("cell", "property_company").get(pk=estate_id)
    if not viewer_for(actor, _DISCLOSURE_VIEW).sees_estate(estate):
        raise Estate.DoesNotExist
    return estate


def disclosure_can_edit(*, actor: Any, estate: Estate) -> bool:
    return has_permission(actor, Perm.DISCLOSURE_EDIT, cell_code=estate.cell.code)


def disclosure_current(*, estate: Estate) -> DisclosureVersion | None:
    return (
        DisclosureVersion.objects.filter(estate=estate)
        .select_related("edited_by")
        .order_by("-version")
        .first()
    )


def disclosure_history(*, estate: Estate) -> list[DisclosureVersion]:
    return list(
        DisclosureVersion.objects.filter(estate=estate)
        .select_related("edited_by")
        .only("id", "version", "note", "edited_at", "edited_by__display_name", "estate_id")
        .order_by("-version")
    )


def disclosure_public(version: DisclosureVersion | None) -> dict[str, Any]:
    """The content as residents see it: committee names masked, fund totals added up."""
    content = dict(version.content) if version is not None else {}
    committee = [
        {"name": mask_name(row.get("name", "")), "role": row.get("role", "")}
        for row in content.get("committee", [])
    ]

    def total(section: str) -> Decimal:
        return sum(
            (Decimal(row["amount"]) for row in content.get(section, []) if row.get("amount")),
            Decimal(0),
        )

    income, spending = total("fund_income"), total("fund_spending")
    return {
        "fees": content.get("fees", []),
        "fund_income": content.get("fund_income", []),
        "fund_spending": content.get("fund_spending", []),
        "contracts": content.get("contracts", []),
        "committee": committee,
        "notes": content.get("notes", ""),
        "fund_income_total": str(income),
        "fund_spending_total": str(spending),
        "fund_balance": str(income - spending),
    }
