"""Data quality of the people registry (人口信息准确率), per cell and rolled up the tree.

The definitions are in ``docs/data-quality.md``. Everything is aggregated in SQL — one query
for the people figures, one for the leases, one per kind of record to fix — and only the roll-up
of the (few hundred) cells happens in Python, so the number of queries does not grow with the
number of people or cells.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import Scope, scope_for
from gridgov.grids.models import Cell
from gridgov.registry.models import Lease, Person, Residency

# Kinds of records to fix, in the order a page shows them.
ISSUE_INCOMPLETE = "incomplete"
ISSUE_NO_DWELLING = "no_dwelling"
ISSUE_MISSING_PHONE = "missing_phone"
ISSUE_UNVERIFIED = "unverified"
ISSUE_DUPLICATE = "duplicate"
ISSUE_EXPIRED_LEASE = "expired_lease"
PERSON_ISSUES: tuple[str, ...] = (
    ISSUE_INCOMPLETE,
    ISSUE_NO_DWELLING,
    ISSUE_MISSING_PHONE,
    ISSUE_UNVERIFIED,
    ISSUE_DUPLICATE,
)
ISSUES: tuple[str, ...] = (*PERSON_ISSUES, ISSUE_EXPIRED_LEASE)
ISSUE_LABELS: dict[str, Any] = {
    ISSUE_INCOMPLETE: _("Incomplete record"),
    ISSUE_NO_DWELLING: _("No current dwelling"),
    ISSUE_MISSING_PHONE: _("No phone number"),
    ISSUE_UNVERIFIED: _("Not verified recently"),
    ISSUE_DUPLICATE: _("Suspected duplicate"),
    ISSUE_EXPIRED_LEASE: _("Expired lease still active"),
}
DEFAULT_SAMPLE_SIZE = 20


class QualityCellNotFoundError(Http404):
    """An unknown cell, or one outside the actor's scope (answered alike on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This area does not exist or is outside your area of responsibility."))


