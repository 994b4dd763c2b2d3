"""Rental registration (房屋租赁登记) and the follow-up of expiring leases.

The seed's rule: the landlord comes to register together with every tenant. So one lease is
registered with all its tenants in one transaction — each tenant is found or registered,
and gets a residency in the dwelling — and any bad tenant leaves nothing behind.
Group renting (群租) is flagged when a dwelling holds less floor area per occupant than
``settings.GRIDGOV_MIN_AREA_PER_OCCUPANT_M2`` (Shanghai: 5 m²).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.core.audit import audit_record
from gridgov.core.crypto import lookup_hash
from gridgov.core.models import Notice
from gridgov.grids.models import Post, StaffAssignment
from gridgov.grids.selectors import ancestor_codes
from gridgov.registry.models import Dwelling, Lease, LeaseTenant, Person, Residency
from gridgov.registry.selectors.places import LeaseNotFoundError
from gridgov.registry.services.housing_rules import (
    dwelling_for_write,
    invalid,
    is_group_rental,
    person_for_write,
)
from gridgov.registry.services.protection import normalize_id_number
from gridgov.registry.services.residency import (
    _recompute_rule_tags,
    residency_close,
    residency_open,
)

# 民法典 第七百零五条: a lease may not run for more than twenty years.
MAX_LEASE_YEARS = 20
# Either the id of a registered person, or the keyword arguments of ``person_register``.
PersonRef = int | Mapping[str, Any]
REGISTER_FIELDS = frozenset(
    {
        "cell_code",
        "id_type",
        "id_number",
        "name",
        "phone",
        "sex",
        "birth_date",
        "ethnicity",
        "hukou_address",
        "is_migrant",
        "contact_name",
        "contact_phone",
    }
)
REMINDER_POSTS = (Post.GRID_WORKER, Post.GRID_CHIEF)


def _prefixed(error: ValidationError, prefix: str) -> ValidationError:
    """The same reasons, under the party they concern ("tenants[2].id_number")."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {f"{prefix}.{field}": errors for field, errors in error.error_dict.items()}
        )
    return ValidationError({prefix: error.error_list})


