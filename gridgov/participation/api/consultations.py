"""The consultation API under ``/api/v1/participation/`` (征询; DESIGN D7, D10).

Staff list, open, follow, close and remind, and record door-to-door answers; a resident lists
the consultations that ask them and answers as themselves. Refusals are JSON errors with a code:
409 ``already_answered`` / ``closed`` / ``not_open``, 400 for the other rules.
"""

from __future__ import annotations

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
from gridgov.participation.api.errors import errors, refusals_answered, require
from gridgov.participation.models import Consultation, ConsultationAnswer
from gridgov.participation.selectors import consultations as selectors
from gridgov.participation.services import consultations as services

CONFLICT_CODES = frozenset(
    {"already_answered", "closed", "not_open", "stage_reached", "project_exists"}
)


def page(view: APIView, request: Request, queryset: Any, render: Any) -> Response:
    paginator: PageNumberPagination = PageNumberPagination()
    rows: list[Any] | None = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(render(rows or []))


def _status_for(error: ValidationError) -> int:
    code = getattr(error, "code", None)
    return status.HTTP_409_CONFLICT if code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST


# A service's refusal: 409 for a state conflict, else 400; an unknown object is 404.
refusals_as_errors = refusals_answered(_status_for)


# --- serializers (the schema and the input) ---------------------------------------------------


class TallySerializer(serializers.Serializer[Any]):
    eligible = serializers.IntegerField()
    answered = serializers.IntegerField()
    in_favour = serializers.IntegerField()
    against = serializers.IntegerField()
    share = serializers.CharField(help_text="In favour over the base, an exact fraction “a/b”.")
    percent = serializers.IntegerField()
    passed = serializers.BooleanField()


class EstateTallySerializer(TallySerializer):
    estate_id = serializers.IntegerField()
    estate_name = serializers.CharField()


class ResultSerializer(serializers.Serializer[Any]):
    rule = serializers.CharField(help_text="The pass share, “a/b”.")
    basis = serializers.CharField()
    overall = TallySerializer()
    estates = EstateTallySerializer(many=True)
    estates_passed = serializers.IntegerField()
    estates_total = serializers.IntegerField()
    estates_passed_percent = serializers.IntegerField()


class PlaceSerializer(serializers.Serializer[Any]):
    estate_id = serializers.IntegerField()
    building_id = serializers.IntegerField(required=False, allow_null=True)
    unit_id = serializers.IntegerField(required=False, allow_null=True)


class ConsultationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    question = serializers.CharField()
    audience = serializers.ChoiceField(choices=Consultation.Audience.choices)
    basis = serializers.ChoiceField(choices=Consultation.Basis.choices)
    rule = serializers.CharField()
    status = serializers.ChoiceField(choices=Consultation.Status.choices)
    is_open = serializers.BooleanField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    cell = serializers.DictField()
    places = PlaceSerializer(many=True)


class ConsultationDetailSerializer(ConsultationSerializer):
    result = ResultSerializer()


class ConsultationCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=120)
    question = serializers.CharField()
    places = PlaceSerializer(many=True)
    audience = serializers.ChoiceField(
        choices=Consultation.Audience.choices, default=Consultation.Audience.HOUSEHOLDS
    )
    basis = serializers.ChoiceField(
        choices=Consultation.Basis.choices, default=Consultation.Basis.ELIGIBLE
    )
    pass_numerator = serializers.IntegerField(min_value=1, default=2)
    pass_denominator = serializers.IntegerField(min_value=1, default=3)
    opens_at = serializers.DateTimeField(required=False)
    closes_at = serializers.DateTimeField()


class AnswerChoiceSerializer(serializers.Serializer[Any]):
    choice = serializers.ChoiceField(choices=ConsultationAnswer.Choice.choices)


class AnswerRecordSerializer(AnswerChoiceSerializer):
    household_id = serializers.IntegerField(required=False)
    owner_id = serializers.IntegerField(required=False)


class AnswerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    consultation_id = serializers.IntegerField()
    household_id = serializers.IntegerField(allow_null=True)
    owner_id = serializers.IntegerField(allow_null=True)
    choice = serializers.CharField()
    channel = serializers.CharField()
    answered_at = serializers.DateTimeField()


class RemindedSerializer(serializers.Serializer[Any]):
    messages = serializers.IntegerField()


# --- rows -------------------------------------------------------------------------------------


def _tally(tally: selectors.Tally) -> dict[str, Any]:
    return {
        "eligible": tally.eligible,
        "answered": tally.answered,
        "in_favour": tally.in_favour,
        "against": tally.against,
        "share": f"{tally.share.numerator}/{tally.share.denominator}",
        "percent": tally.percent,
        "passed": tally.passed,
    }


def result_data(result: selectors.ConsultationResult) -> dict[str, Any]:
    return {
        "rule": f"{result.rule.numerator}/{result.rule.denominator}",
        "basis": result.basis,
        "overall": _tally(result.overall),
        "estates": [
            {"estate_id": row.estate_id, "estate_name": row.estate_name, **_tally(row.tally)}
            for row in result.estates
        ],
        "estates_passed": result.estates_passed,
        "estates_total": len(result.estates),
        "estates_passed_percent": result.estates_passed_percent,
    }


