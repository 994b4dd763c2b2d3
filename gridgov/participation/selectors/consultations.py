"""Reads of consultations (征询): who is consulted, the results per estate and overall.

Staff see the consultations of their area (``PARTICIPATION_VIEW``); a resident sees the ones
that ask their household (or them as an owner). The pass rule is compared with exact
fractions, never floats: a consultation passes where ``in favour / base ≥ rule``, the base
being every household (or owner) consulted, or only those who answered.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.participation.models import Consultation, ConsultationAnswer, ConsultationScope
from gridgov.registry.models import (
    Building,
    Estate,
    Household,
    HouseholdMember,
    Ownership,
    Person,
    Unit,
)
from gridgov.registry.selectors.accounts import person_for_account
from gridgov.registry.services.protection import mask_name

Choice = ConsultationAnswer.Choice


def place_filter(scopes: list[ConsultationScope], *, dwelling: str) -> Q:
    """A filter on ``dwelling`` (a path to a ``Dwelling``) matching the places consulted."""
    condition = Q(pk__in=[])
    for scope in scopes:
        if scope.unit_id is not None:
            condition |= Q(**{f"{dwelling}__unit_id": scope.unit_id})
        elif scope.building_id is not None:
            condition |= Q(**{f"{dwelling}__building_id": scope.building_id})
        else:
            condition |= Q(**{f"{dwelling}__building__estate_id": scope.estate_id})
    return condition


def eligible_by_estate(
    consultation: Consultation, scopes: list[ConsultationScope]
) -> dict[int, set[int]]:
    """Estate id → the ids of the households (or owner people) consulted there (one query)."""
    by_estate: dict[int, set[int]] = defaultdict(set)
    rows: Iterable[tuple[int, int]]
    if consultation.audience == Consultation.Audience.OWNERS:
        rows = (
            Ownership.objects.filter(
                place_filter(scopes, dwelling="dwelling"),
                ended_on__isnull=True,
                owner__isnull=False,
            )
            .values_list("owner_id", "dwelling__building__estate_id")
            .distinct()
        )
    else:
        rows = Household.objects.filter(place_filter(scopes, dwelling="dwelling")).values_list(
            "id", "dwelling__building__estate_id"
        )
    for unit_id, estate_id in rows:
        by_estate[estate_id].add(unit_id)
    return dict(by_estate)


@dataclass(frozen=True)
class Tally:
    """The figures of one estate, or of the whole consultation."""

    eligible: int
    answered: int
    in_favour: int
    against: int
    share: Fraction  # in favour over the base the rule counts
    rule: Fraction
    passed: bool

    @property
    def percent(self) -> int:
        return percent(self.share)

    @property
    def turnout_percent(self) -> int:
        return percent(Fraction(self.answered, self.eligible) if self.eligible else Fraction(0))


@dataclass(frozen=True)
class EstateTally:
    estate_id: int
    estate_name: str
    tally: Tally


@dataclass(frozen=True)
class ConsultationResult:
    rule: Fraction
    basis: str
    overall: Tally
    estates: list[EstateTally] = field(default_factory=list)

    @property
    def estates_passed(self) -> int:
        return sum(1 for row in self.estates if row.tally.passed)

    @property
    def estates_passed_percent(self) -> int:
        if not self.estates:
            return 0
        return percent(Fraction(self.estates_passed, len(self.estates)))


def percent(share: Fraction) -> int:
    """A share as a whole percentage, rounded half up (18/19 → 95)."""
    scaled = share * 100
    return int(scaled + Fraction(1, 2)) if scaled >= 0 else 0


def _tally(eligible: set[int], answers: dict[int, str], *, rule: Fraction, basis: str) -> Tally:
    answered = [answers[unit] for unit in eligible if unit in answers]
    in_favour = sum(1 for choice in answered if choice == Choice.YES)
    base = len(eligible) if basis == Consultation.Basis.ELIGIBLE else len(answered)
    share = Fraction(in_favour, base) if base else Fraction(0)
    return Tally(
        eligible=len(eligible),
        answered=len(answered),
        in_favour=in_favour,
        against=len(answered) - in_favour,
        share=share,
        rule=rule,
        passed=base > 0 and share >= rule,
    )


def consultation_result(consultation: Consultation) -> ConsultationResult:
    """The figures per estate and overall (three queries, whatever the size)."""
    scopes = list(consultation.scopes.select_related("estate"))
    names = {scope.estate_id: scope.estate.name for scope in scopes}
    eligible = eligible_by_estate(consultation, scopes)
    unit_field = (
        "owner_id" if consultation.audience == Consultation.Audience.OWNERS else ("household_id")
    )
    answers: dict[int, str] = dict(
        ConsultationAnswer.objects.filter(consultation=consultation).values_list(
            unit_field, "choice"
        )
    )
    rule = Fraction(consultation.pass_numerator, consultation.pass_denominator)
    estates = [
        EstateTally(
            estate_id=estate_id,
            estate_name=names[estate_id],
            tally=_tally(
                eligible.get(estate_id, set()), answers, rule=rule, basis=consultation.basis
            ),
        )
        for estate_id in sorted(names, key=lambda key: (names[key], key))
    ]
    everyone: set[int] = set().union(*eligible.values()) if eligible else set()
    overall = _tally(everyone, answers, rule=rule, basis=consultation.basis)
    return ConsultationResult(rule=rule, basis=consultation.basis, overall=overall, estates=estates)


# --- who sees what ---------------------------------------------------------------------------


def consultation_list_for_actor(
    *, actor: Any, cell_code: str | None = None, status: str | None = None
) -> QuerySet[Consultation]:
    """The consultations of the actor's area, newest first."""
    queryset = scope_for(actor, Perm.PARTICIPATION_VIEW).filter(
        Consultation.objects.select_related("cell"), code_field="cell__code"
    )
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def consultation_for_actor(*, actor: Any, consultation_id: int) -> Consultation:
    """One consultation the actor may see as staff; ``Consultation.DoesNotExist`` otherwise."""
    return consultation_list_for_actor(actor=actor).get(pk=consultation_id)


