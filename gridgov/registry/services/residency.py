"""Who lives where and who owns what: residencies, ownerships and households (户).

History is kept: moving out ends a residency, selling ends an ownership, leaving a household
ends a membership — nothing is deleted (SPEC §1; the seed's 一户一档 needs the past too).
A person lives in one dwelling at a time; the database refuses a second current residency,
and the service says so first in plain words.
"""

from __future__ import annotations

import datetime
import uuid
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Organization
from gridgov.accounts.roles import Perm
from gridgov.core.audit import audit_record
from gridgov.registry.models import (
    Dwelling,
    Household,
    HouseholdMember,
    Lease,
    Ownership,
    Person,
    Residency,
)
from gridgov.registry.selectors.places import DwellingNotFoundError, PlaceNotFoundError
from gridgov.registry.services.housing_rules import (
    ResidencyConflictError,
    dwelling_for_write,
    invalid,
    person_for_write,
    require_over_cell,
)


def _recompute_rule_tags(person_ids: list[int]) -> None:
    """独居老人 depends on who else lives in the dwelling: recompute for everyone affected."""
    from gridgov.registry.services.tags import person_rule_tags_recompute

    if person_ids:
        person_rule_tags_recompute(person_ids=sorted(set(person_ids)))


def _current_resident_ids(dwelling: Dwelling) -> list[int]:
    return list(
        Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )


# --- Residency -------------------------------------------------------------------------------


def _refuse_second_home(person: Person, dwelling: Dwelling) -> None:
    current = Residency.objects.filter(person=person, ended_on__isnull=True).first()
    if current is None:
        return
    if current.dwelling_id == dwelling.pk:
        raise ResidencyConflictError(
            _("this person is already registered as living in this dwelling"), "already_here"
        )
    raise ResidencyConflictError(
        _(
            "this person is still registered as living in another dwelling; "
            "record the move-out there first"
        ),
        "lives_elsewhere",
    )


def _check_start_after_history(person: Person, started_on: datetime.date) -> None:
    last_end = Residency.objects.filter(person=person).aggregate(last=Max("ended_on"))["last"]
    if last_end is not None and started_on < last_end:
        raise invalid(
            "started_on",
            _("the move-in date is before the end of this person's previous residency"),
            "overlaps_history",
        )


def residency_open(
    *,
    actor: Any,
    person: Person,
    dwelling: Dwelling,
    role: str,
    started_on: datetime.date,
    lease: Lease | None = None,
) -> Residency:
    """The body of ``residency_start`` for callers that already hold both rows locked (the
    lease registration). Refuses a second home; moves the person's cell to the dwelling's."""
    if role not in Residency.Role.values:
        raise invalid("role", _("this way of living in a dwelling does not exist"), "bad_choice")
    if dwelling.use == Dwelling.Use.COMMON:
        raise invalid("dwelling", _("nobody can live in a common part of a building"), "common")
    if person.is_deceased:
        raise invalid("person", _("this person is recorded as deceased"), "deceased")
    _refuse_second_home(person, dwelling)
    _check_start_after_history(person, started_on)
    residency = Residency(
        person=person,
        dwelling=dwelling,
        role=role,
        started_on=started_on,
        lease=lease,
        # Staff registering the move-in have just seen the person: it counts as a verification.
        verified_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            residency.save()
    except IntegrityError as error:  # a concurrent move-in won the race
        raise ResidencyConflictError(
            _("this person was registered elsewhere at the same moment; try again"),
            "lives_elsewhere",
        ) from error
    if person.cell_id != dwelling.cell_id:
        Person.objects.filter(pk=person.pk).update(
            cell=dwelling.cell, version=F("version") + 1, updated_at=timezone.now()
        )
        person.refresh_from_db(fields=["cell", "version", "updated_at"])
    audit_record(
        actor=actor,
        action="registry.residency.start",
        target=residency,
        object_label=f"person {person.pk} dwelling {dwelling.pk}",
        changes={"role": role, "started_on": started_on.isoformat(), "lease": residency.lease_id},
    )
    return residency


@transaction.atomic
def residency_start(
    *,
    actor: Any,
    person_id: int,
    dwelling_id: int,
    role: str,
    started_on: datetime.date,
    lease: Lease | None = None,
) -> Residency:
    """Record that a person lives in a dwelling from ``started_on``.

    Refused when the person still lives elsewhere (the move-out is recorded first), so the
    registry never counts anyone twice. The person's cell becomes the dwelling's cell.
    """
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=dwelling_id, permission=Perm.PERSON_MANAGE
    )
    person = person_for_write(actor=actor, person_id=person_id)
    if lease is not None and (lease.dwelling_id != dwelling.pk or lease.status != "active"):
        raise invalid("lease", _("this lease is not an active lease of the dwelling"), "lease")
    residency = residency_open(
        actor=actor,
        person=person,
        dwelling=dwelling,
        role=role,
        started_on=started_on,
        lease=lease,
    )
    _recompute_rule_tags([*_current_resident_ids(dwelling), person.pk])
    return residency


