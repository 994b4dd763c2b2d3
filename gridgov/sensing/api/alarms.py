"""The alarm API under ``/api/v1/sensing/``: alarms of your area, acknowledging, clearing and
opening a case, and the scenarios they come from (DESIGN D7, D10).

Refusals are the project's JSON errors: 409 ``alarm_state`` when the alarm is no longer in the
state the step needs (acknowledged twice, cleared already), 400 with a code for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.registry.api.common import errors, page, require
from gridgov.sensing import selectors
from gridgov.sensing.api import alarm_serializers as s
from gridgov.sensing.models import Alarm, AlarmStep, Scenario
from gridgov.sensing.services import alarm_actions, scenarios


def _person_label(user: Any) -> str | None:
    if user is None:
        return None
    return str(getattr(user, "display_name", "") or user.get_username())


def alarm_row(alarm: Alarm) -> dict[str, Any]:
    position = selectors.alarm_position(alarm)
    device = alarm.device
    building = alarm.building
    return {
        "id": alarm.pk,
        "scenario": {"code": alarm.scenario.code, "name": alarm.scenario.name},
        "scenario_version": alarm.scenario_version,
        "severity": alarm.severity,
        "severity_label": str(alarm.get_severity_display()),
        "status": alarm.status,
        "status_label": str(alarm.get_status_display()),
        "summary": alarm.summary,
        "device": None if device is None else {"code": device.code, "name": device.name},
        "cell": {"code": alarm.cell.code, "name": alarm.cell.name},
        "building": None if building is None else {"id": building.pk, "name": str(building)},
        "dwelling_id": alarm.dwelling_id,
        "concerns_person": alarm.person_id is not None,
        "lng": position[0] if position else None,
        "lat": position[1] if position else None,
        "raised_at": alarm.raised_at,
        "last_occurred_at": alarm.last_occurred_at,
        "occurrences": alarm.occurrences,
        "acknowledged_by": _person_label(alarm.acknowledged_by),
        "acknowledged_at": alarm.acknowledged_at,
        "cleared_by": _person_label(alarm.cleared_by),
        "cleared_at": alarm.cleared_at,
        "clear_note": alarm.clear_note,
        "case": None if alarm.case is None else {"id": alarm.case.pk, "number": alarm.case.number},
    }


def _step_row(step: AlarmStep) -> dict[str, Any]:
    return {
        "action": step.action,
        "action_label": str(step.get_action_display()),
        "at": step.at,
        "by": _person_label(step.actor),
        "note": step.note,
    }


def alarm_detail(actor: Any, alarm: Alarm) -> dict[str, Any]:
    return {
        **alarm_row(alarm),
        "values": alarm.values or {},
        "steps": [_step_row(step) for step in selectors.alarm_steps(alarm=alarm)],
        "can_handle": selectors.alarm_handling_allowed(actor=actor, alarm=alarm),
    }


def scenario_row(scenario: Scenario) -> dict[str, Any]:
    return {
        "code": scenario.code,
        "name": scenario.name,
        "description": scenario.description,
        "kind": scenario.kind,
        "kind_label": str(scenario.get_kind_display()),
        "device_categories": list(scenario.device_categories or []),
        "event_kinds": list(scenario.event_kinds or []),
        "params": scenario.params or {},
        "severity": scenario.severity,
        "suppress_seconds": scenario.suppress_seconds,
        "notify_roles": list(scenario.notify_roles or []),
        "sms_min_severity": scenario.sms_min_severity,
        "opens_case": scenario.opens_case,
        "case_category_code": scenario.case_category_code,
        "enabled": scenario.enabled,
        "version": scenario.version,
        "source": scenario.source,
        "updated_at": scenario.updated_at,
    }


def _visible_alarm(request: Request, alarm_id: int) -> Alarm:
    try:
        return selectors.alarm_for_actor(actor=request.user, alarm_id=alarm_id)
    except Alarm.DoesNotExist:
        raise Http404 from None


def _refusal(error: ValidationError) -> Response:
    message = " ".join(str(text) for text in error.messages)
    code = str(getattr(error, "code", None) or "invalid")
    answer = status.HTTP_409_CONFLICT if code == "alarm_state" else status.HTTP_400_BAD_REQUEST
    return Response({"code": code, "message": message}, status=answer)


def refusals_as_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    """The services' refusals (alarm and case errors) as the API's JSON errors."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise
            return _refusal(error)

    return wrapped


