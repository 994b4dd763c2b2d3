"""Checks shared by the housing services: permissions over a place, refusals, lookups for writes.

Every refusal names the field it concerns and says why in words a community worker
understands; none repeats an identity or phone number (DESIGN D6).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.registry.models import Dwelling, Person
from gridgov.registry.selectors.people import PersonNotFoundError
from gridgov.registry.selectors.places import DwellingNotFoundError


class ResidencyConflictError(ValidationError):
    """The person already lives in another dwelling: a move-out must be recorded first.

    ``reason`` is ``lives_elsewhere`` or ``already_here``; the message is under ``person``.
    """

    def __init__(self, message: Any, reason: str) -> None:
        super().__init__({"person": [ValidationError(message, code=reason)]})
        self.reason = reason


def invalid(field: str, message: Any, code: str = "invalid") -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


def require_over_cell(actor: Any, permission: str, cell_code: str, *, not_found: type) -> None:
    """Raise ``not_found`` when the actor cannot even see the place, ``PermissionDenied`` when
    they see it but may not do this; the two differ so that nothing outside the actor's area
    is revealed."""
    if has_permission(actor, permission, cell_code=cell_code):
        return
    if scope_for(actor, Perm.PLACE_VIEW).covers(cell_code) or scope_for(
        actor, Perm.PERSON_VIEW
    ).covers(cell_code):
        raise PermissionDenied(_("You may not make this change in this area."))
    raise not_found()


def dwelling_for_write(*, actor: Any, dwelling_id: int, permission: str) -> Dwelling:
    """The dwelling, locked for the rest of the transaction, after the permission check."""
    dwelling = (
        Dwelling.objects.select_for_update(of=("self",))
        .select_related("cell", "building__estate", "unit")
        .filter(pk=dwelling_id)
        .first()
    )
    if dwelling is None:
        raise DwellingNotFoundError()
    require_over_cell(actor, permission, dwelling.cell.code, not_found=DwellingNotFoundError)
    return dwelling


def person_for_write(*, actor: Any, person_id: int, permission: str = Perm.PERSON_MANAGE) -> Person:
    """The person, locked, if the actor holds ``permission`` over the person's cell."""
    person = (
        Person.objects.select_for_update(of=("self",))
        .select_related("cell")
        .filter(pk=person_id)
        .first()
    )
    if person is None or not scope_for(actor, Perm.PERSON_VIEW).covers(person.cell.code):
        raise PersonNotFoundError()
    if not has_permission(actor, permission, cell_code=person.cell.code):
        raise PermissionDenied(_("You may not change this person's records."))
    return person


def area_per_occupant(area_m2: Decimal | None, occupants: int) -> Decimal | None:
    """Floor area per current occupant (m², two decimals), or ``None`` without area or people."""
    if area_m2 is None or occupants <= 0:
        return None
    return (Decimal(area_m2) / occupants).quantize(Decimal("0.01"))


def is_group_rental(area_m2: Decimal | None, occupants: int) -> bool:
    """The group-rental (群租) rule: less area per occupant than the configured minimum.

    Exactly the minimum is allowed (Shanghai: 人均居住面积不得低于5平方米).
    """
    if area_m2 is None or occupants <= 0:
        return False
    minimum = Decimal(str(settings.GRIDGOV_MIN_AREA_PER_OCCUPANT_M2))
    return Decimal(area_m2) < minimum * occupants
