"""``/api/v1/cells/`` and ``/api/v1/staff/`` (DESIGN D10): parse, call one selector, answer.

Scoping is the selectors' job; an unknown or out-of-scope code is a 404 JSON error.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.grids import selectors
from gridgov.grids.models import Cell, StaffAssignment
from gridgov.grids.serializers import (
    CellChildSerializer,
    CellDetailSerializer,
    CellFilterSerializer,
    CellSerializer,
    LocateQuerySerializer,
    StaffAssignmentSerializer,
    StaffFilterSerializer,
)

_CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="Cell code")


def _not_found(error: selectors.CellNotFoundError) -> NotFound:
    return NotFound(detail=str(error.args[0]) if error.args else None)


@extend_schema(
    tags=["grids"],
    parameters=[
        OpenApiParameter("parent", str, description="Only the children of this cell code"),
        OpenApiParameter("level", str, description="Only cells of this level kind"),
        OpenApiParameter("search", str, description="Name contains, or code starts with"),
    ],
)
class CellListView(generics.ListAPIView[Cell]):
    """Cells in your scope, by code."""

    serializer_class = CellSerializer

    def get_queryset(self) -> QuerySet[Cell]:
        query = CellFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.cell_list_for_actor(
            actor=self.request.user,
            parent_code=query.validated_data.get("parent"),
            level=query.validated_data.get("level"),
            search=query.validated_data.get("search"),
        )


@extend_schema(tags=["grids"], parameters=[_CODE], responses=CellDetailSerializer)
class CellDetailView(APIView):
    """One cell with its boundary (GeoJSON)."""

    def get(self, request: Request, code: str) -> Response:
        try:
            cell = selectors.cell_get_for_actor(actor=request.user, code=code)
        except selectors.CellNotFoundError as error:
            raise _not_found(error) from error
        return Response(CellDetailSerializer(cell).data)


@extend_schema(tags=["grids"], parameters=[_CODE], responses=CellChildSerializer(many=True))
class CellChildrenView(APIView):
    """The children of a cell, each with its number of children."""

    def get(self, request: Request, code: str) -> Response:
        try:
            children = selectors.cell_children_for_actor(actor=request.user, code=code)
        except selectors.CellNotFoundError as error:
            raise _not_found(error) from error
        serializer = CellChildSerializer(children, many=True, context={"parent_code": code})
        return Response(serializer.data)


@extend_schema(tags=["grids"], parameters=[LocateQuerySerializer], responses=CellDetailSerializer)
class CellLocateView(APIView):
    """The deepest cell in your scope whose boundary contains a WGS-84 point."""

    def get(self, request: Request) -> Response:
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cell = selectors.cell_locate_for_actor(
            actor=request.user, lng=query.validated_data["lng"], lat=query.validated_data["lat"]
        )
        if cell is None:
            raise NotFound(_("No area in your responsibility contains this point."))
        return Response(CellDetailSerializer(cell).data)


@extend_schema(tags=["grids"], parameters=[StaffFilterSerializer])
class StaffListView(generics.ListAPIView[StaffAssignment]):
    """Current staff posts in your scope (网格长, 网格员, 微网格长, 楼组长 …)."""

    serializer_class = StaffAssignmentSerializer

    def get_queryset(self) -> QuerySet[StaffAssignment]:
        query = StaffFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data: dict[str, Any] = query.validated_data
        return selectors.staff_list_for_actor(
            actor=self.request.user,
            cell_code=data.get("cell"),
            post=data.get("post"),
            search=data.get("search"),
        )
