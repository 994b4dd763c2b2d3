"""What the public GeoReport v2 interface reads: the service list and the published requests.

GeoReport v2 makes requests public, so the reader here is whoever asks (``client`` is the API
client when a key came with the request, else ``None``); what is published is decided here, in
one place: only requests filed through Open311 unless ``GRIDGOV_OPEN311_PUBLISH_ALL`` is set, and
never a field about the reporter (``open311.documents`` writes none).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from gridgov.cases.models import OPEN_STATUSES, Case, Category, Channel


def open311_services() -> list[Category]:
    """The categories a client may file under: every active category that has no active
    subcategories (a group such as 市容绿化 is not a service of its own)."""
    groups = set(
        Category.objects.filter(is_active=True, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
    )
    return [
        category
        for category in Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("sort_order", "code")
        if category.pk not in groups
    ]


def open311_published(*, client: Any = None) -> QuerySet[Case]:
    """The requests any client may read."""
    cases = Case.objects.select_related("category", "department", "property_company")
    if not getattr(settings, "GRIDGOV_OPEN311_PUBLISH_ALL", False):
        cases = cases.filter(channel=Channel.OPEN311)
    return cases


def open311_request(*, client: Any = None, number: str = "", token: str = "") -> Case | None:
    """One published request by its number, or by the token its filer was given."""
    cases = open311_published(client=client)
    if number:
        return cases.filter(number=number).first()
    try:
        value = uuid.UUID(token)
    except (TypeError, ValueError):
        return None
    return cases.filter(token=value).first()


def open311_requests(
    *,
    client: Any = None,
    numbers: Sequence[str] = (),
    codes: Sequence[str] = (),
    is_open: bool | None = None,
    start: datetime.datetime,
    end: datetime.datetime,
    limit: int,
) -> list[Case]:
    """Published requests, newest first: the numbers asked for (the other filters then do not
    apply, as GeoReport v2 says), else those of the services ``codes`` (all when empty), open or
    closed (both when ``None``), filed within ``start``–``end``."""
    cases = open311_published(client=client)
    if numbers:
        return list(cases.filter(number__in=list(numbers)[:limit]).order_by("-created_at", "-id"))
    if codes:
        cases = cases.filter(category__code__in=list(codes))
    if is_open is True:
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif is_open is False:
        cases = cases.exclude(status__in=OPEN_STATUSES)
    cases = cases.filter(created_at__gte=start, created_at__lte=end)
    return list(cases.order_by("-created_at", "-id")[:limit])