def consultation_manage_allowed(*, actor: Any, consultation: Consultation) -> bool:
    return has_permission(actor, Perm.CONSULTATION_MANAGE, cell_code=consultation.cell.code)


def consultation_is_open(
    consultation: Consultation, *, now: datetime.datetime | None = None
) -> bool:
    moment = now or timezone.now()
    return (
        consultation.status == Consultation.Status.OPEN
        and consultation.opens_at <= moment < consultation.closes_at
    )


@dataclass(frozen=True)
class Respondent:
    """What a resident answers as: their household, or themselves as an owner."""

    person: Person | None
    household_id: int | None = None
    owner_id: int | None = None


def respondent_for(*, person: Person, consultation: Consultation) -> Respondent | None:
    """The household (or owner) ``person`` answers for, if the consultation asks them."""
    scopes = list(consultation.scopes.all())
    if consultation.audience == Consultation.Audience.OWNERS:
        owns = Ownership.objects.filter(
            place_filter(scopes, dwelling="dwelling"), owner=person, ended_on__isnull=True
        ).exists()
        return Respondent(person=person, owner_id=person.pk) if owns else None
    household_id = (
        HouseholdMember.objects.filter(
            place_filter(scopes, dwelling="household__dwelling"),
            person=person,
            left_on__isnull=True,
        )
        .values_list("household_id", flat=True)
        .first()
    )
    return Respondent(person=person, household_id=household_id) if household_id else None


def _resident_places(person: Person) -> tuple[set[int], set[int], set[int]]:
    """(estates, buildings, doorways) the person lives in or owns a dwelling in."""
    lived = HouseholdMember.objects.filter(
        person=person, left_on__isnull=True, household__dwelling__isnull=False
    ).values_list(
        "household__dwelling__building__estate_id",
        "household__dwelling__building_id",
        "household__dwelling__unit_id",
    )
    owned = Ownership.objects.filter(owner=person, ended_on__isnull=True).values_list(
        "dwelling__building__estate_id", "dwelling__building_id", "dwelling__unit_id"
    )
    estates: set[int] = set()
    buildings: set[int] = set()
    units: set[int] = set()
    for estate_id, building_id, unit_id in [*lived, *owned]:
        estates.add(estate_id)
        buildings.add(building_id)
        if unit_id:
            units.add(unit_id)
    return estates, buildings, units


def consultation_list_for_resident(*, actor: Any) -> QuerySet[Consultation]:
    """The consultations that ask the signed-in resident (via their registry person)."""
    person = person_for_account(actor)
    if person is None or not has_permission(actor, Perm.PARTICIPATION_TAKE_PART):
        return Consultation.objects.none()
    estates, buildings, units = _resident_places(person)
    place = (
        Q(scopes__estate_id__in=estates, scopes__building__isnull=True)
        | Q(scopes__building_id__in=buildings, scopes__unit__isnull=True)
        | Q(scopes__unit_id__in=units)
    )
    return Consultation.objects.filter(place).distinct().order_by("-opens_at", "-id")


def consultation_for_resident(*, actor: Any, consultation_id: int) -> Consultation:
    return consultation_list_for_resident(actor=actor).get(pk=consultation_id)


def answer_for_respondent(
    *, consultation: Consultation, respondent: Respondent
) -> ConsultationAnswer | None:
    answers = ConsultationAnswer.objects.filter(consultation=consultation)
    if respondent.owner_id is not None:
        return answers.filter(owner_id=respondent.owner_id).first()
    if respondent.household_id is None:
        return None
    return answers.filter(household_id=respondent.household_id).first()