def _person_by_identity(fields: Mapping[str, Any]) -> Person | None:
    try:
        number = normalize_id_number(
            str(fields.get("id_type", "")), str(fields.get("id_number", ""))
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            raise
        raise ValidationError({"id_number": error.error_list}) from error
    return Person.objects.select_for_update().filter(id_number_hash=lookup_hash(number)).first()


def _resolve_party(*, actor: Any, ref: PersonRef, dwelling: Dwelling) -> tuple[Person, bool]:
    """(person, newly registered). A person given by fields whose identity is already in the
    registry is that person: the landlord or tenant came back, they are not a duplicate."""
    if isinstance(ref, int):
        return person_for_write(actor=actor, person_id=ref, permission=Perm.LEASE_REGISTER), False
    if not isinstance(ref, Mapping):
        raise invalid("person", _("give a registered person or the person's details"))
    unknown = set(ref) - REGISTER_FIELDS
    if unknown:
        raise invalid("person", _("unexpected fields: %(fields)s") % {"fields": sorted(unknown)})
    existing = _person_by_identity(ref)
    if existing is not None:
        return existing, False
    from gridgov.registry.services.people import person_register

    fields = dict(ref)
    fields.setdefault("cell_code", dwelling.cell.code)
    return person_register(actor=actor, **fields), True


def _check_dates(started_on: datetime.date, ends_on: datetime.date) -> None:
    if ends_on <= started_on:
        raise invalid("ends_on", _("the lease ends before it starts"), "end_before_start")
    try:
        limit = started_on.replace(year=started_on.year + MAX_LEASE_YEARS)
    except ValueError:  # 29 February
        limit = started_on.replace(year=started_on.year + MAX_LEASE_YEARS, day=28)
    if ends_on > limit:
        raise invalid("ends_on", _("a lease may not run for more than twenty years"), "too_long")


def _resolve_everyone(
    *, actor: Any, dwelling: Dwelling, landlord: PersonRef, tenants: list[PersonRef]
) -> tuple[Person, list[Person], list[int]]:
    if not tenants:
        raise invalid("tenants", _("the landlord must register at least one tenant"), "no_tenant")
    try:
        landlord_person, _new = _resolve_party(actor=actor, ref=landlord, dwelling=dwelling)
    except ValidationError as error:
        raise _prefixed(error, "landlord") from error
    people: list[Person] = []
    registered: list[int] = []
    for index, ref in enumerate(tenants):
        try:
            person, is_new = _resolve_party(actor=actor, ref=ref, dwelling=dwelling)
        except ValidationError as error:
            raise _prefixed(error, f"tenants[{index}]") from error
        if person.pk == landlord_person.pk:
            raise invalid(f"tenants[{index}]", _("the landlord cannot also be a tenant"), "self")
        if any(person.pk == other.pk for other in people):
            raise invalid(f"tenants[{index}]", _("this tenant is listed twice"), "twice")
        people.append(person)
        if is_new:
            registered.append(person.pk)
    return landlord_person, people, registered


def _house_tenant(
    *, actor: Any, person: Person, dwelling: Dwelling, lease: Lease, index: int
) -> None:
    current = Residency.objects.filter(person=person, ended_on__isnull=True).first()
    if current is not None and current.dwelling_id == dwelling.pk:
        # A renewal: the tenant already lives here; the residency now rests on the new lease.
        Residency.objects.filter(pk=current.pk).update(lease=lease)
        return
    try:
        residency_open(
            actor=actor,
            person=person,
            dwelling=dwelling,
            role=Residency.Role.TENANT,
            started_on=lease.started_on,
            lease=lease,
        )
    except ValidationError as error:
        raise _prefixed(error, f"tenants[{index}]") from error


@transaction.atomic
def lease_register(
    *,
    actor: Any,
    dwelling_id: int,
    landlord: PersonRef,
    tenants: list[PersonRef],
    started_on: datetime.date,
    ends_on: datetime.date,
) -> Lease:
    """Register a lease with its landlord and every tenant, all or nothing.

    Tenants are given by id or by their details (registered on the spot, or found by
    identity). Each gets a residency as tenant; a tenant still living elsewhere is refused.
    The group-rental warning is set when the dwelling's area per current occupant falls
    below the configured minimum.
    """
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=dwelling_id, permission=Perm.LEASE_REGISTER
    )
    if dwelling.use == Dwelling.Use.COMMON:
        raise invalid("dwelling", _("a common part of a building cannot be let"), "common")
    _check_dates(started_on, ends_on)
    landlord_person, tenant_people, registered = _resolve_everyone(
        actor=actor, dwelling=dwelling, landlord=landlord, tenants=list(tenants)
    )
    lease = Lease.objects.create(
        dwelling=dwelling,
        landlord=landlord_person,
        started_on=started_on,
        ends_on=ends_on,
        registered_at=timezone.now(),
        registered_by=actor if getattr(actor, "pk", None) else None,
    )
    LeaseTenant.objects.bulk_create(
        [LeaseTenant(lease=lease, person=person) for person in tenant_people]
    )
    for index, person in enumerate(tenant_people):
        _house_tenant(actor=actor, person=person, dwelling=dwelling, lease=lease, index=index)
    occupants = Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).count()
    if is_group_rental(dwelling.area_m2, occupants):
        lease.is_group_rental_warning = True
        lease.save(update_fields=["is_group_rental_warning"])
        _post_group_rental_warning(lease)
    audit_record(
        actor=actor,
        action="registry.lease.register",
        target=lease,
        object_label=f"lease {lease.pk} dwelling {dwelling.pk}",
        changes={
            "landlord": landlord_person.pk,
            "tenants": [person.pk for person in tenant_people],
            "registered_people": registered,
            "started_on": started_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "occupants": occupants,
            "group_rental_warning": lease.is_group_rental_warning,
        },
    )
    _recompute_rule_tags(
        list(
            Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).values_list(
                "person_id", flat=True
            )
        )
    )
    return lease


