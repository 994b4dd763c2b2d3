"""The project API under ``/api/v1/participation/`` (加装电梯等; DESIGN D7, D10): projects of
your area, the programme funnel, one project's stages, reaching a stage, attaching a document,
and a resident's own doorway's project."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.participation.api.consultations import page, refusals_as_errors
from gridgov.participation.api.errors import errors, require
from gridgov.participation.models import Project, ProjectStage
from gridgov.participation.selectors import projects as selectors
from gridgov.participation.services import projects as services


class DocumentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()


class StageSerializer(serializers.Serializer[Any]):
    order = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    is_optional = serializers.BooleanField()
    reached_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    consultation_id = serializers.IntegerField(allow_null=True)
    vote_id = serializers.IntegerField(allow_null=True)
    documents = DocumentSerializer(many=True)


class ProjectSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    template = serializers.CharField()
    status = serializers.ChoiceField(choices=Project.Status.choices)
    estate = serializers.DictField()
    building = serializers.DictField()
    unit = serializers.DictField(allow_null=True)
    cell = serializers.DictField()
    stage_order = serializers.IntegerField(allow_null=True)


class ProjectDetailSerializer(ProjectSerializer):
    stages = StageSerializer(many=True)


class ProjectCreateSerializer(serializers.Serializer[Any]):
    template = serializers.SlugField(default=services.ELEVATOR_TEMPLATE)
    building_id = serializers.IntegerField()
    unit_id = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)


class StageReachSerializer(serializers.Serializer[Any]):
    reached_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    consultation_id = serializers.IntegerField(required=False, allow_null=True)
    vote_id = serializers.IntegerField(required=False, allow_null=True)


class DocumentUploadSerializer(serializers.Serializer[Any]):
    stage = serializers.SlugField()
    file = serializers.FileField()


class FunnelStepSerializer(serializers.Serializer[Any]):
    order = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    projects = serializers.IntegerField(help_text="Projects that reached this stage or later.")
    at_stage = serializers.IntegerField(help_text="Projects whose furthest stage is this one.")


class FunnelSerializer(serializers.Serializer[Any]):
    template = serializers.CharField(allow_null=True)
    total = serializers.IntegerField()
    steps = FunnelStepSerializer(many=True)


def _place(obj: Any, label: str) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, label)}


def project_row(project: Project) -> dict[str, Any]:
    return {
        "id": project.pk,
        "title": project.title,
        "template": project.template.code,
        "status": project.status,
        "estate": _place(project.estate, "name"),
        "building": _place(project.building, "label"),
        "unit": _place(project.unit, "label"),
        "cell": {"code": project.cell.code, "name": project.cell.name},
        "stage_order": project.stage_order,
    }


def stage_row(stage: ProjectStage) -> dict[str, Any]:
    return {
        "order": stage.order,
        "code": stage.code,
        "name": stage.name,
        "is_optional": stage.is_optional,
        "reached_on": stage.reached_on,
        "note": stage.note,
        "consultation_id": stage.consultation_id,
        "vote_id": stage.vote_id,
        "documents": [
            {
                "id": document.pk,
                "name": document.original_name,
                "content_type": document.content_type,
                "size": document.size,
                "url": f"/participation/projects/documents/{document.pk}/",
            }
            for document in stage.documents.all()
        ],
    }


def project_detail(project: Project) -> dict[str, Any]:
    return {**project_row(project), "stages": [stage_row(s) for s in project.stages.all()]}


def _visible(request: Request, project_id: int) -> Project:
    try:
        return selectors.project_for_actor(actor=request.user, project_id=project_id)
    except Project.DoesNotExist:
        raise Http404 from None


@extend_schema(tags=["projects"])
class ProjectListView(APIView):
    """Projects of your area; filter by ``template``, ``cell``, ``estate`` and ``stage``."""

    @extend_schema(
        parameters=[
            OpenApiParameter("template", OpenApiTypes.STR),
            OpenApiParameter("cell", OpenApiTypes.STR),
            OpenApiParameter("estate", OpenApiTypes.INT),
            OpenApiParameter("stage", OpenApiTypes.INT, description="Furthest stage reached"),
        ],
        responses={200: ProjectSerializer(many=True), **errors(403)},
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        params = request.query_params
        estate = params.get("estate", "")
        stage = params.get("stage", "")
        rows = selectors.project_list_for_actor(
            actor=request.user,
            template_code=params.get("template") or None,
            cell_code=params.get("cell") or None,
            estate_id=int(estate) if estate.isdigit() else None,
            stage_order=int(stage) if stage.isdigit() else None,
        ).select_related("cell")
        return page(self, request, rows, lambda items: [project_row(p) for p in items])

    @extend_schema(
        request=ProjectCreateSerializer,
        responses={201: ProjectDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request) -> Response:
        require(request, Perm.PROJECT_MANAGE)
        form = ProjectCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        project = services.project_create(
            actor=request.user,
            template_code=data["template"],
            building_id=data["building_id"],
            unit_id=data.get("unit_id"),
            title=data.get("title", ""),
        )
        return Response(
            project_detail(_visible(request, project.pk)), status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["projects"])
class ProjectFunnelView(APIView):
    """The programme funnel: per stage, how many projects got that far (1,406 → 284 → …)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("template", OpenApiTypes.STR, description="Default: elevator"),
            OpenApiParameter("cell", OpenApiTypes.STR),
        ],
        responses={200: FunnelSerializer, **errors(403)},
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        funnel = selectors.project_funnel(
            actor=request.user,
            template_code=request.query_params.get("template") or services.ELEVATOR_TEMPLATE,
            cell_code=request.query_params.get("cell") or None,
        )
        return Response(
            {
                "template": funnel.template.code if funnel.template else None,
                "total": funnel.total,
                "steps": [
                    {
                        "order": step.order,
                        "code": step.code,
                        "name": step.name,
                        "projects": step.projects,
                        "at_stage": step.at_stage,
                    }
                    for step in funnel.steps
                ],
            }
        )