def residency_close(*, actor: Any, residency: Residency, ended_on: datetime.date) -> Residency:
    """End one residency that the caller holds locked; it stays as history."""
    if residency.ended_on is not None:
        raise invalid("ended_on", _("this residency has already ended"), "already_ended")
    if ended_on < residency.started_on:
        raise invalid(
            "ended_on", _("the move-out date is before the move-in date"), "end_before_start"
        )
    residency.ended_on = ended_on
    residency.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="registry.residency.end",
        target=residency,
        object_label=f"person {residency.person_id} dwelling {residency.dwelling_id}",
        changes={"ended_on": ended_on.isoformat()},
    )
    return residency


@transaction.atomic
def residency_end(
    *, actor: Any, residency_id: int, ended_on: datetime.date | None = None
) -> Residency:
    """Record a move-out. The residency is kept with its end date, never deleted."""
    residency = Residency.objects.filter(pk=residency_id).only("dwelling_id").first()
    if residency is None:
        raise DwellingNotFoundError()
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=residency.dwelling_id, permission=Perm.PERSON_MANAGE
    )
    residency = Residency.objects.select_for_update().get(pk=residency_id)
    residency_close(actor=actor, residency=residency, ended_on=ended_on or timezone.localdate())
    _recompute_rule_tags([*_current_resident_ids(dwelling), residency.person_id])
    return residency


# --- Ownership -------------------------------------------------------------------------------


def ownership_share(ownership: Ownership) -> Fraction:
    """The exact share (份额) an ownership holds, for owners' votes."""
    return Fraction(ownership.share_numerator, ownership.share_denominator)


def _share(numerator: int, denominator: int) -> Fraction:
    if not isinstance(numerator, int) or not isinstance(denominator, int):
        raise invalid("share", _("the share must be a fraction of whole numbers"), "share")
    if denominator <= 0 or numerator <= 0 or numerator > denominator:
        raise invalid(
            "share", _("the share must be greater than 0 and at most the whole"), "share_range"
        )
    return Fraction(numerator, denominator)


def _owner(
    *, actor: Any, owner_person_id: int | None, owner_organization_id: int | None
) -> tuple[Person | None, Organization | None]:
    if owner_person_id is not None and owner_organization_id is None:
        return person_for_write(actor=actor, person_id=owner_person_id), None
    if owner_organization_id is None or owner_person_id is not None:
        raise invalid("owner", _("give either a person or an organisation as owner"), "owner")
    organization = Organization.objects.filter(pk=owner_organization_id, is_active=True).first()
    if organization is None:
        raise invalid("owner", _("this organisation does not exist"), "owner")
    return None, organization


@transaction.atomic
def ownership_add(
    *,
    actor: Any,
    dwelling_id: int,
    started_on: datetime.date,
    owner_person_id: int | None = None,
    owner_organization_id: int | None = None,
    share_numerator: int = 1,
    share_denominator: int = 1,
) -> Ownership:
    """Register an owner with an exact share. The current shares of a dwelling never add up
    to more than the whole (checked with exact fractions, under a lock on the dwelling)."""
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=dwelling_id, permission=Perm.PLACE_MANAGE
    )
    share = _share(share_numerator, share_denominator)
    person, organization = _owner(
        actor=actor, owner_person_id=owner_person_id, owner_organization_id=owner_organization_id
    )
    current = list(Ownership.objects.filter(dwelling=dwelling, ended_on__isnull=True))
    if any(
        (person is not None and item.owner_id == person.pk)
        or (organization is not None and item.owner_organization_id == organization.pk)
        for item in current
    ):
        raise invalid("owner", _("this owner is already registered for the dwelling"), "dup")
    held = sum((ownership_share(item) for item in current), Fraction(0))
    if held + share > 1:
        raise invalid(
            "share",
            _("the shares would add up to more than the whole (%(held)s already held)")
            % {"held": str(held)},
            "share_exceeds",
        )
    ownership = Ownership.objects.create(
        dwelling=dwelling,
        owner=person,
        owner_organization=organization,
        share_numerator=share.numerator,
        share_denominator=share.denominator,
        started_on=started_on,
    )
    audit_record(
        actor=actor,
        action="registry.ownership.add",
        target=ownership,
        object_label=f"dwelling {dwelling.pk} share {share}",
        changes={
            "owner_person": person.pk if person else None,
            "owner_organization": organization.pk if organization else None,
            "share": str(share),
            "started_on": started_on.isoformat(),
        },
    )
    return ownership


@transaction.atomic
def ownership_end(
    *, actor: Any, ownership_id: int, ended_on: datetime.date | None = None
) -> Ownership:
    """End an ownership (sale, inheritance); it stays as history."""
    found = Ownership.objects.filter(pk=ownership_id).only("dwelling_id").first()
    if found is None:
        raise DwellingNotFoundError()
    dwelling_for_write(actor=actor, dwelling_id=found.dwelling_id, permission=Perm.PLACE_MANAGE)
    ownership = Ownership.objects.select_for_update().get(pk=ownership_id)
    ended_on = ended_on or timezone.localdate()
    if ownership.ended_on is not None:
        raise invalid("ended_on", _("this ownership has already ended"), "already_ended")
    if ended_on < ownership.started_on:
        raise invalid("ended_on", _("the end date is before the start date"), "end_before_start")
    ownership.ended_on = ended_on
    ownership.save(update_fields=["ended_on"])
    audit_record(
        actor=actor,
        action="registry.ownership.end",
        target=ownership,
        object_label=f"dwelling {ownership.dwelling_id}",
        changes={"ended_on": ended_on.isoformat()},
    )
    return ownership