@transaction.atomic
def lease_end(*, actor: Any, lease_id: int, ended_on: datetime.date | None = None) -> Lease:
    """End a lease (at its term, or early: 提前解除) and move its tenants out on that day.

    The residencies resting on the lease end; the lease and its tenants stay as history.
    """
    found = Lease.objects.filter(pk=lease_id).only("dwelling_id").first()
    if found is None:
        raise LeaseNotFoundError()
    dwelling = dwelling_for_write(
        actor=actor, dwelling_id=found.dwelling_id, permission=Perm.LEASE_REGISTER
    )
    lease = Lease.objects.select_for_update().get(pk=lease_id)
    if lease.status != Lease.Status.ACTIVE:
        raise invalid("status", _("this lease has already ended"), "already_ended")
    ended_on = ended_on or timezone.localdate()
    if ended_on < lease.started_on:
        raise invalid("ended_on", _("a lease cannot end before it starts"), "end_before_start")
    residencies = list(
        Residency.objects.select_for_update().filter(lease=lease, ended_on__isnull=True)
    )
    for residency in residencies:
        residency_close(actor=actor, residency=residency, ended_on=ended_on)
    lease.status = Lease.Status.TERMINATED if ended_on < lease.ends_on else Lease.Status.ENDED
    lease.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="registry.lease.end",
        target=lease,
        object_label=f"lease {lease.pk} dwelling {dwelling.pk}",
        changes={
            "status": lease.status,
            "ended_on": ended_on.isoformat(),
            "residencies_ended": len(residencies),
        },
    )
    remaining = list(
        Residency.objects.filter(dwelling=dwelling, ended_on__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    _recompute_rule_tags([*remaining, *(residency.person_id for residency in residencies)])
    return lease


# --- Notices to the grid's staff -------------------------------------------------------------


def _dwelling_link(dwelling_id: int) -> str:
    try:
        return reverse("registry:dwelling_detail", args=[dwelling_id])
    except NoReverseMatch:
        return ""


def _staff_by_cell(cell_codes: Iterable[str]) -> dict[str, set[int]]:
    """Users holding a grid-worker or grid-chief post, by the code of the cell they hold it in."""
    wanted: set[str] = set()
    for code in cell_codes:
        wanted.update([*ancestor_codes(code), code])
    staff: dict[str, set[int]] = defaultdict(set)
    rows = StaffAssignment.objects.filter(
        ended_on__isnull=True,
        post__in=REMINDER_POSTS,
        cell__code__in=wanted,
        user__is_active=True,
    ).values_list("cell__code", "user_id")
    for code, user_id in rows:
        staff[code].add(user_id)
    return staff


def _recipients(cell_code: str, staff: Mapping[str, set[int]]) -> set[int]:
    users: set[int] = set()
    for code in [*ancestor_codes(cell_code), cell_code]:
        users |= staff.get(code, set())
    return users


def _post_notices(notices: list[Notice]) -> int:
    """Insert the notices whose dedupe key is new; a rerun posts nothing twice."""
    if not notices:
        return 0
    keys = [notice.dedupe_key for notice in notices]
    known = set(Notice.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    fresh = [notice for notice in notices if notice.dedupe_key not in known]
    Notice.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


def _post_group_rental_warning(lease: Lease) -> None:
    dwelling = lease.dwelling
    recipients = _recipients(dwelling.cell.code, _staff_by_cell([dwelling.cell.code]))
    with translation.override(settings.LANGUAGE_CODE):
        title = gettext("Possible group rental")
        body = gettext(
            "%(address)s: the new lease leaves less than %(limit)s m² of floor area per "
            "occupant. Please visit and check."
        ) % {"address": dwelling.address, "limit": settings.GRIDGOV_MIN_AREA_PER_OCCUPANT_M2}
    now = timezone.now()
    _post_notices(
        [
            Notice(
                recipient_id=user_id,
                level=Notice.Level.WARNING,
                kind="registry.group_rental",
                title=title,
                body=body,
                link=_dwelling_link(dwelling.pk),
                dedupe_key=f"registry.group_rental:{lease.pk}:{user_id}",
                created_at=now,
            )
            for user_id in sorted(recipients)
        ]
    )


@transaction.atomic
def lease_expiry_reminders(
    *, today: datetime.date | None = None, days_ahead: int | None = None
) -> int:
    """Remind the grid workers and grid chiefs of each dwelling's cell (and the cells above
    it) of every active lease that ends within ``days_ahead`` days or has already ended.

    Idempotent: one notice per lease, end date and recipient, however often it runs.
    Returns the number of notices posted.
    """
    today = today or timezone.localdate()
    if days_ahead is None:
        days_ahead = settings.GRIDGOV_LEASE_REMINDER_DAYS
    horizon = today + datetime.timedelta(days=days_ahead)
    leases = list(
        Lease.objects.filter(status=Lease.Status.ACTIVE, ends_on__lte=horizon)
        .select_related("dwelling__cell")
        .order_by("ends_on", "id")
    )
    if not leases:
        return 0
    staff = _staff_by_cell({lease.dwelling.cell.code for lease in leases})
    now = timezone.now()
    notices: list[Notice] = []
    reminded: list[int] = []
    with translation.override(settings.LANGUAGE_CODE):
        for lease in leases:
            recipients = _recipients(lease.dwelling.cell.code, staff)
            if recipients:
                reminded.append(lease.pk)
            notices.extend(
                _expiry_notice(lease, user_id=user_id, today=today, now=now)
                for user_id in sorted(recipients)
            )
    posted = _post_notices(notices)
    if posted:
        Lease.objects.filter(pk__in=reminded, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        audit_record(
            actor=None,
            action="registry.lease.remind",
            object_type="registry.lease",
            object_label=f"{len(reminded)} leases",
            changes={"notices": posted, "leases": reminded[:500], "today": today.isoformat()},
        )
    return posted


def _expiry_notice(
    lease: Lease, *, user_id: int, today: datetime.date, now: datetime.datetime
) -> Notice:
    if lease.ends_on < today:
        title = gettext("Lease expired but still registered as active")
        body = gettext(
            "%(address)s: the lease ended on %(date)s. Check whether the tenants have left, "
            "then end the lease or register a renewal."
        )
    else:
        title = gettext("Lease ending soon")
        body = gettext(
            "%(address)s: the lease ends on %(date)s. Check whether the tenants are staying, "
            "then register a renewal or end the lease."
        )
    return Notice(
        recipient_id=user_id,
        level=Notice.Level.REMINDER,
        kind="registry.lease_expiry",
        title=title,
        body=body % {"address": lease.dwelling.address, "date": lease.ends_on.isoformat()},
        link=_dwelling_link(lease.dwelling_id),
        dedupe_key=f"registry.lease_expiry:{lease.pk}:{lease.ends_on.isoformat()}:{user_id}",
        created_at=now,
    )
