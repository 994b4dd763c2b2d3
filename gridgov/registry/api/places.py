"""Places: estates/villages → buildings → units → dwellings, and the household file.

Lists and details come through the place selectors (scoped by ``PLACE_VIEW``); writes through
the places services, which answer 404 for a place outside the actor's area and 403 for one
the actor sees but may not change.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.registry import serializers as s
from gridgov.registry import serializers_writes as w
from gridgov.registry.api.common import errors, page
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors import dwellings as dwelling_selectors
from gridgov.registry.selectors import places as place_selectors
from gridgov.registry.services import places as place_services


def _id_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    return int(value) if value and value.isdigit() else None


@extend_schema(tags=["registry"])
class EstateListView(APIView):
    """Estates and villages in your scope; ``POST`` registers one."""

    @extend_schema(responses=s.EstateSerializer(many=True))
    def get(self, request: Request) -> Response:
        estates = place_selectors.estate_list_for_actor(
            actor=request.user,
            cell_code=request.query_params.get("cell"),
            query=request.query_params.get("q"),
        )
        return page(self, request, estates, lambda rows: s.EstateSerializer(rows, many=True).data)

    @extend_schema(
        request=w.EstateCreateSerializer,
        responses={201: s.EstateSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = w.EstateCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        estate = place_services.estate_create(actor=request.user, **form.validated_data)
        return Response(s.EstateSerializer(estate).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"], responses={200: s.EstateSerializer, **errors(404)})
class EstateDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        estate = place_selectors.estate_get_for_actor(actor=request.user, estate_id=pk)
        return Response(s.EstateSerializer(estate).data)


@extend_schema(tags=["registry"])
class BuildingListView(APIView):
    """Buildings in your scope (``?estate=`` narrows to one estate); ``POST`` adds one."""

    @extend_schema(responses=s.BuildingSerializer(many=True))
    def get(self, request: Request) -> Response:
        buildings = place_selectors.building_list_for_actor(
            actor=request.user, estate_id=_id_param(request, "estate")
        )
        return page(
            self, request, buildings, lambda rows: s.BuildingSerializer(rows, many=True).data
        )

    @extend_schema(
        request=w.BuildingCreateSerializer,
        responses={201: s.BuildingSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = w.BuildingCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        building = place_services.building_create(actor=request.user, **form.validated_data)
        return Response(s.BuildingSerializer(building).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"], responses={200: s.BuildingSerializer, **errors(404)})
class BuildingDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        building = place_selectors.building_get_for_actor(actor=request.user, building_id=pk)
        return Response(s.BuildingSerializer(building).data)


@extend_schema(tags=["registry"])
class UnitListView(APIView):
    """The units (单元/门洞) of one building in your scope; ``POST`` adds one."""

    @extend_schema(parameters=[w.UnitFilterSerializer], responses=w.UnitSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = w.UnitFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        units = place_selectors.unit_list_for_actor(
            actor=request.user, building_id=query.validated_data["building"]
        )
        return page(self, request, units, lambda rows: w.UnitSerializer(rows, many=True).data)

    @extend_schema(
        request=w.UnitCreateSerializer,
        responses={201: w.UnitSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = w.UnitCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        unit = place_services.unit_create(actor=request.user, **form.validated_data)
        return Response(w.UnitSerializer(unit).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class DwellingListView(APIView):
    """Dwellings in your scope (``?building=``, ``?q=`` address fragment); ``POST`` adds one."""

    @extend_schema(responses=s.DwellingSerializer(many=True))
    def get(self, request: Request) -> Response:
        dwellings = dwelling_selectors.dwelling_list_for_actor(
            actor=request.user,
            building_id=_id_param(request, "building"),
            query=request.query_params.get("q"),
            cell_code=request.query_params.get("cell"),
        )
        return page(
            self, request, dwellings, lambda rows: s.DwellingSerializer(rows, many=True).data
        )

    @extend_schema(
        request=w.DwellingCreateSerializer,
        responses={201: s.DwellingSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = w.DwellingCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dwelling = place_services.dwelling_create(actor=request.user, **form.validated_data)
        return Response(s.DwellingSerializer(dwelling).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"])
class DwellingDetailView(APIView):
    """One dwelling; ``PATCH`` corrects its floor, floor area, use or area (audited)."""

    @extend_schema(responses={200: s.DwellingSerializer, **errors(404)})
    def get(self, request: Request, pk: int) -> Response:
        dwelling = dwelling_selectors.dwelling_get_for_actor(actor=request.user, dwelling_id=pk)
        return Response(s.DwellingSerializer(dwelling).data)

    @extend_schema(
        request=w.DwellingUpdateSerializer,
        responses={200: s.DwellingSerializer, **errors(400, 403, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        form = w.DwellingUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        place_services.dwelling_update(actor=request.user, dwelling_id=pk, **form.validated_data)
        dwelling = dwelling_selectors.dwelling_get_for_actor(actor=request.user, dwelling_id=pk)
        return Response(s.DwellingSerializer(dwelling).data)


@extend_schema(tags=["registry"])
class DwellingFileView(APIView):
    """The household file (一户一档): the dwelling, its residents, owners, leases, households."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **errors(404)})
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