# --- Households ------------------------------------------------------------------------------


def _join(
    *, household: Household, person: Person, relation: str, joined_on: datetime.date
) -> HouseholdMember:
    if relation not in HouseholdMember.Relation.values:
        raise invalid("relation", _("this relation does not exist"), "bad_choice")
    if HouseholdMember.objects.filter(person=person, left_on__isnull=True).exists():
        raise invalid(
            "person",
            _("this person already belongs to a household; they must leave it first"),
            "in_household",
        )
    try:
        with transaction.atomic():
            return HouseholdMember.objects.create(
                household=household, person=person, relation=relation, joined_on=joined_on
            )
    except IntegrityError as error:
        raise invalid(
            "person",
            _("this person already belongs to a household; they must leave it first"),
            "in_household",
        ) from error


def _household_for_write(*, actor: Any, household_id: int) -> Household:
    household = (
        Household.objects.select_for_update(of=("self",))
        .select_related("dwelling__cell", "head__cell")
        .filter(pk=household_id)
        .first()
    )
    if household is None:
        raise PlaceNotFoundError()
    anchor = household.dwelling or household.head
    code = anchor.cell.code if anchor is not None else ""
    require_over_cell(actor, Perm.PERSON_MANAGE, code, not_found=PlaceNotFoundError)
    return household


@transaction.atomic
def household_create(
    *,
    actor: Any,
    head_person_id: int,
    dwelling_id: int | None = None,
    number: str = "",
    joined_on: datetime.date | None = None,
) -> Household:
    """Open a household (户) with its head as first member. Without a number it gets
    ``H`` + its serial number."""
    dwelling = None
    if dwelling_id is not None:
        dwelling = dwelling_for_write(
            actor=actor, dwelling_id=dwelling_id, permission=Perm.PERSON_MANAGE
        )
    head = person_for_write(actor=actor, person_id=head_person_id)
    number = (number or "").strip()
    if number and Household.objects.filter(number=number).exists():
        raise invalid("number", _("another household already has this number"), "duplicate")
    household = Household.objects.create(
        number=number or f"tmp-{uuid.uuid4().hex[:24]}", dwelling=dwelling, head=head
    )
    if not number:
        household.number = f"H{household.pk:08d}"
        household.save(update_fields=["number"])
    _join(
        household=household,
        person=head,
        relation=HouseholdMember.Relation.HEAD,
        joined_on=joined_on or timezone.localdate(),
    )
    audit_record(
        actor=actor,
        action="registry.household.create",
        target=household,
        object_label=household.number,
        changes={"dwelling": dwelling_id, "head": head.pk},
    )
    return household


@transaction.atomic
def household_add_member(
    *,
    actor: Any,
    household_id: int,
    person_id: int,
    relation: str,
    joined_on: datetime.date | None = None,
) -> HouseholdMember:
    """Add a member with their relation to the head; a household has exactly one head."""
    household = _household_for_write(actor=actor, household_id=household_id)
    if relation == HouseholdMember.Relation.HEAD:
        raise invalid("relation", _("the household already has a head"), "second_head")
    person = person_for_write(actor=actor, person_id=person_id)
    member = _join(
        household=household,
        person=person,
        relation=relation,
        joined_on=joined_on or timezone.localdate(),
    )
    audit_record(
        actor=actor,
        action="registry.household.add_member",
        target=household,
        object_label=household.number,
        changes={"person": person.pk, "relation": relation},
    )
    return member


@transaction.atomic
def household_remove_member(
    *, actor: Any, household_id: int, person_id: int, left_on: datetime.date | None = None
) -> HouseholdMember:
    """A member leaves the household; the membership is kept with its end date. The head
    leaves last: while others remain, they stay the head."""
    household = _household_for_write(actor=actor, household_id=household_id)
    member = (
        HouseholdMember.objects.select_for_update()
        .filter(household=household, person_id=person_id, left_on__isnull=True)
        .first()
    )
    if member is None:
        raise invalid("person", _("this person is not a current member of the household"))
    others = HouseholdMember.objects.filter(household=household, left_on__isnull=True).exclude(
        pk=member.pk
    )
    if member.relation == HouseholdMember.Relation.HEAD and others.exists():
        raise invalid(
            "person",
            _("the head of household can only leave after the other members"),
            "head_leaves_last",
        )
    left_on = left_on or timezone.localdate()
    if member.joined_on is not None and left_on < member.joined_on:
        raise invalid("left_on", _("the leaving date is before the joining date"))
    member.left_on = left_on
    member.save(update_fields=["left_on"])
    audit_record(
        actor=actor,
        action="registry.household.remove_member",
        target=household,
        object_label=household.number,
        changes={"person": person_id, "left_on": left_on.isoformat()},
    )
    return member
