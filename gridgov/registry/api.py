"""``/api/v1/`` for people and housing (DESIGN D10): parse, call one service or selector, answer.

Scoping is the selectors' job, masking the presenter's: a person out of scope is a 404 JSON
error exactly like an unknown one, and identifiers leave only masked, except through
``POST /people/{id}/reveal/`` (permission, purpose, audit row).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.registry import serializers as s
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors import dwellings as dwelling_selectors
from gridgov.registry.selectors import leases as lease_selectors
from gridgov.registry.selectors import people as people_selectors
from gridgov.registry.selectors import places as place_selectors
from gridgov.registry.selectors import quality as quality_selectors
from gridgov.registry.services import people as people_services
from gridgov.registry.services import tags as tag_services


def _page(view: APIView, request: Request, queryset: Any, render: Any) -> Response:
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(render(page or []))


def _person_data(actor: Any, person: Any) -> dict[str, Any]:
    return dict(s.PersonSerializer(PersonPresenter(actor).row(person)).data)


@extend_schema(tags=["registry"])
class PersonListView(APIView):
    """People in your scope (masked), filtered; ``POST`` registers a person."""

    @extend_schema(parameters=[s.PersonFilterSerializer], responses=s.PersonSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = s.PersonFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        people = people_selectors.person_list_for_actor(
            actor=request.user,
            cell_code=data.get("cell"),
            tag=data.get("tag"),
            age_min=data.get("age_min"),
            age_max=data.get("age_max"),
            is_migrant=data.get("is_migrant"),
            query=data.get("q"),
        )
        presenter = PersonPresenter(request.user)
        return _page(
            self,
            request,
            people,
            lambda rows: s.PersonSerializer(presenter.rows(rows), many=True).data,
        )

    @extend_schema(request=s.PersonCreateSerializer, responses={201: s.PersonSerializer})
    def post(self, request: Request) -> Response:
        form = s.PersonCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        person = people_services.person_register(actor=request.user, **form.validated_data)
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=person.pk)
        return Response(_person_data(request.user, person), status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class PersonDetailView(APIView):
    """One person (masked); ``PATCH`` with the ``version`` you read (409 if it moved)."""

    @extend_schema(responses=s.PersonSerializer)
    def get(self, request: Request, pk: int) -> Response:
        person = people_selectors.person_get_for_actor(actor=request.user, person_id=pk)
        return Response(_person_data(request.user, person))

    @extend_schema(request=s.PersonUpdateSerializer, responses=s.PersonSerializer)
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
        return Response(_person_data(request.user, person))


@extend_schema(tags=["registry"], request=s.RevealSerializer, responses=s.RevealResultSerializer)
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
        return Response(_person_data(request.user, person), status=status.HTTP_201_CREATED)

    def delete(self, request: Request, pk: int) -> Response:
        tag_services.tag_remove(
            actor=request.user, person_id=pk, tag_code=request.query_params.get("tag", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["registry"], responses=s.TagSerializer(many=True))
class TagListView(APIView):
    """The tag catalogue (not personal data)."""

    def get(self, request: Request) -> Response:
        return Response(s.TagSerializer(people_selectors.tag_catalogue(), many=True).data)


@extend_schema(tags=["registry"], responses=s.EstateSerializer(many=True))
class EstateListView(APIView):
    """Estates and villages in your scope."""

    def get(self, request: Request) -> Response:
        estates = place_selectors.estate_list_for_actor(
            actor=request.user,
            cell_code=request.query_params.get("cell"),
            query=request.query_params.get("q"),
        )
        return _page(self, request, estates, lambda rows: s.EstateSerializer(rows, many=True).data)


@extend_schema(tags=["registry"], responses=s.BuildingSerializer(many=True))
class BuildingListView(APIView):
    """Buildings in your scope (``?estate=`` narrows to one estate)."""

    def get(self, request: Request) -> Response:
        estate = request.query_params.get("estate")
        buildings = place_selectors.building_list_for_actor(
            actor=request.user, estate_id=int(estate) if estate and estate.isdigit() else None
        )
        return _page(
            self, request, buildings, lambda rows: s.BuildingSerializer(rows, many=True).data
        )


@extend_schema(tags=["registry"], responses=s.DwellingSerializer(many=True))
class DwellingListView(APIView):
    """Dwellings in your scope (``?building=``, ``?q=`` address fragment)."""

    def get(self, request: Request) -> Response:
        building = request.query_params.get("building")
        dwellings = dwelling_selectors.dwelling_list_for_actor(
            actor=request.user,
            building_id=int(building) if building and building.isdigit() else None,
            query=request.query_params.get("q"),
            cell_code=request.query_params.get("cell"),
        )
        return _page(
            self, request, dwellings, lambda rows: s.DwellingSerializer(rows, many=True).data
        )


@extend_schema(tags=["registry"])
class DwellingFileView(APIView):
    """The household file (一户一档): the dwelling, its residents, owners, leases, households."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        file = dwelling_selectors.dwelling_file_for_actor(actor=request.user, dwelling_id=pk)
        presenter = PersonPresenter(request.user)

        def person(item: Any) -> dict[str, Any] | None:
            if item is None or not file.can_view_people:
                return None
            return dict(s.PersonSerializer(presenter.row(item)).data)

        def residency(item: Any) -> dict[str, Any]:
            return {
                "person": person(item.person),
                "role": item.role,
                "started_on": item.started_on,
                "ended_on": item.ended_on,
            }

        return Response(
            {
                "dwelling": s.DwellingSerializer(file.dwelling).data,
                "current_residents": [residency(item) for item in file.current_residencies],
                "past_residents": [residency(item) for item in file.past_residencies],
                "owners": [
                    {
                        "person": person(item.owner),
                        "organization": item.owner_organization.name
                        if item.owner_organization_id and item.owner_organization
                        else "",
                        "share": f"{item.share_numerator}/{item.share_denominator}",
                        "started_on": item.started_on,
                    }
                    for item in file.owners
                ],
                "leases": s.LeaseSerializer(file.leases, many=True).data,
                "households": [
                    {"id": item.pk, "number": item.number, "head_id": item.head_id}
                    for item in file.households
                ],
                "occupant_count": file.occupant_count,
                "is_group_rental": file.is_group_rental,
            }
        )


@extend_schema(tags=["registry"], parameters=[s.LeaseFilterSerializer])
class LeaseListView(APIView):
    """Leases in your scope, soonest end first (``?expiring_within_days=30`` to follow up)."""

    @extend_schema(responses=s.LeaseSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = s.LeaseFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        leases = lease_selectors.lease_list_for_actor(
            actor=request.user,
            status=query.validated_data.get("status"),
            expiring_within_days=query.validated_data.get("expiring_within_days"),
            cell_code=query.validated_data.get("cell"),
        ).prefetch_related("lease_tenants")
        return _page(self, request, leases, lambda rows: s.LeaseSerializer(rows, many=True).data)


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
