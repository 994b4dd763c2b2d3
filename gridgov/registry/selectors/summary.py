"""Reads that the registry pages need and no other selector gives, always for an acting user.

- ``registry_summary_for_actor``: the people figures of the home page and the registry pages
  (residents, migrants, households, dwellings, leases expiring, people per tag) — a fixed
  number of aggregate queries whatever the size of the town;
- ``tag_counts_for_actor``: people per tag in scope; a sensitive tag (minor, health) is counted
  only where the actor may see sensitive data (PIPL art. 28);
- ``person_history_for_actor``: a person's residencies (current and past) and households;
- ``cell_choices_for_actor``: the cells where the actor holds a permission, for forms;
- ``import_job_list_for_actor`` / ``import_job_get_for_actor`` / ``import_job_problems``: the
  actor's own Excel uploads and the row-by-row reasons of their error report (row number,
  column, reason — never the uploaded values, which may be identifiers).
"""

from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.grids.models import Cell
from gridgov.registry.models import (
    Dwelling,
    Household,
    HouseholdMember,
    ImportJob,
    Lease,
    Person,
    PersonTag,
    Residency,
    Tag,
)
from gridgov.registry.selectors.people import person_get_for_actor

EXPIRING_WITHIN_DAYS = 30
CELL_CHOICES_LIMIT = 500
IMPORT_PROBLEMS_LIMIT = 200


