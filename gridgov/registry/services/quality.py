"""Writes that keep the registry accurate (人口信息准确率, ``docs/data-quality.md``).

A grid worker who has visited a dwelling and found its residents as recorded confirms them all
at once; that confirmation is what the accuracy figure counts as "verified".
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.core.audit import audit_record
from gridgov.registry.models import Dwelling, Person, Residency


class DwellingNotFoundError(Http404):
    """An unknown dwelling or one outside the actor's scope (answered alike on purpose)."""

    def __init__(self) -> None:
        super().__init__(
            _("This dwelling does not exist or is outside your area of responsibility.")
        )


def dwelling_residents_verify(*, actor: Any, dwelling_id: int) -> int:
    """Mark every current residency of a dwelling, and its people, as verified now.

    Needs ``PERSON_MANAGE`` over the dwelling's cell. Returns how many residencies were
    confirmed; one audit row names the dwelling and the count, never a person.
    """
    scope = scope_for(actor, Perm.PERSON_MANAGE)
    dwellings = scope.filter(Dwelling.objects.all(), code_field="cell__code")
    with transaction.atomic():
        dwelling = dwellings.select_for_update().filter(pk=dwelling_id).first()
        if dwelling is None:
            raise DwellingNotFoundError()
        now = timezone.now()
        current = Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True)
        person_ids = list(current.values_list("person_id", flat=True))
        confirmed = current.update(verified_at=now)
        Person.objects.filter(pk__in=person_ids).update(verified_at=now, updated_at=now)
        audit_record(
            actor=actor,
            action="registry.dwelling.verify_residents",
            target=dwelling,
            object_label=f"dwelling {dwelling.pk}",
            changes={"residencies": confirmed},
        )
    return confirmed
