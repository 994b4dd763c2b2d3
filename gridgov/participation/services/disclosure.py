"""Writes of an estate's disclosure page (四公开一监督): fees, the maintenance fund's income
and spending, contracts and the owners' committee, made public to the estate's residents.

Each save is a new numbered version with who and when, and an audit row; nothing is
overwritten, so residents and supervisors can see what was published before. Committee members'
names are stored as given and shown masked (``registry.services.protection.mask_name``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.participation.models import DisclosureVersion
from gridgov.registry.models import Estate

# Each section: its row fields; money fields are checked as decimals.
SECTIONS: dict[str, tuple[str, ...]] = {
    "fees": ("item", "standard"),
    "fund_income": ("date", "item", "amount"),
    "fund_spending": ("date", "item", "amount"),
    "contracts": ("name", "party", "amount", "period"),
    "committee": ("name", "role"),
}
MONEY_FIELDS = frozenset({"amount"})
MAX_ROWS = 200
MAX_TEXT = 200


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_disclosure")


def _is_date(text: str) -> bool:
    try:
        return parse_date(text) is not None
    except ValueError:  # well formed but impossible, e.g. 2026-13-40
        return False


def _clean_value(section: str, field: str, value: Any) -> str:
    text = str(value if value is not None else "").strip()
    if len(text) > MAX_TEXT:
        raise _refuse(_("A value is at most %(n)d characters.") % {"n": MAX_TEXT})
    if field in MONEY_FIELDS and text:
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise _refuse(_("“%(value)s” is not an amount in yuan.") % {"value": text}) from None
        if not amount.is_finite() or amount < 0:
            raise _refuse(_("“%(value)s” is not an amount in yuan.") % {"value": text})
        text = str(amount.quantize(Decimal("0.01")))
    if field == "date" and text and not _is_date(text):
        raise _refuse(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text})
    return text


def disclosure_content_clean(content: Any) -> dict[str, Any]:
    """The content with known sections only, every row checked; refuses bad amounts and dates."""
    if not isinstance(content, dict):
        raise _refuse(_("The disclosure is a set of sections."))
    cleaned: dict[str, Any] = {}
    for section, fields in SECTIONS.items():
        rows = content.get(section) or []
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            raise _refuse(_("A section is a list of at most %(n)d rows.") % {"n": MAX_ROWS})
        cleaned_rows = []
        for row in rows:
            if not isinstance(row, dict):
                raise _refuse(_("Each row is a set of fields."))
            values = {field: _clean_value(section, field, row.get(field)) for field in fields}
            if any(values.values()):
                cleaned_rows.append(values)
        cleaned[section] = cleaned_rows
    notes = str(content.get("notes") or "").strip()
    if len(notes) > 2000:
        raise _refuse(_("The notes are at most 2000 characters."))
    cleaned["notes"] = notes
    return cleaned


def disclosure_content_from_lines(texts: dict[str, str]) -> dict[str, Any]:
    """The content from one text per section, a row per line, fields separated by ``|``."""
    content: dict[str, Any] = {"notes": texts.get("notes", "")}
    for section, fields in SECTIONS.items():
        rows = []
        for line in (texts.get(section) or "").splitlines():
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) > len(fields):
                raise _refuse(
                    _("Too many “|” in “%(line)s”: expected %(fields)s.")
                    % {"line": line.strip()[:40], "fields": " | ".join(fields)}
                )
            rows.append(dict(zip(fields, parts + [""] * (len(fields) - len(parts)), strict=True)))
        content[section] = rows
    return content


def disclosure_content_as_lines(content: dict[str, Any]) -> dict[str, str]:
    texts = {
        section: "\n".join(
            " | ".join(row.get(field, "") for field in fields) for row in content.get(section, [])
        )
        for section, fields in SECTIONS.items()
    }
    texts["notes"] = content.get("notes", "")
    return texts


@transaction.atomic
def disclosure_update(
    *, actor: User, estate: Estate, content: Any, note: str = ""
) -> DisclosureVersion:
    """Publish a new version of the estate's disclosure (needs ``DISCLOSURE_EDIT`` over it)."""
    if not has_permission(actor, Perm.DISCLOSURE_EDIT, cell_code=estate.cell.code):
        raise PermissionDenied
    cleaned = disclosure_content_clean(content)
    # One writer at a time per estate: the next number is read under the estate's row lock.
    Estate.objects.select_for_update().filter(pk=estate.pk).first()
    last = DisclosureVersion.objects.filter(estate=estate).aggregate(n=Max("version"))["n"] or 0
    version = DisclosureVersion.objects.create(
        estate=estate,
        version=last + 1,
        content=cleaned,
        note=note.strip()[:200],
        edited_by=actor,
        edited_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="participation.disclosure_update",
        target=version,
        object_label=f"{estate.code} v{version.version}",
        changes={section: len(cleaned[section]) for section in SECTIONS},
    )
    return version
