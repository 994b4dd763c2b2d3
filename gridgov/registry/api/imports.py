"""Excel imports over the API, with the same service functions as the import pages: upload
(checked first, nothing written), follow the status, confirm, fetch the row-by-row report.

A job is its uploader's alone: anyone else's answers 404 like an unknown one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.registry import serializers_writes as w
from gridgov.registry.api.common import XLSX, errors, require, with_fields, xlsx_attachment
from gridgov.registry.selectors import summary as summary_selectors
from gridgov.registry.services import imports as import_services


def _job_data(request: Request, job_id: int) -> dict[str, object]:
    job = summary_selectors.import_job_get_for_actor(actor=request.user, job_id=job_id)
    problems, more = summary_selectors.import_job_problems(job)
    context = {"problems": problems, "more_problems": more}
    return dict(w.ImportJobDetailSerializer(job, context=context).data)


@extend_schema(
    tags=["registry"],
    request={"multipart/form-data": w.ImportCreateSerializer},
    responses={201: w.ImportJobSerializer, **errors(400, 403)},
)
class ImportListView(APIView):
    """Upload a sheet (``kind``, ``cell``, ``file``): it is checked in the background and
    nothing is written until the job is confirmed."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request: Request) -> Response:
        require(request, Perm.REGISTRY_IMPORT)
        form = w.ImportCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        job = import_services.import_job_create(
            actor=request.user,
            kind=form.validated_data["kind"],
            content=upload.read(),
            original_name=upload.name,
            cell_code=form.validated_data.get("cell") or None,
        )
        import_services.import_job_schedule(job_id=job.pk)
        return Response(w.ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"], responses={200: w.ImportJobDetailSerializer, **errors(403, 404)})
class ImportDetailView(APIView):
    """Status, counts, progress, and the first problems the check found."""

    def get(self, request: Request, pk: int) -> Response:
        require(request, Perm.REGISTRY_IMPORT)
        response = Response(_job_data(request, pk))
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(
    tags=["registry"],
    request=w.ImportCommitSerializer,
    responses={202: w.ImportJobDetailSerializer, **errors(400, 403, 404)},
)
class ImportCommitView(APIView):
    """Confirm a checked upload: ``mode`` ``all`` (all or nothing) or ``partial``."""

    def post(self, request: Request, pk: int) -> Response:
        require(request, Perm.REGISTRY_IMPORT)
        form = w.ImportCommitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            job = import_services.import_job_commit(
                actor=request.user,
                job_id=pk,
                is_all_or_nothing=form.validated_data["mode"] != "partial",
            )
        except ValidationError as error:
            raise with_fields(error) from error
        import_services.import_job_schedule(job_id=job.pk)
        return Response(_job_data(request, job.pk), status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["registry"],
    responses={(200, XLSX): OpenApiTypes.BINARY, **errors(403, 404)},
)
class ImportErrorReportView(APIView):
    """The error report: the uploaded columns of each bad row plus row, column and reason."""

    def get(self, request: Request, pk: int) -> HttpResponse:
        require(request, Perm.REGISTRY_IMPORT)
        job = summary_selectors.import_job_get_for_actor(actor=request.user, job_id=pk)
        if not job.error_report:
            raise Http404
        with job.error_report.open("rb") as report:
            content = report.read()
        stem = job.original_name.rsplit(".", 1)[0] or "import"
        return xlsx_attachment(content, f"{stem}-错误报告.xlsx")
