"""Writes about people: registration, edits, verification and the audited reveal (DESIGN D6).

Rules enforced here:
- an identity is registered once: the unique keyed hash in the database refuses a duplicate,
  also when two workers register the same person at the same moment (no check-then-write);
- sex and birth date come from the ID number where it states them (GB 11643);
- an edit carries the version it read; a stale one is refused and changes nothing;
- a clear identifier is only ever shown through ``person_reveal``, with the permission, a
  stated purpose and an audit row (PIPL art. 51; minors under 14 and health data need
  ``registry.view_sensitive`` as well, PIPL art. 28).
Errors and log lines never carry a name, ID or phone number.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.core.audit import audit_record
from gridgov.grids.models import Cell
from gridgov.registry.models import IdType, Person, Residency, Sex
from gridgov.registry.selectors.people import (
    PersonNotFoundError,
    person_get_for_actor,
    person_is_sensitive,
)
from gridgov.registry.services.protection import (
    id_facts,
    name_pinyin,
    normalize_id_number,
    normalize_phone,
    protect_id_number,
    protect_phone,
    unprotect_id_number,
    unprotect_phone,
)

logger = logging.getLogger(__name__)

# Documents whose number states the birth date and sex (GB 11643 layout).
_DERIVING_TYPES = (IdType.RESIDENT_ID, IdType.HMT_RESIDENCE_PERMIT)
REVEALABLE_FIELDS = ("id_number", "phone", "contact_phone")
MIN_PURPOSE_LENGTH = 4
# Fields ``person_update`` accepts; identifiers are re-protected, the rest stored as given.
EDITABLE_FIELDS = frozenset(
    {
        "name",
        "id_type",
        "id_number",
        "phone",
        "sex",
        "birth_date",
        "ethnicity",
        "hukou_address",
        "is_migrant",
        "contact_name",
        "contact_phone",
        "is_deceased",
        "cell_code",
    }
)


class DuplicateIdentityError(ValidationError):
    """The identity document is already registered (for whichever area)."""

    def __init__(self) -> None:
        super().__init__(
            {
                "id_number": [
                    _(
                        "A person with this identity document is already registered. "
                        "Search for them instead of registering them again."
                    )
                ]
            },
            code="duplicate_identity",
        )


class ConcurrentEditError(ValidationError):
    """Someone saved this person after the edit was opened; nothing was overwritten."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Someone else changed this person's record after you opened it. Your changes "
                "were not saved; reload the record and make them again."
            ),
            code="concurrent_edit",
        )


def _cell_for_write(actor: Any, cell_code: str) -> Cell:
    if not has_permission(actor, Perm.PERSON_MANAGE, cell_code=cell_code):
        raise PermissionDenied(_("You may not register people in this area."))
    cell = Cell.objects.filter(code=cell_code, is_active=True).first()
    if cell is None:
        raise ValidationError({"cell_code": [_("This area does not exist.")]}, code="no_cell")
    return cell


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError({"name": [_("The name is required.")]}, code="required")
    if len(cleaned) > 64:
        raise ValidationError(
            {"name": [_("The name may have at most 64 characters.")]}, code="too_long"
        )
    return cleaned


def _identity_fields(
    id_type: str, raw_number: str, sex: str | None, birth_date: datetime.date | None
) -> dict[str, Any]:
    """The stored columns of an identity, with sex and birth date taken from the number."""
    if id_type not in IdType.values:
        raise ValidationError(
            {"id_type": [_("Unknown identity document type.")]}, code="unknown_type"
        )
    try:
        number = normalize_id_number(id_type, raw_number)
    except ValidationError as error:
        raise ValidationError({"id_number": error.error_list}) from None
    facts = id_facts(id_type, number)
    if facts.birth_date and birth_date and birth_date != facts.birth_date:
        raise ValidationError(
            {"birth_date": [_("The birth date differs from the one in the ID number.")]},
            code="birth_date_mismatch",
        )
    if facts.sex and sex and sex != Sex.UNKNOWN and sex != facts.sex:
        raise ValidationError(
            {"sex": [_("The sex differs from the one the ID number states.")]},
            code="sex_mismatch",
        )
    protected = protect_id_number(number)
    return {
        "id_type": id_type,
        "id_number_encrypted": protected.encrypted,
        "id_number_hash": protected.hash,
        "id_number_prefix": protected.prefix,
        "id_number_last4": protected.last4,
        "sex": facts.sex or sex or Sex.UNKNOWN,
        "birth_date": facts.birth_date or birth_date,
    }