@dataclass
class CellQuality:
    """The figures of one cell, its whole subtree included."""

    code: str
    name: str
    level: str
    residents: int = 0
    complete: int = 0
    verified: int = 0
    accurate: int = 0
    missing_name: int = 0
    missing_id: int = 0
    missing_phone: int = 0
    no_dwelling: int = 0
    unverified: int = 0
    duplicates: int = 0
    expired_leases: int = 0
    # Issue kind → ids to fix (person ids; lease ids for expired leases), at most the sample size.
    records: dict[str, list[int]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        """Share of residents verified recently with a complete record, 0–1 (None: nobody)."""
        return self.accurate / self.residents if self.residents else None

    @property
    def completeness(self) -> float | None:
        return self.complete / self.residents if self.residents else None

    @property
    def issue_count(self) -> int:
        return (
            (self.residents - self.complete)
            + self.unverified
            + self.duplicates
            + self.expired_leases
        )

    def add(self, other: CellQuality) -> None:
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTERS: tuple[str, ...] = (
    "residents",
    "complete",
    "verified",
    "accurate",
    "missing_name",
    "missing_id",
    "missing_phone",
    "no_dwelling",
    "unverified",
    "duplicates",
    "expired_leases",
)


@dataclass(frozen=True)
class QualityReport:
    """The actor's whole scope (``total``) and its cells, worst first."""

    total: CellQuality
    cells: list[CellQuality]
    max_age_days: int
    as_of: datetime.datetime


def verification_cutoff(now: datetime.datetime | None = None, days: int | None = None) -> Any:
    max_age = days if days is not None else settings.GRIDGOV_VERIFICATION_MAX_AGE_DAYS
    return (now or timezone.now()) - datetime.timedelta(days=max_age)


def _scope(actor: Any) -> Scope:
    return scope_for(actor, Perm.QUALITY_VIEW)


def _annotated_people(scope: Scope, cutoff: datetime.datetime) -> QuerySet[Person]:
    """Living people in scope, each annotated with the facts the figures are made of."""
    current = Residency.objects.filter(person=OuterRef("pk"), ended_on__isnull=True)
    twin = Person.objects.filter(
        name=OuterRef("name"), birth_date=OuterRef("birth_date"), is_deceased=False
    ).exclude(pk=OuterRef("pk"))
    people = scope.filter(Person.objects.filter(is_deceased=False), code_field="cell__code")
    return people.annotate(
        has_dwelling=Exists(current),
        residency_verified=Exists(current.filter(verified_at__gte=cutoff)),
        has_twin=Exists(twin.filter(birth_date__isnull=False)),
    )


def _complete_q() -> Q:
    return ~Q(name="") & ~Q(id_number_hash="") & ~Q(phone_hash="") & Q(has_dwelling=True)


def _verified_q(cutoff: datetime.datetime) -> Q:
    return Q(verified_at__gte=cutoff) | Q(residency_verified=True)


def _issue_q(issue: str, cutoff: datetime.datetime) -> Q:
    return {
        ISSUE_INCOMPLETE: ~_complete_q(),
        ISSUE_NO_DWELLING: Q(has_dwelling=False),
        ISSUE_MISSING_PHONE: Q(phone_hash=""),
        ISSUE_UNVERIFIED: ~_verified_q(cutoff),
        ISSUE_DUPLICATE: Q(has_twin=True),
    }[issue]


def _leaf_figures(scope: Scope, cutoff: datetime.datetime, today: datetime.date) -> dict[int, dict]:
    """cell id → counters for the people and leases registered directly in that cell."""
    verified = _verified_q(cutoff)
    rows = (
        _annotated_people(scope, cutoff)
        .order_by()
        .values("cell_id")
        .annotate(
            residents=Count("id"),
            complete=Count("id", filter=_complete_q()),
            verified=Count("id", filter=verified),
            accurate=Count("id", filter=_complete_q() & verified),
            missing_name=Count("id", filter=Q(name="")),
            missing_id=Count("id", filter=Q(id_number_hash="")),
            missing_phone=Count("id", filter=Q(phone_hash="")),
            no_dwelling=Count("id", filter=Q(has_dwelling=False)),
            unverified=Count("id", filter=~verified),
            duplicates=Count("id", filter=Q(has_twin=True)),
        )
    )
    figures: dict[int, dict] = {row.pop("cell_id"): row for row in rows}
    leases = (
        _expired_leases(scope, today)
        .order_by()
        .values("dwelling__cell_id")
        .annotate(expired=Count("id"))
    )
    for row in leases:
        figures.setdefault(row["dwelling__cell_id"], {})["expired_leases"] = row["expired"]
    return figures


def _expired_leases(scope: Scope, today: datetime.date) -> QuerySet[Lease]:
    leases = Lease.objects.filter(status=Lease.Status.ACTIVE, ends_on__lt=today)
    return scope.filter(leases, code_field="dwelling__cell__code")


def _samples(
    queryset: QuerySet[Any], cell_field: str, sample_size: int
) -> Iterable[tuple[int, int]]:
    """(cell id, record id) pairs: at most ``sample_size`` per cell, in one query."""
    ranked = queryset.annotate(
        rank=Window(RowNumber(), partition_by=[F(cell_field)], order_by=F("pk").asc())
    ).filter(rank__lte=sample_size)
    return ranked.order_by().values_list(cell_field, "pk")


def _sample_records(
    scope: Scope, cutoff: datetime.datetime, today: datetime.date, sample_size: int
) -> dict[int, dict[str, list[int]]]:
    """cell id → issue → record ids registered directly in that cell."""
    found: dict[int, dict[str, list[int]]] = {}
    people = _annotated_people(scope, cutoff)
    for issue in PERSON_ISSUES:
        for cell_id, pk in _samples(people.filter(_issue_q(issue, cutoff)), "cell_id", sample_size):
            found.setdefault(cell_id, {}).setdefault(issue, []).append(pk)
    leases = _expired_leases(scope, today)
    for cell_id, pk in _samples(leases, "dwelling__cell_id", sample_size):
        found.setdefault(cell_id, {}).setdefault(ISSUE_EXPIRED_LEASE, []).append(pk)
    return found


def _worst_first(row: CellQuality) -> tuple[float, int, str]:
    accuracy = row.accuracy
    return (accuracy if accuracy is not None else 2.0, -row.issue_count, row.code)


def quality_report_for_actor(
    *,
    actor: Any,
    parent_code: str | None = None,
    level: str | None = None,
    max_age_days: int | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    now: datetime.datetime | None = None,
) -> QualityReport:
    """The data quality of every cell in the actor's scope, worst cells first.

    ``parent_code`` limits the list to that cell's children, ``level`` to one level; each
    cell's figures include its whole subtree, and ``records`` names up to ``sample_size`` ids
    per issue to fix. Cells without residents or leases are left out.
    """
    scope = _scope(actor)
    now = now or timezone.now()
    days = max_age_days if max_age_days is not None else settings.GRIDGOV_VERIFICATION_MAX_AGE_DAYS
    cutoff = verification_cutoff(now, days)
    today = timezone.localdate(now)
    cells = scope.filter(Cell.objects.filter(is_active=True), code_field="code")
    if parent_code is not None and not scope.covers(parent_code):
        raise QualityCellNotFoundError()
    by_id = {cell.pk: cell for cell in cells.only("id", "code", "name", "level", "parent_id")}
    rows = {
        cell.pk: CellQuality(code=cell.code, name=cell.name, level=cell.level)
        for cell in by_id.values()
    }
    total = CellQuality(code="", name="", level="")
    for cell_id, counters in _leaf_figures(scope, cutoff, today).items():
        leaf = CellQuality(code="", name="", level="", **counters)
        total.add(leaf)
        ancestor_id: int | None = cell_id
        while ancestor_id is not None and ancestor_id in by_id:
            rows[ancestor_id].add(leaf)
            ancestor_id = by_id[ancestor_id].parent_id
    for cell_id, issues in _sample_records(scope, cutoff, today, sample_size).items():
        ancestor_id = cell_id
        while ancestor_id is not None and ancestor_id in by_id:
            target = rows[ancestor_id].records
            for issue, ids in issues.items():
                kept = target.setdefault(issue, [])
                kept.extend(ids[: max(0, sample_size - len(kept))])
            ancestor_id = by_id[ancestor_id].parent_id
    parent_id = _id_of(by_id, parent_code) if parent_code is not None else None
    selected = [
        row
        for cell_id, row in rows.items()
        if (row.residents or row.expired_leases)
        and (level is None or row.level == level)
        and (parent_code is None or by_id[cell_id].parent_id == parent_id)
    ]
    for row in selected:
        row.records = {
            issue: sorted(row.records[issue]) for issue in ISSUES if issue in row.records
        }
    return QualityReport(
        total=total, cells=sorted(selected, key=_worst_first), max_age_days=days, as_of=now
    )


def _id_of(by_id: dict[int, Cell], code: str) -> int | None:
    return next((pk for pk, cell in by_id.items() if cell.code == code), None)


def quality_records_for_actor(
    *,
    actor: Any,
    cell_code: str,
    issue: str,
    max_age_days: int | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Any]:
    """The records with ``issue`` in the subtree of ``cell_code``: people (or leases), by id.

    Returns a queryset so that pages paginate it; ids only mean something to those who may see
    the people (the pages fetch them through the people selectors).
    """
    scope = _scope(actor)
    if issue not in ISSUES:
        raise ValueError(issue)
    if not cell_code or not scope.covers(cell_code):
        raise QualityCellNotFoundError()
    now = now or timezone.now()
    if issue == ISSUE_EXPIRED_LEASE:
        leases = _expired_leases(scope, timezone.localdate(now))
        return leases.filter(dwelling__cell__code__startswith=cell_code).order_by("ends_on", "pk")
    cutoff = verification_cutoff(now, max_age_days)
    people = _annotated_people(scope, cutoff).filter(cell__code__startswith=cell_code)
    return people.filter(_issue_q(issue, cutoff)).order_by("pk")
