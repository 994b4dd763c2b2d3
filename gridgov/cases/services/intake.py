"""Intake: every channel (resident, hotline, visit, system, Open311) ends in ``case_report``.

A report is located (cell, estate, building), routed (department, property company), timed
(accept and resolve deadlines on the working-day calendar), checked (required fields, the
category's questions, uploads) and written with its original words, in one transaction.
A repeated ``submission_key`` (a double-submitted form, a retried call) finds the case
already there instead of filing it twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import dateparse, timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.cases.models import (
    ApiClient,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    Channel,
)
from gridgov.cases.services import notices
from gridgov.cases.services.attachments import Upload, attachments_store, uploads_check
from gridgov.cases.services.catalogue import category_for_code
from gridgov.cases.services.deadlines import deadlines_for
from gridgov.cases.services.errors import MissingFieldError, NotAllowedError
from gridgov.cases.services.routing import place_locate, route_for
from gridgov.cases.services.steps import audit_case, event_add, now_or
from gridgov.registry.services.protection import InvalidPhoneError, normalize_phone, protect_phone

__all__ = ["Upload", "attributes_check", "case_report", "case_report_from_system"]

TITLE_MAX = 200
DESCRIPTION_MAX = 5000

# Who may file through each channel (None: a system or client, no user).
CHANNEL_PERMISSIONS: Mapping[str, str | None] = {
    Channel.RESIDENT: Perm.CASE_REPORT,
    Channel.STAFF: Perm.CASE_REPORT,
    Channel.HOTLINE: Perm.CASE_INTAKE,
    Channel.VISIT: Perm.CASE_VISIT,
    Channel.SYSTEM: None,
    Channel.OPEN311: None,
}


def _missing(field: str, message: Any) -> MissingFieldError:
    return MissingFieldError(message, code=field)


def _answer(attribute: Mapping[str, Any], raw: Any) -> Any:
    code = attribute.get("code", "")
    datatype = attribute.get("datatype", "string")
    keys = {str(value.get("key")) for value in attribute.get("values", []) or []}
    invalid = MissingFieldError(
        _("The answer to “%(question)s” is not valid."),
        code="attribute",
        params={"question": attribute.get("description") or code},
    )
    if datatype == "number":
        try:
            number = float(str(raw).strip())
        except ValueError:
            raise invalid from None
        return int(number) if number.is_integer() else number
    if datatype == "datetime":
        parsed = dateparse.parse_datetime(str(raw).strip())
        if parsed is None:
            raise invalid
        return parsed.isoformat()
    if datatype == "singlevaluelist":
        value = str(raw[0] if isinstance(raw, list | tuple) and raw else raw).strip()
        if value not in keys:
            raise invalid
        return value
    if datatype == "multivaluelist":
        values = [str(item).strip() for item in (raw if isinstance(raw, list | tuple) else [raw])]
        values = [item for item in values if item]
        if not values or any(item not in keys for item in values):
            raise invalid
        return values
    return str(raw).strip()[:1000]


def attributes_check(category: Category, answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers to the category's questions, checked: required, datatype, allowed values."""
    answers = dict(answers or {})
    checked: dict[str, Any] = {}
    for attribute in category.attributes or []:
        if attribute.get("variable", True) is False:
            continue
        code = str(attribute.get("code", ""))
        raw = answers.get(code)
        empty = raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []
        if empty:
            if attribute.get("required"):
                raise MissingFieldError(
                    _("Answer “%(question)s”."),
                    code="attribute",
                    params={"question": attribute.get("description") or code},
                )
            continue
        checked[code] = _answer(attribute, raw)
    return checked


def _check_actor(actor: Any, channel: str) -> None:
    if channel not in CHANNEL_PERMISSIONS:
        raise MissingFieldError(_("Unknown channel."), code="channel")
    permission = CHANNEL_PERMISSIONS[channel]
    if permission is None:
        return
    if actor is None or not has_permission(actor, permission):
        raise NotAllowedError(_("You may not file cases through this channel."), code="not_allowed")


