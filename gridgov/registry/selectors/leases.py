"""Reads of rental registrations (房屋租赁登记), always for an acting user (DESIGN D7).

Leases name people (the landlord, the tenants), so a lease is in scope when its dwelling's
cell is under a cell where the actor holds ``PERSON_VIEW``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.registry.models import Lease, LeaseTenant
from gridgov.registry.selectors.places import LeaseNotFoundError


def lease_list_for_actor(
    *,
    actor: Any,
    status: str | None = None,
    expiring_within_days: int | None = None,
    today: datetime.date | None = None,
    dwelling_id: int | None = None,
    cell_code: str | None = None,
) -> QuerySet[Lease]:
    """Leases in scope, soonest end first.

    ``expiring_within_days``: active leases ending within that many days of ``today`` —
    including those already past their end, which need following up first.
    """
    queryset = scope_for(actor, Perm.PERSON_VIEW).filter(
        Lease.objects.all(), code_field="dwelling__cell__code"
    )
    if status:
        queryset = queryset.filter(status=status)
    if expiring_within_days is not None:
        today = today or timezone.localdate()
        horizon = today + datetime.timedelta(days=expiring_within_days)
        queryset = queryset.filter(status=Lease.Status.ACTIVE, ends_on__lte=horizon)
    if dwelling_id is not None:
        queryset = queryset.filter(dwelling_id=dwelling_id)
    if cell_code:
        queryset = queryset.filter(dwelling__cell__code__startswith=cell_code)
    tenants = LeaseTenant.objects.select_related("person__cell").order_by("id")
    return (
        queryset.select_related("dwelling__cell", "landlord__cell")
        .prefetch_related(Prefetch("lease_tenants", queryset=tenants))
        .annotate(tenant_count=Count("lease_tenants", distinct=True))
        .order_by("ends_on", "id")
    )


def lease_get_for_actor(*, actor: Any, lease_id: int) -> Lease:
    lease = lease_list_for_actor(actor=actor).filter(pk=lease_id).first()
    if lease is None:
        raise LeaseNotFoundError()
    return lease
