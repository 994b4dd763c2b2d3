"""The property-service supervision API under ``/api/v1/participation/``: rating surveys, a
household's response, scores with their arithmetic, the ranking, and estate disclosure.

Refusals are the project's JSON errors with the service's code: 409 ``already_rated`` or
``closed``; 403 ``staff``, ``not_verified``, ``not_resident``, ``no_company``; 400 otherwise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.participation.api.errors import ParticipationErrorSerializer, require
from gridgov.participation.models import RatingSurvey, SupervisionScore
from gridgov.participation.selectors import supervision as selectors
from gridgov.participation.services import disclosure as disclosure_services
from gridgov.participation.services import ratings as services
from gridgov.registry.models import Estate

_CONFLICT = {"already_rated", "closed"}
_FORBIDDEN = {"staff", "not_verified", "not_resident", "no_company"}
_VIEW = (Perm.PARTICIPATION_VIEW, Perm.RATING_MANAGE, Perm.PARTICIPATION_TAKE_PART)
_DISCLOSURE = (Perm.PARTICIPATION_VIEW, Perm.DISCLOSURE_EDIT, Perm.PARTICIPATION_TAKE_PART)


class RatingSurveyItemSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()


class RatingSurveySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    cell = serializers.DictField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    status = serializers.CharField()


class RatingSurveyDetailSerializer(RatingSurveySerializer):
    items = RatingSurveyItemSerializer(many=True)
    can_rate = serializers.BooleanField()
    reason = serializers.CharField()
    my_answers = serializers.DictField(child=serializers.IntegerField())


class RatingAnswerInSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField()
    stars = serializers.IntegerField()


class RatingResponseInSerializer(serializers.Serializer[Any]):
    answers = RatingAnswerInSerializer(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RatingResponseOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    survey = serializers.IntegerField()
    estate = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class RatingScoreSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    listed = serializers.CharField()
    responses = serializers.IntegerField()


class RatingRankingSerializer(serializers.Serializer[Any]):
    survey = RatingSurveySerializer()
    scheme = serializers.DictField()
    companies = RatingScoreSerializer(many=True)
    estates = RatingScoreSerializer(many=True)


class RatingScorePartSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    factor = serializers.IntegerField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    value = serializers.CharField(allow_null=True, help_text="exact fraction, e.g. 175/2")
    shown = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class RatingScoreDetailSerializer(RatingScoreSerializer):
    parts = RatingScorePartSerializer(many=True)
    used_weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    exact = serializers.CharField(allow_null=True)
    rounding = serializers.CharField()


class DisclosureSerializer(serializers.Serializer[Any]):
    estate = serializers.DictField()
    version = serializers.IntegerField(allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    content = serializers.DictField()
    can_edit = serializers.BooleanField()


class DisclosureInSerializer(serializers.Serializer[Any]):
    content = serializers.DictField(
        help_text="fees, fund_income, fund_spending, contracts, committee (lists of rows), notes"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


def _refusal(error: ValidationError) -> Response:
    code = str(getattr(error, "code", None) or "invalid")
    answer: int = status.HTTP_400_BAD_REQUEST
    if code in _CONFLICT:
        answer = status.HTTP_409_CONFLICT
    elif code in _FORBIDDEN:
        answer = status.HTTP_403_FORBIDDEN
    return Response({"code": code, "message": " ".join(error.messages)}, status=answer)


def _survey(request: Request, survey_id: int) -> RatingSurvey:
    try:
        return selectors.survey_get_for_actor(actor=request.user, survey_id=survey_id)
    except RatingSurvey.DoesNotExist:
        raise Http404 from None


def _decimal(value: Decimal | None) -> str | None:
    """Decimals as strings, as the serializers write them (never a float)."""
    return None if value is None else str(value)


def survey_row(survey: RatingSurvey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "cell": {"code": survey.cell.code, "name": survey.cell.name},
        "period_start": survey.period_start,
        "period_end": survey.period_end,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "status": survey.status,
    }


def score_row(score: SupervisionScore) -> dict[str, Any]:
    return {
        "id": score.pk,
        "kind": score.kind,
        "name": score.name,
        "score": _decimal(score.score),
        "rank": score.rank,
        "listed": score.listed,
        "responses": score.responses,
    }


@extend_schema(tags=["property services"])
class SurveyListView(APIView):
    """Rating surveys of your area (residents: of the area you live in), newest first."""

    pagination_class = PageNumberPagination

    @extend_schema(
        responses={200: RatingSurveySerializer(many=True), 403: ParticipationErrorSerializer}
    )
    def get(self, request: Request) -> Response:
        require(request, *_VIEW)
        surveys = selectors.survey_list_for_actor(actor=request.user)
        paginator = PageNumberPagination()
        rows = paginator.paginate_queryset(surveys, request, view=self) or []
        return paginator.get_paginated_response([survey_row(survey) for survey in rows])


@extend_schema(tags=["property services"])
class SurveyDetailView(APIView):
    """A survey with its service items, and whether your household can still rate it."""

    @extend_schema(responses={200: RatingSurveyDetailSerializer, 403: ParticipationErrorSerializer})
    def get(self, request: Request, survey_id: int) -> Response:
        require(request, *_VIEW)
        survey = _survey(request, survey_id)
        state = selectors.rating_state_for_actor(actor=request.user, survey=survey)
        items = selectors.survey_items(survey=survey)
        return Response(
            {
                **survey_row(survey),
                "items": [{"id": i.pk, "name": i.name, "weight": i.weight} for i in items],
                "can_rate": state.can_rate,
                "reason": state.reason,
                "my_answers": {str(key): value for key, value in state.answers.items()},
            }
        )


@extend_schema(tags=["property services"])
class ResponseCreateView(APIView):
    """Your household's rating: 1–5 whole stars for every item of the survey, once."""

    @extend_schema(
        request=RatingResponseInSerializer,
        responses={
            201: RatingResponseOutSerializer,
            400: ParticipationErrorSerializer,
            403: ParticipationErrorSerializer,
            409: ParticipationErrorSerializer,
        },
    )
    def post(self, request: Request, survey_id: int) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        survey = _survey(request, survey_id)
        data = RatingResponseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = data.validated_data["answers"]
        stars = {answer["item"]: answer["stars"] for answer in answers}
        if len(stars) != len(answers):
            return Response(
                {"code": "items", "message": "Each item once."}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            response = services.rating_submit(
                actor=request.user,  # type: ignore[arg-type]
                survey=survey,
                stars=stars,
                comment=data.validated_data.get("comment", ""),
            )
        except ValidationError as error:
            return _refusal(error)
        return Response(
            {
                "id": response.pk,
                "survey": survey.pk,
                "estate": response.estate.name,
                "submitted_at": response.submitted_at,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["property services"])
class RankingView(APIView):
    """The ranking of a closed survey: companies and estates, scores, red and black lists."""

    @extend_schema(
        responses={
            200: RatingRankingSerializer,
            403: ParticipationErrorSerializer,
            404: ParticipationErrorSerializer,
        }
    )
    def get(self, request: Request, survey_id: int) -> Response:
        require(request, *_VIEW)
        survey = _survey(request, survey_id)
        result = selectors.ranking_for_actor(actor=request.user, survey=survey)
        scheme = survey.scheme
        return Response(
            {
                "survey": survey_row(survey),
                "scheme": {
                    "rating_weight": _decimal(scheme.rating_weight),
                    "closure_weight": _decimal(scheme.closure_weight),
                    "on_time_weight": _decimal(scheme.on_time_weight),
                    "satisfaction_weight": _decimal(scheme.satisfaction_weight),
                    "min_responses": scheme.min_responses,
                    "red_min_score": _decimal(scheme.red_min_score),
                    "black_below_score": _decimal(scheme.black_below_score),
                    "black_bottom_count": scheme.black_bottom_count,
                },
                "companies": [score_row(row) for row in result.companies],
                "estates": [score_row(row) for row in result.estates],
            }
        )


@extend_schema(tags=["property services"])
class ScoreDetailView(APIView):
    """One score and its arithmetic, with exact fractions."""

    @extend_schema(responses={200: RatingScoreDetailSerializer, 403: ParticipationErrorSerializer})
    def get(self, request: Request, score_id: int) -> Response:
        require(request, *_VIEW)
        try:
            score = selectors.score_get_for_actor(actor=request.user, score_id=score_id)
        except SupervisionScore.DoesNotExist:
            raise Http404 from None
        scored = selectors.score_arithmetic(score)
        return Response(
            {
                **score_row(score),
                "parts": [
                    {
                        "key": part.key,
                        "numerator": part.numerator,
                        "denominator": part.denominator,
                        "factor": part.factor,
                        "weight": _decimal(part.weight),
                        "value": None if part.value is None else str(part.value),
                        "shown": _decimal(part.shown),
                    }
                    for part in scored.parts
                ],
                "used_weight": _decimal(scored.used_weight.quantize(Decimal("0.01"))),
                "exact": None if scored.exact is None else str(scored.exact),
                "rounding": "ROUND_HALF_UP to 0.01",
            }
        )


@extend_schema(tags=["property services"])
class DisclosureView(APIView):
    """An estate's disclosure (四公开一监督): the current version, committee names masked.
    ``PUT`` publishes a new version (``participation.edit_disclosure`` over the estate)."""

    def _estate(self, request: Request, estate_id: int) -> Estate:
        try:
            return selectors.disclosure_estate_for_actor(actor=request.user, estate_id=estate_id)
        except Estate.DoesNotExist:
            raise Http404 from None

    def _answer(self, request: Request, estate: Estate) -> dict[str, Any]:
        current = selectors.disclosure_current(estate=estate)
        return {
            "estate": {"id": estate.pk, "code": estate.code, "name": estate.name},
            "version": current.version if current else None,
            "edited_at": current.edited_at if current else None,
            "content": selectors.disclosure_public(current),
            "can_edit": selectors.disclosure_can_edit(actor=request.user, estate=estate),
        }

    @extend_schema(responses={200: DisclosureSerializer, 403: ParticipationErrorSerializer})
    def get(self, request: Request, estate_id: int) -> Response:
        require(request, *_DISCLOSURE)
        return Response(self._answer(request, self._estate(request, estate_id)))

    @extend_schema(
        request=DisclosureInSerializer,
        responses={
            200: DisclosureSerializer,
            400: ParticipationErrorSerializer,
            403: ParticipationErrorSerializer,
        },
    )
    def put(self, request: Request, estate_id: int) -> Response:
        require(request, Perm.DISCLOSURE_EDIT)
        estate = self._estate(request, estate_id)
        data = DisclosureInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            disclosure_services.disclosure_update(
                actor=request.user,  # type: ignore[arg-type]
                estate=estate,
                content=data.validated_data["content"],
                note=data.validated_data.get("note", ""),
            )
        except ValidationError as error:
            return _refusal(error)
        return Response(self._answer(request, estate))
