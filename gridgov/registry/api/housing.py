"""Who lives, owns and rents where: leases, residencies, ownerships and households.

Each write is one call of the residency or lease services, which lock, check the actor's
permission over the dwelling or person, audit, and keep history (nothing is deleted). People
appear by id only; their masked rows come through ``/people/``.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.registry import serializers as s
from gridgov.registry import serializers_writes as w
from gridgov.registry.api.common import XLSX_RESPONSES, errors, page, xlsx_attachment
from gridgov.registry.selectors import leases as lease_selectors
from gridgov.registry.services import exports as export_services
from gridgov.registry.services import leases as lease_services
from gridgov.registry.services import residency as residency_services


def _lease_data(request: Request, lease_id: int) -> dict[str, object]:
    lease = lease_selectors.lease_get_for_actor(actor=request.user, lease_id=lease_id)
    return dict(s.LeaseSerializer(lease).data)


@extend_schema(tags=["registry"])
class LeaseListView(APIView):
    """Leases in your scope, soonest end first (``?expiring_within_days=30`` to follow up);
    ``POST`` registers a lease with its landlord and every tenant, all or nothing."""

    @extend_schema(parameters=[s.LeaseFilterSerializer], responses=s.LeaseSerializer(many=True))
    def get(self, request: Request) -> Response:
        query = s.LeaseFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        leases = lease_selectors.lease_list_for_actor(
            actor=request.user,
            status=query.validated_data.get("status"),
            expiring_within_days=query.validated_data.get("expiring_within_days"),
            cell_code=query.validated_data.get("cell"),
        )
        return page(self, request, leases, lambda rows: s.LeaseSerializer(rows, many=True).data)

    @extend_schema(
        request=w.LeaseRegisterSerializer,
        responses={201: s.LeaseSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request) -> Response:
        form = w.LeaseRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        lease = lease_services.lease_register(
            actor=request.user,
            dwelling_id=data["dwelling_id"],
            landlord=w.party_reference(data["landlord"]),
            tenants=[w.party_reference(tenant) for tenant in data["tenants"]],
            started_on=data["started_on"],
            ends_on=data["ends_on"],
        )
        return Response(_lease_data(request, lease.pk), status=status.HTTP_201_CREATED)


@extend_schema(tags=["registry"], responses={200: s.LeaseSerializer, **errors(404)})
class LeaseDetailView(APIView):
    def get(self, request: Request, pk: int) -> Response:
        return Response(_lease_data(request, pk))


@extend_schema(
    tags=["registry"],
    request=w.EndSerializer,
    responses={200: s.LeaseSerializer, **errors(400, 403, 404)},
)
class LeaseEndView(APIView):
    """End a lease (at term or early); its tenants move out that day."""

    def post(self, request: Request, pk: int) -> Response:
        form = w.EndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        lease_services.lease_end(
            actor=request.user, lease_id=pk, ended_on=form.validated_data["ended_on"]
        )
        return Response(_lease_data(request, pk))


@extend_schema(tags=["registry"], parameters=[s.LeaseFilterSerializer], responses=XLSX_RESPONSES)
class LeaseExportView(APIView):
    """The leases with the list's filters, as xlsx (masked; audited)."""

    def get(self, request: Request) -> HttpResponse:
        query = s.LeaseFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export = export_services.lease_export(
            actor=request.user,
            status=query.validated_data.get("status"),
            expiring_within_days=query.validated_data.get("expiring_within_days"),
            cell_code=query.validated_data.get("cell"),
        )
        return xlsx_attachment(export.content, export.filename)


@extend_schema(
    tags=["registry"],
    request=w.ResidencyStartSerializer,
    responses={201: w.ResidencySerializer, **errors(400, 403, 404)},
)
class ResidencyListView(APIView):
    """Record a move-in; refused while the person still lives elsewhere."""

    def post(self, request: Request) -> Response:
        form = w.ResidencyStartSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        lease_id = data.pop("lease_id", None)
        lease = (
            lease_selectors.lease_get_for_actor(actor=request.user, lease_id=lease_id)
            if lease_id is not None
            else None
        )
        residency = residency_services.residency_start(actor=request.user, lease=lease, **data)
        return Response(w.ResidencySerializer(residency).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["registry"],
    request=w.EndSerializer,
    responses={200: w.ResidencySerializer, **errors(400, 403, 404)},
)
class ResidencyEndView(APIView):
    """Record a move-out; the residency stays as history."""

    def post(self, request: Request, pk: int) -> Response:
        form = w.EndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        residency = residency_services.residency_end(
            actor=request.user, residency_id=pk, ended_on=form.validated_data["ended_on"]
        )
        return Response(w.ResidencySerializer(residency).data)


@extend_schema(
    tags=["registry"],
    request=w.OwnershipAddSerializer,
    responses={201: w.OwnershipSerializer, **errors(400, 403, 404)},
)
class OwnershipListView(APIView):
    """Register an owner (a person or an organisation) with an exact share."""

    def post(self, request: Request) -> Response:
        form = w.OwnershipAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ownership = residency_services.ownership_add(actor=request.user, **form.validated_data)
        return Response(w.OwnershipSerializer(ownership).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["registry"],
    request=w.EndSerializer,
    responses={200: w.OwnershipSerializer, **errors(400, 403, 404)},
)
class OwnershipEndView(APIView):
    """End an ownership (sale, inheritance); it stays as history."""

    def post(self, request: Request, pk: int) -> Response:
        form = w.EndSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ownership = residency_services.ownership_end(
            actor=request.user, ownership_id=pk, ended_on=form.validated_data["ended_on"]
        )
        return Response(w.OwnershipSerializer(ownership).data)


@extend_schema(
    tags=["registry"],
    request=w.HouseholdCreateSerializer,
    responses={201: w.HouseholdSerializer, **errors(400, 403, 404)},
)
class HouseholdListView(APIView):
    """Open a household (户) with its head as first member."""

    def post(self, request: Request) -> Response:
        form = w.HouseholdCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        household = residency_services.household_create(actor=request.user, **form.validated_data)
        return Response(w.HouseholdSerializer(household).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["registry"],
    request=w.HouseholdMemberAddSerializer,
    responses={201: w.HouseholdMemberSerializer, **errors(400, 403, 404)},
)
class HouseholdMemberListView(APIView):
    """Add a member with their relation to the head."""

    def post(self, request: Request, pk: int) -> Response:
        form = w.HouseholdMemberAddSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = residency_services.household_add_member(
            actor=request.user, household_id=pk, **form.validated_data
        )
        return Response(w.HouseholdMemberSerializer(member).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["registry"],
    request=w.HouseholdMemberRemoveSerializer,
    responses={200: w.HouseholdMemberSerializer, **errors(400, 403, 404)},
)
class HouseholdMemberRemoveView(APIView):
    """A member leaves; the membership is kept with its end date. The head leaves last."""

    def post(self, request: Request, pk: int, person_id: int) -> Response:
        form = w.HouseholdMemberRemoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        member = residency_services.household_remove_member(
            actor=request.user,
            household_id=pk,
            person_id=person_id,
            left_on=form.validated_data["left_on"],
        )
        return Response(w.HouseholdMemberSerializer(member).data)