def _phone_fields(raw: str, field: str) -> dict[str, Any]:
    """Stored columns of ``phone`` or ``contact_phone``; empty input clears them."""
    if not (raw or "").strip():
        number = ""
    else:
        try:
            number = normalize_phone(raw)
        except ValidationError as error:
            raise ValidationError({field: error.error_list}) from None
    protected = protect_phone(number) if number else None
    columns = {
        f"{field}_encrypted": protected.encrypted if protected else "",
        f"{field}_prefix": protected.prefix if protected else "",
        f"{field}_last4": protected.last4 if protected else "",
    }
    if field == "phone":
        columns["phone_hash"] = protected.hash if protected else ""
    return columns


def _name_fields(name: str) -> dict[str, Any]:
    cleaned = _clean_name(name)
    full, initials = name_pinyin(cleaned)
    return {"name": cleaned, "name_pinyin": full, "name_initials": initials}


def _recompute_tags(person_ids: list[int]) -> None:
    from gridgov.registry.services.tags import person_rule_tags_recompute

    person_rule_tags_recompute(person_ids=person_ids)


def person_register(
    *,
    actor: Any,
    cell_code: str,
    id_type: str,
    id_number: str,
    name: str,
    phone: str = "",
    sex: str | None = None,
    birth_date: datetime.date | None = None,
    ethnicity: str = "",
    hukou_address: str = "",
    is_migrant: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
) -> Person:
    """Register a person in ``cell_code`` (needs ``registry.manage_person`` there)."""
    cell = _cell_for_write(actor, cell_code)
    fields: dict[str, Any] = {
        **_name_fields(name),
        **_identity_fields(id_type, id_number, sex, birth_date),
        **_phone_fields(phone, "phone"),
        **_phone_fields(contact_phone, "contact_phone"),
        "ethnicity": (ethnicity or "").strip()[:20],
        "hukou_address": (hukou_address or "").strip()[:200],
        "is_migrant": bool(is_migrant),
        "contact_name": " ".join((contact_name or "").split())[:64],
        "cell": cell,
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                person = Person.objects.create(**fields)
        except IntegrityError as error:
            if "id_number_hash" in str(error):
                raise DuplicateIdentityError() from None
            raise
        audit_record(
            actor=actor,
            action="registry.person.register",
            target=person,
            changes={"cell": cell.code, "id_type": id_type, "is_migrant": person.is_migrant},
        )
        _recompute_tags([person.pk])
    logger.info("person #%s registered in cell %s", person.pk, cell.code)
    return person


def _changed_columns(person: Person, changes: dict[str, Any], actor: Any) -> dict[str, Any]:
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(unknown)},
            code="not_editable",
        )
    columns: dict[str, Any] = {}
    if "name" in changes:
        columns.update(_name_fields(changes["name"]))
    if "id_number" in changes:
        columns.update(
            _identity_fields(
                changes.get("id_type", person.id_type),
                changes["id_number"],
                changes.get("sex"),
                changes.get("birth_date"),
            )
        )
    elif "id_type" in changes and changes["id_type"] != person.id_type:
        raise ValidationError(
            {"id_number": [_("Enter the document number together with its new type.")]},
            code="required",
        )
    for field in ("phone", "contact_phone"):
        if field in changes:
            columns.update(_phone_fields(changes[field], field))
    for field in ("sex", "birth_date"):
        if field in changes and "id_number" not in changes:
            if person.id_type in _DERIVING_TYPES and changes[field] != getattr(person, field):
                raise ValidationError(
                    {field: [_("This is taken from the ID number; correct the number instead.")]},
                    code="derived",
                )
            columns[field] = changes[field]
    for field in ("ethnicity", "hukou_address", "contact_name"):
        if field in changes:
            columns[field] = (changes[field] or "").strip()
    for field in ("is_migrant", "is_deceased"):
        if field in changes:
            columns[field] = bool(changes[field])
    if "cell_code" in changes and changes["cell_code"] != person.cell.code:
        if Residency.objects.filter(person=person, ended_on__isnull=True).exists():
            raise ValidationError(
                {"cell_code": [_("The area follows the dwelling the person lives in.")]},
                code="cell_follows_dwelling",
            )
        columns["cell"] = _cell_for_write(actor, changes["cell_code"])
    return columns


