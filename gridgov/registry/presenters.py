"""What a page, the API or an export shows of a person, for one actor (DESIGN D6).

The ONE place that turns a ``Person`` into displayable values. Identifiers are always masked
here (``310112********1234``, ``138****5678``); the clear value only ever comes from
``person_reveal``, which is audited. People in a PIPL sensitive category (a minor under 14, or
a health-related tag) are shown restricted — family name only, no birth date, age or tags —
to an actor without ``registry.view_sensitive`` over their area.

Rows cost no query when the person comes from ``person_list_for_actor`` or
``person_get_for_actor`` (cell, tags and current dwelling are prefetched).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.registry.models import IdType, Person, Residency, Sex
from gridgov.registry.selectors.people import age_on, person_is_sensitive
from gridgov.registry.services.protection import mask_id_number, mask_name, mask_phone

_LENGTH_BY_TYPE = {
    IdType.RESIDENT_ID: 18,
    IdType.HMT_RESIDENCE_PERMIT: 18,
    IdType.PASSPORT: 9,
    IdType.HK_MACAO_PERMIT: 9,
    IdType.TAIWAN_PERMIT: 8,
    IdType.FOREIGN_PERMANENT_RESIDENCE: 18,
}


def _current_residency(person: Person) -> Residency | None:
    prefetched = getattr(person, "current_residencies", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return (
        Residency.objects.filter(person=person, ended_on__isnull=True)
        .select_related("dwelling")
        .first()
    )


def masked_id_number(person: Person) -> str:
    length = _LENGTH_BY_TYPE.get(person.id_type, 18)
    if person.id_number_prefix and len(person.id_number_prefix) == 6:
        length = 18
    return mask_id_number(person.id_number_prefix, person.id_number_last4, length)


def masked_phone(person: Person) -> str:
    return mask_phone(person.phone_prefix, person.phone_last4)


def masked_contact_phone(person: Person) -> str:
    return mask_phone(person.contact_phone_prefix, person.contact_phone_last4)


class PersonPresenter:
    """``PersonPresenter(actor).row(person)`` → a dict of what this actor may see."""

    def __init__(self, actor: Any, *, today: datetime.date | None = None) -> None:
        self.actor = actor
        self.today = today or timezone.localdate()
        self._sensitive_scope = scope_for(actor, Perm.SENSITIVE_VIEW)

    def is_restricted(self, person: Person) -> bool:
        """Sensitive category and the actor may not see sensitive data over the person's area."""
        if self._sensitive_scope.covers(person.cell.code):
            return False
        return person_is_sensitive(person, self.today)

    def row(self, person: Person) -> dict[str, Any]:
        restricted = self.is_restricted(person)
        residency = _current_residency(person)
        tags = [] if restricted else [link.tag.name for link in person.person_tags.all()]
        return {
            "id": person.pk,
            "name": mask_name(person.name) if restricted else person.name,
            "sex": person.sex,
            "sex_label": str(Sex(person.sex).label) if person.sex in Sex.values else "",
            "age": None if restricted else age_on(person.birth_date, self.today),
            "birth_date": None if restricted else person.birth_date,
            "id_type": person.id_type,
            "id_type_label": str(IdType(person.id_type).label)
            if person.id_type in IdType.values
            else "",
            "id_number_masked": masked_id_number(person),
            "phone_masked": masked_phone(person),
            "ethnicity": "" if restricted else person.ethnicity,
            "hukou_address": "" if restricted else person.hukou_address,
            "contact_name": "" if restricted else person.contact_name,
            "contact_phone_masked": masked_contact_phone(person),
            "is_migrant": person.is_migrant,
            "cell_code": person.cell.code,
            "cell_name": person.cell.name,
            "tags": tags,
            "address": residency.dwelling.address if residency else "",
            "dwelling_id": residency.dwelling_id if residency else None,
            "residency_role": residency.role if residency else "",
            "is_restricted": restricted,
            "is_deceased": person.is_deceased,
            "verified_at": person.verified_at,
            "version": person.version,
        }

    def rows(self, people: Iterable[Person]) -> list[dict[str, Any]]:
        return [self.row(person) for person in people]
