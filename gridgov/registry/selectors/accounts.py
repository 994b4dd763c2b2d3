"""Who a signed-in account is in the registry (实名认证): the person behind a resident's account."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from gridgov.accounts.roles import Perm
from gridgov.registry.models import Dwelling, Ownership, Person, PersonAccount, Residency
from gridgov.registry.presenters import masked_id_number, masked_phone
from gridgov.registry.selectors.people import person_get_for_actor
from gridgov.registry.services.protection import mask_name


def person_for_account(actor: Any) -> Person | None:
    """The registry person ``actor`` is linked to, or ``None`` (anonymous or not linked).

    Reading one's own record needs no permission; it is the only person this returns.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    link = PersonAccount.objects.select_related("person").filter(user_id=actor.pk).first()
    return link.person if link else None


def masked_dwelling(dwelling: Dwelling) -> str:
    """``梅园新村3号楼 ***``: the building, never the room (a room points at one household)."""
    return f"{dwelling.building} {'*' * max(len(dwelling.room), 3)}"


@dataclass(frozen=True)
class LinkedDwelling:
    address_masked: str
    relation: str
    since: datetime.date


@dataclass(frozen=True)
class LinkedPerson:
    """What a resident sees of their own linked record: masked like everywhere else."""

    name_masked: str
    id_type_label: str
    id_number_masked: str
    phone_masked: str
    method: str
    method_label: str
    linked_at: datetime.datetime
    dwellings: list[LinkedDwelling] = field(default_factory=list)
    ownerships: list[LinkedDwelling] = field(default_factory=list)


def linked_person_for_account(actor: Any) -> LinkedPerson | None:
    """The actor's own linked person, masked, with their current dwellings and ownerships."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    link = PersonAccount.objects.select_related("person").filter(user_id=actor.pk).first()
    if link is None:
        return None
    person = link.person
    residencies = (
        Residency.objects.filter(person=person, ended_on__isnull=True)
        .select_related("dwelling__building__estate")
        .order_by("started_on", "id")
    )
    ownerships = (
        Ownership.objects.filter(owner=person, ended_on__isnull=True)
        .select_related("dwelling__building__estate")
        .order_by("started_on", "id")
    )
    return LinkedPerson(
        name_masked=mask_name(person.name),
        id_type_label=str(person.get_id_type_display()),
        id_number_masked=masked_id_number(person),
        phone_masked=masked_phone(person),
        method=link.method,
        method_label=str(link.get_method_display()),
        linked_at=link.linked_at,
        dwellings=[
            LinkedDwelling(
                address_masked=masked_dwelling(residency.dwelling),
                relation=str(residency.get_role_display()),
                since=residency.started_on,
            )
            for residency in residencies
        ],
        ownerships=[
            LinkedDwelling(
                address_masked=masked_dwelling(ownership.dwelling),
                relation=f"{ownership.share_numerator}/{ownership.share_denominator}",
                since=ownership.started_on,
            )
            for ownership in ownerships
        ],
    )


def person_account_for_person(*, actor: Any, person_id: int) -> PersonAccount | None:
    """The account linked to a person the actor may see (``registry.view_person``), if any."""
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_VIEW)
    return (
        PersonAccount.objects.select_related("user", "verified_by")
        .filter(person_id=person.pk)
        .first()
    )