def consultation_row(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.pk,
        "title": consultation.title,
        "question": consultation.question,
        "audience": consultation.audience,
        "basis": consultation.basis,
        "rule": f"{consultation.pass_numerator}/{consultation.pass_denominator}",
        "status": consultation.status,
        "is_open": selectors.consultation_is_open(consultation),
        "opens_at": consultation.opens_at,
        "closes_at": consultation.closes_at,
        "cell": {"code": consultation.cell.code, "name": consultation.cell.name},
        "places": [
            {"estate_id": s.estate_id, "building_id": s.building_id, "unit_id": s.unit_id}
            for s in consultation.scopes.all()
        ],
    }


def answer_row(answer: ConsultationAnswer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "consultation_id": answer.consultation_id,
        "household_id": answer.household_id,
        "owner_id": answer.owner_id,
        "choice": answer.choice,
        "channel": answer.channel,
        "answered_at": answer.answered_at,
    }


def _visible(request: Request, consultation_id: int) -> Consultation:
    try:
        return selectors.consultation_for_actor(actor=request.user, consultation_id=consultation_id)
    except Consultation.DoesNotExist:
        raise Http404 from None


# --- staff ------------------------------------------------------------------------------------


@extend_schema(tags=["consultations"])
class ConsultationListView(APIView):
    """Consultations (征询) of your area, newest first; ``status`` filters open or closed."""

    @extend_schema(responses={200: ConsultationSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        status_filter = request.query_params.get("status") or None
        rows = selectors.consultation_list_for_actor(
            actor=request.user,
            status=status_filter if status_filter in Consultation.Status.values else None,
            cell_code=request.query_params.get("cell") or None,
        ).prefetch_related("scopes")
        return page(self, request, rows, lambda items: [consultation_row(c) for c in items])

    @extend_schema(
        request=ConsultationCreateSerializer,
        responses={201: ConsultationDetailSerializer, **errors(400, 403)},
    )
    @refusals_as_errors
    def post(self, request: Request) -> Response:
        require(request, Perm.CONSULTATION_MANAGE)
        form = ConsultationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        consultation = services.consultation_create(
            actor=request.user,
            title=data["title"],
            question=data["question"],
            places=[
                services.Place(p["estate_id"], p.get("building_id"), p.get("unit_id"))
                for p in data["places"]
            ],
            audience=data["audience"],
            basis=data["basis"],
            pass_numerator=data["pass_numerator"],
            pass_denominator=data["pass_denominator"],
            opens_at=data.get("opens_at"),
            closes_at=data["closes_at"],
        )
        body = _detail(_visible(request, consultation.pk))
        return Response(body, status=status.HTTP_201_CREATED)


def _detail(consultation: Consultation) -> dict[str, Any]:
    return {
        **consultation_row(consultation),
        "result": result_data(selectors.consultation_result(consultation)),
    }


@extend_schema(tags=["consultations"])
class ConsultationDetailView(APIView):
    """One consultation with its results per estate and overall (exact fractions)."""

    @extend_schema(responses={200: ConsultationDetailSerializer, **errors(403, 404)})
    def get(self, request: Request, consultation_id: int) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        return Response(_detail(_visible(request, consultation_id)))


@extend_schema(tags=["consultations"])
class ConsultationAnswerRecordView(APIView):
    """Record a door-to-door answer (上门征询) for a household, or an owner; one per each."""

    @extend_schema(
        request=AnswerRecordSerializer,
        responses={201: AnswerSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, consultation_id: int) -> Response:
        consultation = _visible(request, consultation_id)
        form = AnswerRecordSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        answer = services.consultation_answer_record(
            actor=request.user,
            consultation_id=consultation.pk,
            choice=data["choice"],
            household_id=data.get("household_id"),
            owner_id=data.get("owner_id"),
        )
        return Response(answer_row(answer), status=status.HTTP_201_CREATED)


@extend_schema(tags=["consultations"])
class ConsultationCloseView(APIView):
    """Close the consultation; its result is final."""

    @extend_schema(
        request=None, responses={200: ConsultationDetailSerializer, **errors(403, 404, 409)}
    )
    @refusals_as_errors
    def post(self, request: Request, consultation_id: int) -> Response:
        consultation = _visible(request, consultation_id)
        services.consultation_close(actor=request.user, consultation_id=consultation.pk)
        return Response(_detail(_visible(request, consultation_id)))


@extend_schema(tags=["consultations"])
class ConsultationRemindView(APIView):
    """Remind those who have not answered (in-app and SMS), at most once a day."""

    @extend_schema(request=None, responses={200: RemindedSerializer, **errors(403, 404, 409)})
    @refusals_as_errors
    def post(self, request: Request, consultation_id: int) -> Response:
        consultation = _visible(request, consultation_id)
        sent = services.consultation_remind(actor=request.user, consultation_id=consultation.pk)
        return Response({"messages": sent})


# --- residents --------------------------------------------------------------------------------


@extend_schema(tags=["consultations"])
class MyConsultationListView(APIView):
    """The consultations that ask the signed-in resident's household (or them as owner)."""

    @extend_schema(responses={200: ConsultationSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        rows = (
            selectors.consultation_list_for_resident(actor=request.user)
            .select_related("cell")
            .prefetch_related("scopes")
        )
        return page(self, request, rows, lambda items: [consultation_row(c) for c in items])


@extend_schema(tags=["consultations"])
class MyConsultationAnswerView(APIView):
    """Answer for your household (or as owner): once; 409 for a second answer or after close."""

    @extend_schema(
        request=AnswerChoiceSerializer,
        responses={201: AnswerSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, consultation_id: int) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        form = AnswerChoiceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        answer = services.consultation_answer(
            actor=request.user,
            consultation_id=consultation_id,
            choice=form.validated_data["choice"],
        )
        return Response(answer_row(answer), status=status.HTTP_201_CREATED)
