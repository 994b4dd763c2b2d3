"""The cases API under ``/api/v1/``: the same reads and steps as the pages, scoped alike.

Every read goes through the cases selectors with the acting user (an out-of-scope case is a
404 exactly like an unknown one); every write is one engine call whose refusals come back as
``{code, message}``: 400 for a step the case's state does not allow or a missing field, 403 for
a step that is not the user's to take, 409 when someone else changed the case first.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.cases import selectors, services
from gridgov.cases.api import serializers as s
from gridgov.cases.api.common import (
    case_detail,
    case_row,
    engine_call,
    require,
    uploads,
    visit_row,
)
from gridgov.cases.models import Case
from gridgov.core import notifications
from gridgov.registry.api.common import errors, page

PARSERS = [JSONParser, MultiPartParser, FormParser]


def _detail_response(request: Request, case_id: int, *, code: int = 200) -> Response:
    case = selectors.case_get_for_actor(actor=request.user, case_id=case_id)
    timeline = selectors.case_timeline(actor=request.user, case=case)
    actions = services.allowed_actions(actor=request.user, case=case)
    return Response(case_detail(case, timeline=timeline, actions=actions), status=code)


@extend_schema(tags=["cases"])
class CaseListView(APIView):
    """Cases in your scope (or one of your queues), filtered; ``POST`` files a case."""

    parser_classes = PARSERS

    @extend_schema(
        parameters=[s.CaseFilterSerializer], responses={200: s.CaseSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        query = s.CaseFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.cases_filtered(actor=request.user, **query.validated_data)
        return page(self, request, cases, lambda rows: [case_row(case) for case in rows])

    @extend_schema(
        request=s.CaseReportSerializer,
        responses={201: s.CaseSerializer, **errors(400, 403)},
    )
    @engine_call
    def post(self, request: Request) -> Response:
        form = s.CaseReportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.pop("files", None)
        case = services.case_report(actor=request.user, uploads=uploads(request), **data)
        if selectors.case_visible_to(actor=request.user, case=case):
            # The case as lists show it; its timeline is one GET away.
            return Response(case_row(case), status=status.HTTP_201_CREATED)
        # Filed for someone else, somewhere outside the filer's own area: the number only.
        return Response(
            {"id": case.pk, "number": case.number, "status": case.status},
            status=status.HTTP_201_CREATED,
        )


@extend_schema(tags=["cases"])
class CaseDetailView(APIView):
    """One case with its timeline, whistles, squad, attachments and the steps you may take."""

    @extend_schema(responses={200: s.CaseDetailSerializer, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(request, pk)


def _merge_target(request: Request, number: str) -> int:
    return selectors.case_id_for_number(actor=request.user, number=number)


def _call_action(request: Request, case: Case, action: str, d: dict[str, Any]) -> None:
    actor, v = request.user, d["expected_version"]
    common = {"actor": actor, "case_id": case.pk}
    if action == "accept":
        services.case_accept(**common, expected_version=v, note=d["note"])
    elif action == "dispatch":
        services.case_dispatch(
            **common,
            department_id=d["department_id"],
            assignee_id=d["assignee_id"],
            expected_version=v,
            note=d["note"],
        )
    elif action == "grab":
        services.case_grab(**common, expected_version=v)
    elif action == "start":
        services.case_start(**common, expected_version=v, note=d["note"])
    elif action == "resolve":
        services.case_resolve(
            **common, note=d["note"], uploads=uploads(request), expected_version=v
        )
    elif action == "return":
        services.case_return(**common, reason=d["reason"], expected_version=v)
    elif action == "reopen":
        services.case_reopen(**common, reason=d["reason"], expected_version=v)
    elif action == "suspend":
        if d["until"] is None:
            raise services.MissingFieldError(code="until")
        services.case_suspend(**common, reason=d["reason"], until=d["until"], expected_version=v)
    elif action == "resume":
        services.case_resume(**common, expected_version=v, note=d["note"])
    elif action == "merge":
        services.case_merge(
            **common,
            into_case_id=_merge_target(request, d["into_case"]),
            expected_version=v,
            note=d["note"],
        )
    elif action == "close":
        services.case_close(**common, note=d["note"], expected_version=v)
    elif action == "escalate":
        services.case_escalate(**common, reason=d["reason"], expected_version=v)
    elif action == "whistle":
        if d["lead_department_id"] is None:
            raise services.MissingFieldError(code="lead_department_id")
        services.case_whistle(
            **common,
            department_ids=d["department_ids"],
            lead_department_id=d["lead_department_id"],
            reason=d["reason"],
            report_within_minutes=d["report_within_minutes"],
        )
    elif action == "squad":
        services.squad_add_member(
            **common,
            name=d["name"],
            organization_id=d["organization_id"],
            user_id=d["user_id"],
            role=d["role"],
        )
    elif action == "comment":
        services.case_comment(**common, note=d["note"], uploads=uploads(request))
    else:
        raise Http404


ACTIONS = (
    "accept",
    "dispatch",
    "grab",
    "start",
    "resolve",
    "return",
    "reopen",
    "suspend",
    "resume",
    "merge",
    "close",
    "escalate",
    "whistle",
    "squad",
    "comment",
)


@extend_schema(
    tags=["cases"],
    request=s.ActionSerializer,
    responses={200: s.CaseDetailSerializer, **errors(400, 403, 404, 409)},
    parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS))],
)
class CaseActionView(APIView):
    """One step on a case (``accept``, ``dispatch``, ``resolve`` …) with the ``version`` you
    read as ``expected_version``: 409 if the case moved meanwhile."""

    parser_classes = PARSERS

    @engine_call
    def post(self, request: Request, pk: int, action: str) -> Response:
        if action not in ACTIONS:
            raise Http404
        case = selectors.case_get_for_actor(actor=request.user, case_id=pk)
        form = s.ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        _call_action(request, case, action, dict(form.validated_data))
        return _detail_response(request, pk)


@extend_schema(
    tags=["cases"],
    request=s.RatingSerializer,
    responses={200: s.CaseDetailSerializer, **errors(400, 404)},
)
class CaseRatingView(APIView):
    """The reporter rates the resolved case 1–5 (a rating of 2 or less may reopen it)."""

    @engine_call
    def post(self, request: Request, pk: int) -> Response:
        selectors.case_get_for_actor(actor=request.user, case_id=pk)
        form = s.RatingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.case_rate(actor=request.user, case_id=pk, **form.validated_data)
        return _detail_response(request, pk)


@extend_schema(
    tags=["cases"],
    request=s.CallbackSerializer,
    responses={200: s.CaseDetailSerializer, **errors(400, 403, 404)},
)
class CaseCallbackView(APIView):
    """回访: staff record the satisfaction of a reporter without an account (hotline, visit,
    Open311, alarm) after the case is resolved; needs ``cases.record_callback`` over the case's
    area, once, never by whoever worked on the case (403); a rating of 2 or less may reopen it."""

    @engine_call
    def post(self, request: Request, pk: int) -> Response:
        selectors.case_get_for_actor(actor=request.user, case_id=pk)
        form = s.CallbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.case_rate_by_callback(actor=request.user, case_id=pk, **form.validated_data)
        return _detail_response(request, pk)


@extend_schema(tags=["cases"], responses={200: s.CaseSerializer(many=True), **errors(404)})
class CaseDuplicatesView(APIView):
    """Likely duplicates: the same category within 50 m and 7 days, not merged or closed."""

    def get(self, request: Request, pk: int) -> Response:
        case = selectors.case_get_for_actor(actor=request.user, case_id=pk)
        rows = selectors.duplicate_candidates(actor=request.user, case=case)
        return Response([case_row(item) for item in rows[:50]])


@extend_schema(
    tags=["cases"],
    parameters=[
        OpenApiParameter("category", str, description="A category or group code."),
        OpenApiParameter("cell", str, description="An area code."),
        OpenApiParameter("late", bool),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
class CaseMapView(APIView):
    """Open cases with a location, as GeoJSON points."""

    def get(self, request: Request) -> Response:
        params = request.query_params
        return Response(
            selectors.open_cases_geojson(
                actor=request.user,
                category_code=params.get("category") or None,
                cell_code=params.get("cell") or None,
                late_only=params.get("late") in ("1", "true"),
            )
        )


@extend_schema(tags=["cases"], responses={200: OpenApiTypes.BINARY, **errors(404)})
class AttachmentView(APIView):
    """A file of a case or a visit, for whoever may see that case or visit."""

    def get(self, request: Request, pk: int) -> FileResponse:
        item = selectors.attachment_get_for_actor(actor=request.user, attachment_id=pk)
        response = FileResponse(item.file.open("rb"), content_type=item.content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(
    tags=["cases"],
    request=s.ReportInSerializer,
    responses={200: s.CaseDetailSerializer, **errors(400, 403, 404)},
)
class SummonsReportInView(APIView):
    """报到: a summoned department reports in to the whistle."""

    @engine_call
    def post(self, request: Request, pk: int) -> Response:
        form = s.ReportInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        visible = selectors.cases_for_actor(actor=request.user).filter(whistles__summonses__pk=pk)
        case_id = visible.values_list("pk", flat=True).first()
        if case_id is None:
            raise Http404
        services.whistle_report_in(
            actor=request.user, summons_id=pk, note=form.validated_data["note"]
        )
        return _detail_response(request, case_id)


@extend_schema(tags=["cases"], responses={200: s.CategorySerializer(many=True)})
class CategoryListView(APIView):
    """The categories a case may be filed under, with deadlines and questions."""

    def get(self, request: Request) -> Response:
        rows = []
        for category in services.categories_filable():
            rows.append(
                {
                    "id": category.pk,
                    "code": category.code,
                    "name": category.name,
                    "group": category.parent.name if category.parent else "",
                    "description": category.description,
                    "department": (
                        {"id": category.department.pk, "name": category.department.name}
                        if category.department
                        else None
                    ),
                    "is_property_matter": category.is_property_matter,
                    "accept_within": category.accept_within,
                    "accept_unit": category.accept_unit,
                    "resolve_within": category.resolve_within,
                    "resolve_unit": category.resolve_unit,
                    "required_fields": list(category.required_fields or []),
                    "attributes": list(category.attributes or []),
                }
            )
        return Response(s.CategorySerializer(rows, many=True).data)


@extend_schema(tags=["cases"])
class VisitListView(APIView):
    """电子走访: visits in your area (or your own); ``POST`` records one, opening a case if asked."""

    parser_classes = PARSERS

    @extend_schema(
        parameters=[OpenApiParameter("building", int)],
        responses={200: s.VisitSerializer(many=True), **errors(403)},
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.CASE_VISIT)
        raw = request.query_params.get("building")
        building_id = int(raw) if raw and raw.isdigit() else None
        visits = selectors.visits_for_actor(actor=request.user, building_id=building_id)
        visits = visits.prefetch_related("attachments")
        return page(self, request, visits, lambda rows: [visit_row(visit) for visit in rows])

    @extend_schema(
        request=s.VisitCreateSerializer,
        responses={201: s.VisitSerializer, **errors(400, 403)},
    )
    @engine_call
    def post(self, request: Request) -> Response:
        require(request, Perm.CASE_VISIT)
        form = s.VisitCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.pop("files", None)
        visit = services.visit_record(actor=request.user, uploads=uploads(request), **data)
        visit = selectors.visits_for_actor(actor=request.user).get(pk=visit.pk)
        return Response(visit_row(visit), status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["cases"],
    parameters=[s.StatisticsFilterSerializer],
    responses={200: OpenApiTypes.OBJECT, **errors(400, 403)},
)
class StatisticsView(APIView):
    """The statistics page's figures: summary, breakdowns, rankings, red/black thresholds."""

    def get(self, request: Request) -> Response:
        from gridgov.cases.selectors import statistics as stats

        require(request, Perm.CASE_STATISTICS)
        form = s.StatisticsFilterSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        cell = data["cell"]
        if cell and not scope_for(request.user, Perm.CASE_STATISTICS).covers(cell):
            raise Http404
        try:
            query = stats.statistics_query(
                start=data["start"],
                end=data["end"],
                cell_code=cell,
                department_id=data["department"],
                category_id=data["category"],
                channel=data["channel"],
            )
        except stats.StatisticsFilterError as error:
            return Response(
                {"code": "invalid", "message": str(error)}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(stats.statistics_report(actor=request.user, query=query).as_dict())


@extend_schema(tags=["cases"])
class NotificationListView(APIView):
    """Your in-app messages, newest first (``?unread=1`` for the unread only)."""

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool)],
        responses={200: s.NotificationSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        unread = request.query_params.get("unread") in ("1", "true")
        rows = notifications.notifications_for_user(actor=request.user, unread_only=unread)
        return page(
            self, request, rows, lambda items: s.NotificationSerializer(items, many=True).data
        )


@extend_schema(tags=["cases"], request=None, responses={204: None, **errors(404)})
class NotificationReadView(APIView):
    """Mark one of your messages read."""

    def post(self, request: Request, pk: int) -> Response:
        notifications.notification_mark_read(actor=request.user, notification_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