class ImportJobNotFoundError(Http404):
    """An upload that does not exist or is someone else's (answered alike on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This upload does not exist or is not yours."))


@dataclass
class TagCount:
    code: str
    name: str
    kind: str
    sensitivity: str
    description: str
    count: int | None  # None: a sensitive tag the actor may not count


@dataclass
class RegistrySummary:
    residents: int = 0
    migrants: int = 0
    registered: int = 0
    households: int = 0
    dwellings: int = 0
    leases_active: int = 0
    leases_expiring: int = 0
    verified: int = 0
    tags: list[TagCount] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.residents or self.dwellings)


def _people_in_scope(actor: Any) -> QuerySet[Person]:
    return scope_for(actor, Perm.PERSON_VIEW).filter(
        Person.objects.filter(is_deceased=False), code_field="cell__code"
    )


def tag_counts_for_actor(*, actor: Any, cell_code: str | None = None) -> list[TagCount]:
    """Every active tag with the number of living people carrying it in scope (two queries)."""
    people_scope = scope_for(actor, Perm.PERSON_VIEW)
    sensitive_scope = scope_for(actor, Perm.SENSITIVE_VIEW)
    links = people_scope.filter(
        PersonTag.objects.filter(person__is_deceased=False), code_field="person__cell__code"
    )
    if cell_code:
        links = links.filter(person__cell__code__startswith=cell_code)
    ordinary = dict(
        links.filter(tag__sensitivity=Tag.Sensitivity.NONE)
        .values("tag_id")
        .annotate(total=Count("id"))
        .values_list("tag_id", "total")
    )
    sensitive: dict[int, int] = {}
    if not sensitive_scope.is_empty:
        sensitive = dict(
            sensitive_scope.filter(
                links.exclude(tag__sensitivity=Tag.Sensitivity.NONE),
                code_field="person__cell__code",
            )
            .values("tag_id")
            .annotate(total=Count("id"))
            .values_list("tag_id", "total")
        )
    counts = []
    for tag in Tag.objects.filter(is_active=True).order_by("sort_order", "code"):
        if tag.sensitivity == Tag.Sensitivity.NONE:
            count: int | None = ordinary.get(tag.pk, 0)
        else:
            count = sensitive.get(tag.pk, 0) if not sensitive_scope.is_empty else None
        counts.append(
            TagCount(
                code=tag.code,
                name=tag.name,
                kind=tag.kind,
                sensitivity=tag.sensitivity,
                description=tag.description,
                count=count,
            )
        )
    return counts


def registry_summary_for_actor(
    *, actor: Any, today: datetime.date | None = None
) -> RegistrySummary:
    """The registry's figures over the actor's scope (home page, registry pages)."""
    today = today or timezone.localdate()
    summary = RegistrySummary()
    if scope_for(actor, Perm.PERSON_VIEW).is_empty and scope_for(actor, Perm.PLACE_VIEW).is_empty:
        return summary
    people = _people_in_scope(actor).aggregate(
        residents=Count("id"),
        migrants=Count("id", filter=Q(is_migrant=True)),
        verified=Count("id", filter=Q(verified_at__isnull=False)),
    )
    summary.residents = people["residents"]
    summary.migrants = people["migrants"]
    summary.registered = people["residents"] - people["migrants"]
    summary.verified = people["verified"]
    summary.households = (
        scope_for(actor, Perm.PERSON_VIEW)
        .filter(Household.objects.filter(dwelling__isnull=False), code_field="dwelling__cell__code")
        .count()
    )
    summary.dwellings = (
        scope_for(actor, Perm.PLACE_VIEW)
        .filter(Dwelling.objects.exclude(use=Dwelling.Use.COMMON), code_field="cell__code")
        .count()
    )
    horizon = today + datetime.timedelta(days=EXPIRING_WITHIN_DAYS)
    leases = (
        scope_for(actor, Perm.PERSON_VIEW)
        .filter(Lease.objects.filter(status=Lease.Status.ACTIVE), code_field="dwelling__cell__code")
        .aggregate(active=Count("id"), expiring=Count("id", filter=Q(ends_on__lte=horizon)))
    )
    summary.leases_active = leases["active"]
    summary.leases_expiring = leases["expiring"]
    if not scope_for(actor, Perm.PERSON_VIEW).is_empty:
        summary.tags = tag_counts_for_actor(actor=actor)
    return summary


HOME_SUMMARY_CACHE_SECONDS = 120


def registry_home_summary_for_actor(*, actor: Any) -> RegistrySummary:
    """The home page's registry figures, computed at most once every two minutes per scope.

    Counting a town's 120,000 residents through the scope join costs far more than the rest of
    the home page; actors who see the same cells share one computation. The cache key is made of
    cell codes and the date only — never of anything personal.
    """
    scopes = tuple(
        (permission, scope.is_global, scope.cell_codes)
        for permission in (Perm.PERSON_VIEW, Perm.PLACE_VIEW, Perm.SENSITIVE_VIEW)
        for scope in (scope_for(actor, permission),)
    )
    fingerprint = hashlib.sha256(repr((scopes, timezone.localdate())).encode()).hexdigest()
    key = f"gridgov:registry-summary:{fingerprint}"
    summary = cache.get(key)
    if summary is None:
        summary = registry_summary_for_actor(actor=actor)
        cache.set(key, summary, HOME_SUMMARY_CACHE_SECONDS)
    return summary


@dataclass
class PersonHistory:
    residencies: list[Residency]
    memberships: list[HouseholdMember]
    tags: list[PersonTag]


def person_history_for_actor(*, actor: Any, person_id: int) -> PersonHistory:
    """Where the person lived (newest first), their households, and their tags with who set
    them, when and why.

    Raises ``PersonNotFoundError`` for a person out of scope, like the person page itself.
    """
    person = person_get_for_actor(actor=actor, person_id=person_id)
    residencies = list(
        Residency.objects.filter(person=person)
        .select_related("dwelling", "lease")
        .order_by("ended_on", "-started_on", "-id")
    )
    # Current first (no end date), then the rest newest first.
    residencies.sort(key=lambda item: (item.ended_on is not None, -item.started_on.toordinal()))
    memberships = list(
        HouseholdMember.objects.filter(person=person)
        .select_related("household__dwelling", "household__head")
        .order_by("left_on", "-id")
    )
    tags = list(
        PersonTag.objects.filter(person=person)
        .select_related("tag", "set_by")
        .order_by("tag__sort_order", "tag__code")
    )
    return PersonHistory(residencies=residencies, memberships=memberships, tags=tags)


def cell_choices_for_actor(*, actor: Any, permission: str) -> list[Cell]:
    """Active cells where ``actor`` holds ``permission``, in tree order (for a form's select)."""
    scope = scope_for(actor, permission)
    if scope.is_empty:
        return []
    cells = scope.filter(Cell.objects.filter(is_active=True), code_field="code")
    return list(
        cells.only("id", "code", "name", "level", "depth").order_by("code")[:CELL_CHOICES_LIMIT]
    )


def import_job_list_for_actor(*, actor: Any) -> QuerySet[ImportJob]:
    """The actor's own uploads, newest first (an upload holds personal data of its own)."""
    if not getattr(actor, "is_authenticated", False):
        return ImportJob.objects.none()
    return (
        ImportJob.objects.filter(created_by=actor)
        .select_related("cell")
        .order_by("-created_at", "-id")
    )


def import_job_get_for_actor(*, actor: Any, job_id: int) -> ImportJob:
    job = import_job_list_for_actor(actor=actor).filter(pk=job_id).first()
    if job is None:
        raise ImportJobNotFoundError()
    return job


@dataclass(frozen=True)
class ImportProblem:
    row: int | str
    column: str
    reason: str


def _without_column_prefix(reason: str) -> str:
    """The report writes "证件号码：reason"; the page shows the column in its own cell."""
    parts = []
    for part in reason.split("；"):
        column, separator, text = part.partition("：")
        parts.append(text if separator and len(column) <= 12 else part)
    return "；".join(parts)


def import_job_problems(
    job: ImportJob, *, limit: int = IMPORT_PROBLEMS_LIMIT
) -> tuple[list[ImportProblem], bool]:
    """The first ``limit`` lines of the job's error report: (row, column, reason), and whether
    there are more. Only the three report columns are read back."""
    if not job.error_report:
        return [], False
    from openpyxl import load_workbook

    from gridgov.registry.excel.columns import REPORT_COLUMN, REPORT_REASON, REPORT_ROW

    problems: list[ImportProblem] = []
    more = False
    try:
        with job.error_report.open("rb") as handle:
            workbook = load_workbook(io.BytesIO(handle.read()), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Reports are written in write-only mode, without a reliable dimension.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        headers = [str(value or "") for value in next(rows, ())]
        where = [headers.index(name) for name in (REPORT_ROW, REPORT_COLUMN, REPORT_REASON)]
        for index, values in enumerate(rows):
            if index >= limit:
                more = True
                break
            row, column, reason = (
                values[position] if position < len(values) else None for position in where
            )
            problems.append(
                ImportProblem(
                    row=row if row is not None else "",
                    column=str(column or ""),
                    reason=_without_column_prefix(str(reason or "")),
                )
            )
        workbook.close()
    except (OSError, KeyError, ValueError):
        return [], False
    return problems, more


def attach_current_residencies(people: list[Person]) -> None:
    """Give each person (from the household file) the ``current_residencies`` the presenter
    reads, in one query, so that showing N people costs no query per person."""
    pending: dict[int, list[Person]] = {}
    for person in people:
        if person is not None and not hasattr(person, "current_residencies"):
            pending.setdefault(person.pk, []).append(person)
    if not pending:
        return
    current: dict[int, list[Residency]] = {pk: [] for pk in pending}
    for residency in Residency.objects.filter(
        person_id__in=list(pending), ended_on__isnull=True
    ).select_related("dwelling"):
        current[residency.person_id].append(residency)
    for pk, copies in pending.items():
        for person in copies:
            person.current_residencies = current[pk]  # type: ignore[attr-defined]
