"""Person tags: staff tags set with who, when and why, and rule tags kept true by recomputation.

Rule tags (the catalogue is in migration ``0002_tag_catalogue``):
- 高龄 (``advanced-age``): 80 or older — the age of 高龄津贴 in Shanghai;
- 独居老人 (``elderly-alone``): 60 or older and the only current resident of their dwelling;
- 未成年 (``minor``): under 14, a sensitive category under PIPL art. 28 (sensitivity ``minor``).
Deceased people carry no rule tag. Recomputation is set-based (a few queries for the whole
town), idempotent, and runs daily (``gridgov.registry.tasks.recompute_rule_tags``) and after
every write that changes an age or who lives where.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.core.audit import audit_record
from gridgov.registry.models import Person, PersonTag, Residency, Tag
from gridgov.registry.selectors.people import MINOR_AGE, person_get_for_actor, years_before

logger = logging.getLogger(__name__)

TAG_ELDERLY_ALONE = "elderly-alone"
TAG_ADVANCED_AGE = "advanced-age"
TAG_MINOR = "minor"
RULE_TAG_CODES = (TAG_ELDERLY_ALONE, TAG_ADVANCED_AGE, TAG_MINOR)
ELDERLY_AGE = 60
ADVANCED_AGE = 80
MIN_REASON_LENGTH = 2
_BATCH = 900  # stays under SQLite's limit of variables per statement


@dataclass(frozen=True)
class RuleTagChanges:
    added: int
    removed: int


def _staff_tag(code: str) -> Tag:
    tag = Tag.objects.filter(code=code, is_active=True).first()
    if tag is None:
        raise ValidationError({"tag": [_("This tag does not exist.")]}, code="unknown_tag")
    if tag.kind != Tag.Kind.STAFF:
        raise ValidationError(
            {"tag": [_("This tag is derived by rule and cannot be set or removed by hand.")]},
            code="rule_tag",
        )
    return tag


def _person_for_tagging(actor: Any, person_id: int, tag: Tag) -> Person:
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_MANAGE)
    if tag.sensitivity != Tag.Sensitivity.NONE and not scope_for(actor, Perm.SENSITIVE_VIEW).covers(
        person.cell.code
    ):
        raise PermissionDenied(_("This tag is sensitive; you are not allowed to manage it."))
    return person


def tag_set(*, actor: Any, person_id: int, tag_code: str, reason: str) -> PersonTag:
    """Set a staff tag on a person, recording who set it, when and why (the reason)."""
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": [_("State why the tag applies.")]}, code="reason_required")
    tag = _staff_tag(tag_code)
    person = _person_for_tagging(actor, person_id, tag)
    with transaction.atomic():
        link, created = PersonTag.objects.update_or_create(
            person=person,
            tag=tag,
            defaults={
                "source": PersonTag.Source.STAFF,
                "set_by": actor,
                "set_at": timezone.now(),
                "reason": reason[:200],
            },
        )
        audit_record(
            actor=actor,
            action="registry.person.tag_set",
            target=person,
            changes={"tag": tag.code, "created": created},
        )
    return link


def tag_remove(*, actor: Any, person_id: int, tag_code: str, reason: str = "") -> bool:
    """Remove a staff tag; ``False`` if the person did not carry it (nothing audited then)."""
    tag = _staff_tag(tag_code)
    person = _person_for_tagging(actor, person_id, tag)
    with transaction.atomic():
        deleted, _detail = PersonTag.objects.filter(person=person, tag=tag).delete()
        if not deleted:
            return False
        audit_record(
            actor=actor,
            action="registry.person.tag_remove",
            target=person,
            purpose=" ".join((reason or "").split()),
            changes={"tag": tag.code},
        )
    return True


# --- Rule tags -------------------------------------------------------------------------------


def _living(person_ids: list[int] | None) -> QuerySet[Person]:
    people = Person.objects.filter(is_deceased=False, birth_date__isnull=False)
    return people if person_ids is None else people.filter(pk__in=person_ids)


class _DwellingIdRow(TypedDict):
    dwelling_id: int


def _alone_dwelling_ids() -> QuerySet[Residency, _DwellingIdRow]:
    return (
        Residency.objects.filter(ended_on__isnull=True)
        .values("dwelling_id")
        .annotate(residents=Count("id"))
        .filter(residents=1)
        .values("dwelling_id")
    )


def _wanted(code: str, person_ids: list[int] | None, today: datetime.date) -> set[int]:
    people = _living(person_ids)
    if code == TAG_ADVANCED_AGE:
        people = people.filter(birth_date__lte=years_before(today, ADVANCED_AGE))
    elif code == TAG_MINOR:
        people = people.filter(birth_date__gt=years_before(today, MINOR_AGE))
    else:
        people = people.filter(
            birth_date__lte=years_before(today, ELDERLY_AGE),
            residencies__ended_on__isnull=True,
            residencies__dwelling_id__in=_alone_dwelling_ids(),
        )
    return set(people.values_list("pk", flat=True))


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), _BATCH):
        yield ordered[start : start + _BATCH]


def _apply(tag: Tag, wanted: set[int], person_ids: list[int] | None) -> tuple[int, int]:
    current = PersonTag.objects.filter(tag=tag, source=PersonTag.Source.RULE)
    if person_ids is not None:
        current = current.filter(person_id__in=person_ids)
    have = set(current.values_list("person_id", flat=True))
    now = timezone.now()
    to_add = wanted - have
    to_remove = have - wanted
    for batch in _batches(to_add):
        PersonTag.objects.bulk_create(
            [
                PersonTag(person_id=pk, tag=tag, source=PersonTag.Source.RULE, set_at=now)
                for pk in batch
            ],
            ignore_conflicts=True,
        )
    for batch in _batches(to_remove):
        PersonTag.objects.filter(
            Q(tag=tag) & Q(source=PersonTag.Source.RULE) & Q(person_id__in=batch)
        ).delete()
    return len(to_add), len(to_remove)


def person_rule_tags_recompute(
    *, person_ids: Iterable[int] | None = None, today: datetime.date | None = None
) -> RuleTagChanges:
    """Make the rule tags true for ``person_ids`` (everyone when ``None``) as of ``today``.

    A full sweep writes one audit row with the counts; a targeted call belongs to the write
    that caused it, which audits itself.
    """
    today = today or timezone.localdate()
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids is not None and not ids:
        return RuleTagChanges(added=0, removed=0)
    added = removed = 0
    with transaction.atomic():
        for tag in Tag.objects.filter(code__in=RULE_TAG_CODES, kind=Tag.Kind.RULE):
            if ids is not None and len(ids) > _BATCH:
                for batch in _batches(ids):
                    more, fewer = _apply(tag, _wanted(tag.code, batch, today), batch)
                    added, removed = added + more, removed + fewer
                continue
            more, fewer = _apply(tag, _wanted(tag.code, ids, today), ids)
            added, removed = added + more, removed + fewer
        if ids is None:
            audit_record(
                actor=None,
                action="registry.tags.recompute",
                object_type="registry.tag",
                changes={"added": added, "removed": removed, "on": today.isoformat()},
            )
    logger.info("rule tags recomputed: %s added, %s removed", added, removed)
    return RuleTagChanges(added=added, removed=removed)