def person_update(*, actor: Any, person_id: int, expected_version: int, **changes: Any) -> Person:
    """Change a person's record if nobody saved it since ``expected_version`` was read.

    The version check and the write are one conditional UPDATE, so two workers saving at the
    same moment cannot both succeed.
    """
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_MANAGE)
    columns = _changed_columns(person, changes, actor)
    if not columns:
        return person
    with transaction.atomic():
        try:
            with transaction.atomic():
                updated = Person.objects.filter(pk=person.pk, version=expected_version).update(
                    **columns, version=F("version") + 1, updated_at=timezone.now()
                )
        except IntegrityError:
            raise DuplicateIdentityError() from None
        if updated != 1:
            raise ConcurrentEditError()
        audit_record(
            actor=actor,
            action="registry.person.update",
            target=person,
            changes={"fields": sorted(changes), "version": expected_version + 1},
        )
        if {"birth_date", "id_number", "is_deceased"} & set(changes):
            _recompute_tags([person.pk])
    logger.info("person #%s updated (%s)", person.pk, ", ".join(sorted(changes)))
    return person_get_for_actor(actor=actor, person_id=person.pk)


def person_verify(*, actor: Any, person_id: int) -> Person:
    """Record that staff confirmed the person's record and residence today (data quality)."""
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_MANAGE)
    now = timezone.now()
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(verified_at=now)
        Residency.objects.filter(person=person, ended_on__isnull=True).update(verified_at=now)
        audit_record(actor=actor, action="registry.person.verify", target=person)
    person.verified_at = now
    return person


def person_reveal(*, actor: Any, person_id: int, field: str, purpose: str) -> str:
    """One identifier in clear, for a stated purpose, with an audit row naming the purpose."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationError({"field": [_("This value cannot be revealed.")]}, code="field")
    purpose = " ".join((purpose or "").split())
    if len(purpose) < MIN_PURPOSE_LENGTH:
        raise ValidationError(
            {"purpose": [_("State why you need the full value (at least 4 characters).")]},
            code="purpose_required",
        )
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_REVEAL)
    if person_is_sensitive(person) and not scope_for(actor, Perm.SENSITIVE_VIEW).covers(
        person.cell.code
    ):
        raise PermissionDenied(
            _("This person's data is in a sensitive category; you are not allowed to see it.")
        )
    stored = {
        "id_number": person.id_number_encrypted,
        "phone": person.phone_encrypted,
        "contact_phone": person.contact_phone_encrypted,
    }[field]
    if not stored:
        return ""
    clear = unprotect_id_number(stored) if field == "id_number" else unprotect_phone(stored)
    audit_record(
        actor=actor,
        action="registry.person.reveal",
        target=person,
        purpose=purpose,
        changes={"field": field},
    )
    logger.info("person #%s: %s revealed with a stated purpose", person.pk, field)
    return clear


__all__ = [
    "ConcurrentEditError",
    "DuplicateIdentityError",
    "PersonNotFoundError",
    "person_register",
    "person_reveal",
    "person_update",
    "person_verify",
]