def _next_number(now: datetime) -> str:
    """The day's next number from its counter row (row-locked until the report commits).

    A day's first report creates the row, starting after any number already used that day
    (cases loaded in bulk, or written before the counter existed).
    """
    day = timezone.localtime(now).strftime("%Y%m%d")
    table, column = map(connection.ops.quote_name, (CaseNumberCounter._meta.db_table, "last"))
    with connection.cursor() as cursor:  # one round trip for the lock and the number
        cursor.execute(
            f"UPDATE {table} SET {column} = {column} + 1 WHERE day = %s RETURNING {column}",  # noqa: S608
            [day],
        )
        row = cursor.fetchone()
    if row is not None:
        return f"{day}{row[0]:06d}"
    last = (
        Case.objects.filter(number__startswith=day)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            CaseNumberCounter.objects.create(day=day, last=(int(last[8:]) if last else 0) + 1)
    except IntegrityError:  # another report created it first
        CaseNumberCounter.objects.filter(day=day).update(last=F("last") + 1)
    sequence = CaseNumberCounter.objects.values_list("last", flat=True).get(day=day)
    return f"{day}{sequence:06d}"


def _existing(submission_key: str | None) -> Case | None:
    if not submission_key:
        return None
    # Almost every key is new: probe for the id alone, and read the case only when found.
    found = Case.objects.filter(submission_key=submission_key).values_list("pk", flat=True)[:1]
    for pk in found:
        return Case.objects.get(pk=pk)
    return None


def _phone(raw: str) -> tuple[str, str, str]:
    if not (raw or "").strip():
        return "", "", ""
    try:
        number = normalize_phone(raw)
    except InvalidPhoneError as error:
        raise MissingFieldError(error.messages[0], code="reporter_phone") from None
    protected = protect_phone(number)
    return protected.encrypted, protected.prefix, protected.last4


def _insert(case: Case, now: datetime) -> Case:
    """Save a new case; a submission key seen before returns the case it made instead."""
    try:
        # One savepoint for the number and the row: a repeated submission rolls back the
        # counter too, so a day's numbers have no gaps.
        with transaction.atomic():
            case.number = _next_number(now)
            case.save()
    except IntegrityError:
        existing = _existing(case.submission_key)
        if existing is None:
            raise
        return existing
    return case


def case_report(
    *,
    actor: Any,
    channel: str,
    category_code: str,
    description: str,
    title: str = "",
    lat: float | None = None,
    lng: float | None = None,
    address: str = "",
    building_id: int | None = None,
    dwelling_id: int | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    attributes: Mapping[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    api_client: ApiClient | None = None,
    source_ref: str = "",
    submission_key: str | None = None,
    now: datetime | None = None,
) -> Case:
    """File one case; everything is checked before anything is written."""
    now = now_or(now)
    submission_key = (submission_key or "").strip()[:64] or None
    existing = _existing(submission_key)
    if existing is not None:
        return existing
    _check_actor(actor, channel)
    category = category_for_code(category_code)
    text = (description or "").strip()
    if not text:
        raise _missing("description", _("Describe the matter."))
    if len(text) > DESCRIPTION_MAX:
        raise _missing("description", _("The description is too long."))
    required = set(category.required_fields or [])
    if channel == Channel.HOTLINE and not (reporter_phone or "").strip():
        raise _missing("reporter_phone", _("Give the caller's callback number."))
    if (
        Category.RequiredField.CALLBACK_PHONE in required
        and channel
        in (
            Channel.HOTLINE,
            Channel.RESIDENT,
        )
        and not (reporter_phone or "").strip()
    ):
        raise _missing("reporter_phone", _("Give a callback number."))
    if Category.RequiredField.ADDRESS in required and not (
        (address or "").strip() or building_id or dwelling_id
    ):
        raise _missing("address", _("Give the address."))
    answers = attributes_check(category, attributes)
    if channel == Channel.OPEN311 and attributes and attributes.get("media_url"):
        # GeoReport v2 ``media_url``: a link to the client's photo, published with the request.
        answers["media_url"] = str(attributes["media_url"])[:500]
    checked_uploads = uploads_check(uploads)
    place = place_locate(
        lat=lat, lng=lng, address=address, building_id=building_id, dwelling_id=dwelling_id
    )
    phone_encrypted, phone_prefix, phone_last4 = _phone(reporter_phone)
    route = route_for(category=category, estate=place.estate)
    accept_due, resolve_due = deadlines_for(category, now)
    user = actor if actor is not None and getattr(actor, "pk", None) else None
    reporter = user if channel in (Channel.RESIDENT, Channel.STAFF, Channel.VISIT) else None
    if reporter is not None and not reporter_name:
        reporter_name = getattr(reporter, "display_name", "") or ""
    clean_title = (title or "").strip() or f"{category.name}：{text[:40]}"
    # Who is told is known before the write: the day's counter, locked from the number to the
    # commit, waits for no read.
    team = notices.team_for(
        handling_cell=place.cell,
        organisations=[route.property_company, route.department],
    )
    with transaction.atomic():
        case = Case(
            channel=channel,
            category=category,
            title=clean_title[:TITLE_MAX],
            description=text,
            attributes=answers,
            cell=place.cell,
            handling_cell=place.cell,
            address=(place.address or address or "").strip()[:300],
            lat=place.lat,
            lng=place.lng,
            estate=place.estate,
            building=place.building,
            dwelling=place.dwelling,
            reporter=reporter,
            reporter_name=(reporter_name or "").strip()[:64],
            reporter_phone_encrypted=phone_encrypted,
            reporter_phone_prefix=phone_prefix,
            reporter_phone_last4=phone_last4,
            api_client=api_client,
            source_ref=(source_ref or "")[:100],
            submission_key=submission_key,
            department=route.department,
            property_company=route.property_company,
            created_at=now,
            accept_due_at=accept_due,
            resolve_due_at=resolve_due,
        )
        saved = _insert(case, now)
        if saved is not case:
            return saved
        event = event_add(
            case=case,
            actor=user,
            action=CaseEvent.Action.CREATED,
            at=now,
            note=text,
            to_status=case.status,
            data={"channel": channel, "source_ref": case.source_ref},
            label=(api_client.name if api_client is not None else "") if user is None else "",
        )
        attachments_store(checked_uploads, actor=user, now=now, case=case, event=event)
        notices.tell_new_work(case, reason="report", team=team)
        # Last before the commit: the audit chain's head stays locked until then.
        audit_case(
            actor=user,
            action="report",
            case=case,
            changes={"channel": channel, "category": category.code, "cell": place.cell.code},
        )
    return case


def case_report_from_system(
    *,
    source: str,
    source_ref: str,
    category_code: str,
    description: str,
    lat: float | None = None,
    lng: float | None = None,
    building_id: int | None = None,
    dwelling_id: int | None = None,
    now: datetime | None = None,
) -> Case:
    """A case opened by another part of the platform (an alarm, an inspection).

    Idempotent per ``(source, source_ref)``: the same alarm reported twice is one case.
    """
    if not source or not source_ref:
        raise ValidationError(_("A system report needs its source and reference."))
    key = hashlib.sha256(f"system\x1f{source}\x1f{source_ref}".encode()).hexdigest()
    return case_report(
        actor=None,
        channel=Channel.SYSTEM,
        category_code=category_code,
        description=description,
        lat=lat,
        lng=lng,
        building_id=building_id,
        dwelling_id=dwelling_id,
        reporter_name=source[:64],
        source_ref=f"{source}:{source_ref}"[:100],
        submission_key=key,
        now=now,
    )