@extend_schema(tags=["alarms"])
class AlarmListView(APIView):
    """Alarms of your area (property staff: of your company's devices), newest first."""

    @extend_schema(
        parameters=[s.AlarmFilterSerializer],
        responses={200: s.AlarmSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.ALARM_VIEW)
        query = s.AlarmFilterSerializer(
            data={
                **request.query_params.dict(),
                "severity": request.query_params.getlist("severity"),
                "status": request.query_params.getlist("status"),
            }
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        alarms = selectors.alarm_list_for_actor(
            actor=request.user,
            cell_code=data.get("cell"),
            severities=data.get("severity", []),
            scenario_code=data.get("scenario"),
            statuses=data.get("status", []),
            since=data.get("since"),
        ).select_related("acknowledged_by", "cleared_by")
        return page(self, request, alarms, lambda rows: [alarm_row(a) for a in rows])


@extend_schema(tags=["alarms"])
class AlarmCountsView(APIView):
    """Open alarms counted by status and by severity (the board's figures)."""

    @extend_schema(responses={200: s.AlarmCountsSerializer, **errors(403)})
    def get(self, request: Request) -> Response:
        require(request, Perm.ALARM_VIEW)
        cell = request.query_params.get("cell") or None
        return Response(selectors.alarm_counts_for_actor(actor=request.user, cell_code=cell))


@extend_schema(tags=["alarms"])
class AlarmDetailView(APIView):
    """One alarm with its history (steps) and whether you may handle it."""

    @extend_schema(responses={200: s.AlarmDetailSerializer, **errors(403, 404)})
    def get(self, request: Request, alarm_id: int) -> Response:
        require(request, Perm.ALARM_VIEW)
        return Response(alarm_detail(request.user, _visible_alarm(request, alarm_id)))


@extend_schema(tags=["alarms"])
class AlarmAcknowledgeView(APIView):
    """确认: an active alarm becomes acknowledged; a second acknowledgement is 409."""

    @extend_schema(request=None, responses={200: s.AlarmDetailSerializer, **errors(403, 404, 409)})
    @refusals_as_errors
    def post(self, request: Request, alarm_id: int) -> Response:
        alarm = alarm_actions.alarm_acknowledge(actor=request.user, alarm_id=alarm_id)
        return Response(alarm_detail(request.user, _visible_alarm(request, alarm.pk)))


@extend_schema(tags=["alarms"])
class AlarmClearView(APIView):
    """解除: clear an active or acknowledged alarm with a note saying why (400 without one)."""

    @extend_schema(
        request=s.AlarmClearSerializer,
        responses={200: s.AlarmDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, alarm_id: int) -> Response:
        form = s.AlarmClearSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alarm = alarm_actions.alarm_clear(
            actor=request.user, alarm_id=alarm_id, note=form.validated_data.get("note", "")
        )
        return Response(alarm_detail(request.user, _visible_alarm(request, alarm.pk)))


@extend_schema(tags=["alarms"])
class AlarmOpenCaseView(APIView):
    """Open a case (工单) for the alarm; 409 when it has one already."""

    @extend_schema(
        request=s.AlarmOpenCaseSerializer,
        responses={201: s.CaseOpenedSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, alarm_id: int) -> Response:
        form = s.AlarmOpenCaseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = alarm_actions.alarm_open_case(
            actor=request.user,
            alarm_id=alarm_id,
            category_code=data.get("category") or None,
            note=data.get("note", ""),
        )
        body = {
            "alarm": alarm_row(_visible_alarm(request, alarm_id)),
            "case": {"id": case.pk, "number": case.number},
        }
        return Response(body, status=status.HTTP_201_CREATED)


def _require_scenarios(request: Request) -> None:
    if not selectors.scenarios_visible(request.user):
        raise PermissionDenied


@extend_schema(tags=["alarms"])
class ScenarioListView(APIView):
    """The scenarios (场景) alarms are raised by."""

    @extend_schema(responses={200: s.ScenarioSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        _require_scenarios(request)
        rows = selectors.scenario_list_for_actor(actor=request.user)
        return page(self, request, rows, lambda items: [scenario_row(x) for x in items])

    @extend_schema(
        request=s.ScenarioCreateSerializer,
        responses={201: s.ScenarioSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        require(request, Perm.SCENARIO_MANAGE)
        form = s.ScenarioCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        scenario = scenarios.scenario_create(
            actor=request.user, code=fields.pop("code"), note=fields.pop("note", ""), **fields
        )
        return Response(scenario_row(scenario), status=status.HTTP_201_CREATED)


@extend_schema(tags=["alarms"])
class ScenarioDetailView(APIView):
    @extend_schema(responses={200: s.ScenarioSerializer, **errors(403, 404)})
    def get(self, request: Request, code: str) -> Response:
        _require_scenarios(request)
        try:
            scenario = selectors.scenario_for_actor(actor=request.user, code=code)
        except Scenario.DoesNotExist:
            raise Http404 from None
        return Response(scenario_row(scenario))

    @extend_schema(
        request=s.ScenarioWriteSerializer,
        responses={200: s.ScenarioSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, code: str) -> Response:
        require(request, Perm.SCENARIO_MANAGE)
        if not selectors.scenario_list_for_actor(actor=request.user).filter(code=code).exists():
            raise Http404
        form = s.ScenarioWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        fields = dict(form.validated_data)
        scenario = scenarios.scenario_update(
            actor=request.user, code=code, note=fields.pop("note", ""), **fields
        )
        return Response(scenario_row(scenario))
