"""Case outcomes per estate (物业服务监督): the counts a property-service score is made of.

For each estate, over the cases reported from ``start`` to ``end`` (local dates, both ends
included; merged duplicates left out, as in ``statistics``):

* ``reported`` and ``resolved`` (resolved or closed now) — the closure rate is their quotient;
* ``due``: cases resolved, or still open with the resolution deadline passed at ``now``, and
  ``on_time``: those resolved by their deadline (or without one) — the on-time rate;
* ``rated`` and ``satisfied`` (rating 4 or 5) — the satisfaction rate.

Only counts are returned (integers, never rates), so that the caller does exact arithmetic.
Scoped like the statistics: the cases of the estates in the actor's ``cases.view_statistics``
area.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.cases.models import Case, Status

_FINISHED = Q(status__in=(Status.RESOLVED, Status.CLOSED))


@dataclass(frozen=True)
class EstateCaseOutcome:
    estate_id: int
    reported: int = 0
    resolved: int = 0
    due: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def property_outcomes_by_estate(
    *,
    actor: Any,
    start: datetime.date,
    end: datetime.date,
    estate_ids: Iterable[int],
    now: datetime.datetime | None = None,
) -> dict[int, EstateCaseOutcome]:
    """The outcome counts of each of ``estate_ids`` (estates without cases: all zero), in one
    grouped query."""
    ids = sorted(set(estate_ids))
    result = {estate_id: EstateCaseOutcome(estate_id=estate_id) for estate_id in ids}
    scope = scope_for(actor, Perm.CASE_STATISTICS)
    if scope.is_empty or not ids:
        return result
    now = now or timezone.now()
    cases = scope.filter(Case.objects.all(), code_field="cell__code").filter(
        estate_id__in=ids,
        created_at__gte=_local_midnight(start),
        created_at__lt=_local_midnight(end + datetime.timedelta(days=1)),
    )
    on_time = _FINISHED & (Q(resolve_due_at__isnull=True) | Q(resolved_at__lte=F("resolve_due_at")))
    rows = (
        cases.exclude(status=Status.MERGED)
        .values("estate_id")
        .annotate(
            reported=Count("id"),
            resolved=Count("id", filter=_FINISHED),
            due=Count("id", filter=_FINISHED | Q(resolve_due_at__lt=now)),
            on_time=Count("id", filter=on_time),
            rated=Count("id", filter=Q(rating__isnull=False)),
            satisfied=Count("id", filter=Q(rating__gte=4)),
        )
        .order_by()
    )
    for row in rows:
        result[row["estate_id"]] = EstateCaseOutcome(**row)
    return result