def unanswered_households(consultation: Consultation) -> QuerySet[Household]:
    """The households consulted that have not answered (one query, however many)."""
    scopes = list(consultation.scopes.all())
    answered = ConsultationAnswer.objects.filter(
        consultation=consultation, household__isnull=False
    ).values("household_id")
    return Household.objects.filter(place_filter(scopes, dwelling="dwelling")).exclude(
        pk__in=answered
    )


def unanswered_owners(consultation: Consultation) -> QuerySet[Person]:
    """The owners consulted who have not answered (one query, however many)."""
    scopes = list(consultation.scopes.all())
    owners = Ownership.objects.filter(
        place_filter(scopes, dwelling="dwelling"), ended_on__isnull=True, owner__isnull=False
    ).values("owner_id")
    answered = ConsultationAnswer.objects.filter(
        consultation=consultation, owner__isnull=False
    ).values("owner_id")
    return Person.objects.filter(pk__in=owners).exclude(pk__in=answered)


def respondent_for_resident(*, actor: Any, consultation: Consultation) -> Respondent | None:
    """What the signed-in resident answers as, or ``None`` when the consultation does not ask
    them (e.g. a tenant in an owners' consultation)."""
    person = person_for_account(actor)
    if person is None:
        return None
    return respondent_for(person=person, consultation=consultation)


def answer_for_resident(*, actor: Any, consultation: Consultation) -> ConsultationAnswer | None:
    """The answer already given for the resident's household (or by them as owner), if any."""
    respondent = respondent_for_resident(actor=actor, consultation=consultation)
    if respondent is None:
        return None
    return answer_for_respondent(consultation=consultation, respondent=respondent)


# --- choices for staff forms -----------------------------------------------------------------


def consultation_estate_choices(*, actor: Any) -> list[Estate]:
    """The estates the actor may consult (``CONSULTATION_MANAGE``), by name."""
    queryset = scope_for(actor, Perm.CONSULTATION_MANAGE).filter(
        Estate.objects.select_related("cell"), code_field="cell__code"
    )
    return list(queryset.order_by("name", "code")[:1000])


def consultation_place_choices(*, actor: Any, estate_id: int | None) -> list[tuple[str, str]]:
    """The buildings (``b:<id>``) and doorways (``u:<building>/<unit>``) of one estate."""
    if estate_id is None:
        return []
    estates = scope_for(actor, Perm.CONSULTATION_MANAGE).filter(
        Estate.objects.filter(pk=estate_id), code_field="cell__code"
    )
    units = Unit.objects.filter(building__estate__in=estates).select_related("building")
    buildings = Building.objects.filter(estate__in=estates).order_by("sort_order", "label")
    choices: list[tuple[str, str]] = [(f"b:{b.pk}", b.label) for b in buildings]
    choices += [
        (f"u:{unit.building_id}/{unit.pk}", f"{unit.building.label}{unit.label}")
        for unit in units.order_by("building__sort_order", "building__label", "sort_order")
    ]
    return choices


def consultation_unanswered_rows(
    *, actor: Any, consultation: Consultation, query: str = "", limit: int = 100
) -> list[dict[str, Any]]:
    """The households (or owners) not yet answered, by place, for door-to-door recording.

    Owners show as their dwelling's address and a masked name (DESIGN D6).
    """
    if not has_permission(actor, Perm.PARTICIPATION_VIEW, cell_code=consultation.cell.code):
        return []
    if consultation.audience == Consultation.Audience.OWNERS:
        scopes = list(consultation.scopes.all())
        ownerships = Ownership.objects.filter(
            place_filter(scopes, dwelling="dwelling"),
            owner__in=unanswered_owners(consultation),
            ended_on__isnull=True,
        ).select_related("owner", "dwelling")
        if query:
            ownerships = ownerships.filter(dwelling__address__icontains=query)
        rows: dict[int, dict[str, Any]] = {}
        for ownership in ownerships.order_by("dwelling__address")[: limit * 2]:
            if ownership.owner is not None:
                rows.setdefault(
                    ownership.owner.pk,
                    {
                        "id": ownership.owner.pk,
                        "place": ownership.dwelling.address,
                        "label": mask_name(ownership.owner.name),
                    },
                )
        return list(rows.values())[:limit]
    households = unanswered_households(consultation).select_related("dwelling")
    if query:
        households = households.filter(dwelling__address__icontains=query)
    return [
        {"id": h.pk, "place": h.dwelling.address if h.dwelling else "", "label": h.number}
        for h in households.order_by("dwelling__address")[:limit]
    ]