@extend_schema(tags=["projects"])
class ProjectDetailView(APIView):
    """One project with its stages, dates, decisions and documents."""

    @extend_schema(responses={200: ProjectDetailSerializer, **errors(403, 404)})
    def get(self, request: Request, project_id: int) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        return Response(project_detail(_visible(request, project_id)))


@extend_schema(tags=["projects"])
class ProjectStageReachView(APIView):
    """Record that the project reached a stage on a date; stages go in order (400
    ``stage_skipped``), once each (409 ``stage_reached``)."""

    @extend_schema(
        request=StageReachSerializer,
        responses={200: ProjectDetailSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, project_id: int, stage_code: str) -> Response:
        project = _visible(request, project_id)
        form = StageReachSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        services.project_stage_reach(
            actor=request.user,
            project_id=project.pk,
            stage_code=stage_code,
            reached_on=data["reached_on"],
            note=data.get("note", ""),
            consultation_id=data.get("consultation_id"),
            vote_id=data.get("vote_id"),
        )
        return Response(project_detail(_visible(request, project_id)))


@extend_schema(tags=["projects"])
class ProjectDocumentView(APIView):
    """Attach a document (a PDF scan or a JPEG, PNG or WebP photo, checked by content) to a stage."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: ProjectDetailSerializer, **errors(400, 403, 404)},
    )
    @refusals_as_errors
    def post(self, request: Request, project_id: int) -> Response:
        project = _visible(request, project_id)
        form = DocumentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.project_document_add(
            actor=request.user,
            project_id=project.pk,
            stage_code=form.validated_data["stage"],
            upload=form.validated_data["file"],
        )
        return Response(
            project_detail(_visible(request, project_id)), status=status.HTTP_201_CREATED
        )


@extend_schema(tags=["projects"])
class MyProjectListView(APIView):
    """The projects of the signed-in resident's doorway or building."""

    @extend_schema(responses={200: ProjectDetailSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        rows = selectors.project_list_for_resident(actor=request.user)
        return page(self, request, rows, lambda items: [project_detail(p) for p in items])
