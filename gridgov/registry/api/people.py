"""People: the masked list and file, registration, edits, reveal, tags, verification, export.

Scoping is the selectors' job, masking the presenter's: a person out of scope is a 404 JSON
error exactly like an unknown one, and identifiers leave only masked, except through
``POST /people/{id}/reveal/`` and a clear export (permission, purpose, audit row).
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.registry import serializers as s
from gridgov.registry import serializers_writes as w
from gridgov.registry.api.common import (
    XLSX_RESPONSES,
    errors,
    page,
    person_data,
    xlsx_attachment,
)
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors import people as people_selectors
from gridgov.registry.selectors import quality as quality_selectors
from gridgov.registry.services import exports as export_services
from gridgov.registry.services import people as people_services
from gridgov.registry.services import tags as tag_services


def _people_filters(data: Any) -> dict[str, Any]:
    """The list's query parameters as ``person_list_for_actor`` names them."""
    return {
        "cell_code": data.get("cell"),
        "tag": data.get("tag"),
        "age_min": data.get("age_min"),
        "age_max": data.get("age_max"),
        "is_migrant": data.get("is_migrant"),
        "query": data.get("q"),
    }


_LONG_NUMBER = re.compile(r"\d{8,}")


def _people_page(view: APIView, request: Request, filters: Any) -> Response:
    people = people_selectors.person_list_for_actor(actor=request.user, **_people_filters(filters))
    presenter = PersonPresenter(request.user)
    return page(
        view,
        request,
        people,
        lambda rows: s.PersonSerializer(presenter.rows(rows), many=True).data,
    )


@extend_schema(tags=["registry"])
class PersonListView(APIView):
    """People in your scope (masked), filtered; ``POST`` registers a person."""

    @extend_schema(parameters=[s.PersonFilterSerializer], responses=s.PersonSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = s.PersonFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if _LONG_NUMBER.search(query.validated_data.get("q") or ""):
            raise ValidationError(
                {
                    "q": [
                        _(
                            "Search by an ID or phone number with POST /api/v1/people/search/, "
                            "so that the number stays out of URLs and logs."
                        )
                    ]
                }
            )
        return _people_page(self, request, query.validated_data)

    @extend_schema(
        request=s.PersonCreateSerializer,
        responses={201: s.PersonSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        form = s.PersonCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        person = people_services.person_register(actor=request.user, **form.validated_data)
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=person.pk)
        return Response(person_data(request.user, person), status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class PersonDetailView(APIView):
    """One person (masked); ``PATCH`` with the ``version`` you read (409 if it moved)."""

    @extend_schema(responses={200: s.PersonSerializer, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=pk)
        return Response(person_data(request.user, person))

    @extend_schema(
        request=s.PersonUpdateSerializer,
        responses={200: s.PersonSerializer, **errors(400, 403, 404, 409)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        form = s.PersonUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        version = changes.pop("version")
        try:
            people_services.person_update(
                actor=request.user, person_id=pk, expected_version=version, **changes
            )
        except people_services.ConcurrentEditError as error:
            return Response(
                {"code": "conflict", "message": str(error.messages[0])},
                status=status.HTTP_409_CONFLICT,
            )
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=pk)
        return Response(person_data(request.user, person))


@extend_schema(
    tags=["registry"],
    request=s.RevealSerializer,
    responses={200: s.RevealResultSerializer, **errors(400, 403, 404)},
)
class PersonRevealView(APIView):
    """One identifier in clear, for a stated purpose (audited)."""

    def post(self, request: Request, pk: int) -> Response:
        form = s.RevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        value = people_services.person_reveal(
            actor=request.user,
            person_id=pk,
            field=form.validated_data["field"],
            purpose=form.validated_data["purpose"],
        )
        response = Response({"field": form.validated_data["field"], "value": value})
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(
    tags=["registry"],
    request=None,
    responses={200: s.PersonSerializer, **errors(403, 404)},
)
class PersonVerifyView(APIView):
    """Record that the person's record and residence were confirmed today (data quality)."""

    def post(self, request: Request, pk: int) -> Response:
        people_services.person_verify(actor=request.user, person_id=pk)
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=pk)
        return Response(person_data(request.user, person))


@extend_schema(tags=["registry"], request=s.PersonTagSerializer, responses=s.PersonSerializer)
class PersonTagView(APIView):
    """``POST`` sets a staff tag with a reason; ``DELETE`` with ``?tag=`` removes it."""

    def post(self, request: Request, pk: int) -> Response:
        form = s.PersonTagSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        tag_services.tag_set(
            actor=request.user,
            person_id=pk,
            tag_code=form.validated_data["tag"],
            reason=form.validated_data["reason"],
        )
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=pk)
        return Response(person_data(request.user, person), status=status.HTTP_201_CREATED)

    def delete(self, request: Request, pk: int) -> Response:
        tag_services.tag_remove(
            actor=request.user, person_id=pk, tag_code=request.query_params.get("tag", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    tags=["registry"],
    request=w.PeopleExportSerializer,
    responses=XLSX_RESPONSES,
)
class PersonExportView(APIView):
    """The people list with the list's filters, as xlsx: masked unless ``reveal=1`` with a
    ``purpose`` and the reveal permission over everyone listed (audited either way)."""

    def post(self, request: Request) -> HttpResponse:
        # POST: the search text may be an ID number and the purpose is free text; neither
        # belongs in a URL or an access log (DESIGN D6).
        query = w.PeopleExportSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        export = export_services.people_export(
            actor=request.user,
            filters=_people_filters(query.validated_data),
            is_clear=query.validated_data["reveal"],
            purpose=query.validated_data["purpose"],
        )
        return xlsx_attachment(export.content, export.filename)


@extend_schema(
    tags=["registry"],
    request=s.PersonFilterSerializer,
    responses=s.PersonSerializer(many=True),
)
class PersonSearchView(APIView):
    """The people list searched with the filters in the body, for numbers that must stay out
    of URLs (a full ID or phone number)."""

    def post(self, request: Request) -> Response:
        query = s.PersonFilterSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        return _people_page(self, request, query.validated_data)


@extend_schema(tags=["registry"], responses=s.TagSerializer(many=True))
class TagListView(APIView):
    """The tag catalogue (not personal data)."""

    def get(self, request: Request) -> Response:
        return Response(s.TagSerializer(people_selectors.tag_catalogue(), many=True).data)


@extend_schema(tags=["registry"], parameters=[s.QualityFilterSerializer])
class QualityView(APIView):
    """Data quality (人口信息准确率) per cell, worst first, with the records to fix."""

    @extend_schema(parameters=[s.QualityFilterSerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = s.QualityFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = quality_selectors.quality_report_for_actor(
            actor=request.user,
            parent_code=query.validated_data.get("parent"),
            level=query.validated_data.get("level"),
            max_age_days=query.validated_data.get("max_age_days"),
        )
        return Response(
            {
                "definition": _("Share of residents verified within N days with a complete record"),
                "max_age_days": report.max_age_days,
                "total": s.quality_row(report.total),
                "cells": [s.quality_row(row) for row in report.cells],
            }
        )
