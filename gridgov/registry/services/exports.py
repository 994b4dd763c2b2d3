"""Excel exports of any list the actor may see (DESIGN D6).

Every value comes through ``PersonPresenter``, so identifiers are masked and sensitive people
restricted exactly as on the pages. Identifiers in clear only when the exporter asks for them
with a purpose and holds ``registry.reveal_person`` over every exported person's area (people
in a sensitive category stay masked unless the exporter may also see sensitive data there).
Each file names the exporter and the time on its first line, and each export writes one audit
row ``registry.export`` with the row count and the filters — never a search text, which may be
an identifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.core.audit import audit_record
from gridgov.registry.excel.writer import export_xlsx
from gridgov.registry.models import Lease, Person
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.leases import lease_list_for_actor
from gridgov.registry.selectors.people import person_list_for_actor
from gridgov.registry.services.protection import unprotect_id_number, unprotect_phone

PURPOSE_MIN_LENGTH = 4
CHUNK = 2000
PEOPLE_FILTERS = ("cell_code", "tag", "age_min", "age_max", "is_migrant", "query")


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    row_count: int


def _require_export(actor: Any) -> None:
    if scope_for(actor, Perm.REGISTRY_EXPORT).is_empty:
        raise PermissionDenied(_("You may not export lists."))


def _stamp(actor: Any) -> tuple[str, str]:
    now = timezone.localtime(timezone.now())
    name = getattr(actor, "display_name", "") or actor.get_username()
    line = _("Exported by %(name)s (%(username)s) on %(time)s") % {
        "name": name,
        "username": actor.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M"),
    }
    return line, now.strftime("%Y%m%d-%H%M")


def _audit_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters for the audit row; a search text may be an identifier, so only its use."""
    kept = {key: value for key, value in filters.items() if value not in (None, "")}
    if "query" in kept:
        kept["query"] = "(search)"
    return kept


def _check_clear(actor: Any, people: Any, purpose: str) -> str:
    purpose = " ".join((purpose or "").split())
    if len(purpose) < PURPOSE_MIN_LENGTH:
        raise ValidationError(
            {
                "purpose": [
                    _("State the purpose of showing identifiers in clear (at least 4 characters).")
                ]
            }
        )
    reveal = scope_for(actor, Perm.PERSON_REVEAL)
    if reveal.is_empty or (
        not reveal.is_global and people.exclude(reveal.q("cell__code")).exists()
    ):
        raise PermissionDenied(
            _(
                "Identifiers can be exported in clear only where you may reveal them; narrow the "
                "list to your own area or export it masked."
            )
        )
    return purpose


def _people_columns() -> list[tuple[str, int]]:
    return [
        (_("Name"), 10),
        (_("Sex"), 6),
        (_("Age"), 6),
        (_("Date of birth"), 12),
        (_("Identity document"), 14),
        (_("Document number"), 22),
        (_("Phone"), 14),
        (_("Migrant"), 8),
        (_("Area"), 18),
        (_("Address"), 36),
        (_("Tags"), 24),
    ]


def _people_rows(people: Any, presenter: PersonPresenter, *, clear: bool) -> Iterator[list[Any]]:
    yes, no = _("yes"), _("no")
    for person in people.iterator(chunk_size=CHUNK):
        row = presenter.row(person)
        id_number, phone = row["id_number_masked"], row["phone_masked"]
        if clear and not row["is_restricted"]:
            id_number = unprotect_id_number(person.id_number_encrypted)
            phone = unprotect_phone(person.phone_encrypted) if person.phone_encrypted else ""
        yield [
            row["name"],
            row["sex_label"],
            row["age"] if row["age"] is not None else "",
            row["birth_date"].isoformat() if row["birth_date"] else "",
            row["id_type_label"],
            id_number,
            phone,
            yes if row["is_migrant"] else no,
            row["cell_name"],
            row["address"],
            "、".join(row["tags"]),
        ]


def people_export(
    *,
    actor: Any,
    filters: dict[str, Any] | None = None,
    is_clear: bool = False,
    purpose: str = "",
) -> ExportFile:
    """The people list (same filters as ``person_list_for_actor``; a tag list is the list
    with ``tag``) as xlsx, masked unless ``is_clear`` with a purpose and the permission."""
    _require_export(actor)
    filters = {key: value for key, value in (filters or {}).items() if key in PEOPLE_FILTERS}
    people = scope_for(actor, Perm.REGISTRY_EXPORT).filter(
        person_list_for_actor(actor=actor, **filters), code_field="cell__code"
    )
    if is_clear:
        purpose = _check_clear(actor, people, purpose)
    stamp, suffix = _stamp(actor)
    notice = (
        _(
            "Contains identifiers in clear, exported for: %(purpose)s. Keep it safe and do not pass it on."
        )
        % {"purpose": purpose}
        if is_clear
        else _("Identity and phone numbers are masked. For official use only.")
    )
    with transaction.atomic():
        content, count = export_xlsx(
            sheet_title=_("People"),
            header_lines=[stamp, notice],
            columns=_people_columns(),
            rows=_people_rows(people, PersonPresenter(actor), clear=is_clear),
        )
        audit_record(
            actor=actor,
            action="registry.export",
            object_type=Person._meta.label_lower,
            object_label="people export",
            purpose=purpose if is_clear else "",
            changes={
                "kind": "people",
                "rows": count,
                "filters": _audit_filters(filters),
                "clear": is_clear,
            },
        )
    return ExportFile(content=content, filename=f"people-{suffix}.xlsx", row_count=count)


def _lease_rows(leases: Any, presenter: PersonPresenter) -> Iterator[list[Any]]:
    statuses = dict(Lease.Status.choices)
    yes = _("yes")
    for lease in leases.iterator(chunk_size=CHUNK):
        landlord = presenter.row(lease.landlord)
        tenants = [presenter.row(link.person)["name"] for link in lease.lease_tenants.all()]
        yield [
            lease.dwelling.address,
            lease.dwelling.cell.name,
            landlord["name"],
            landlord["phone_masked"],
            len(tenants),
            "、".join(tenants),
            lease.started_on.isoformat(),
            lease.ends_on.isoformat(),
            str(statuses.get(lease.status, lease.status)),
            yes if lease.is_group_rental_warning else "",
        ]


def lease_export(
    *,
    actor: Any,
    status: str | None = None,
    expiring_within_days: int | None = None,
    cell_code: str | None = None,
) -> ExportFile:
    """The leases the actor may see (masked), e.g. those expiring soon, for follow-up."""
    _require_export(actor)
    filters = {
        "status": status,
        "expiring_within_days": expiring_within_days,
        "cell_code": cell_code,
    }
    listed = lease_list_for_actor(
        actor=actor,
        status=status,
        expiring_within_days=expiring_within_days,
        cell_code=cell_code,
    )
    leases = scope_for(actor, Perm.REGISTRY_EXPORT).filter(
        listed, code_field="dwelling__cell__code"
    )
    stamp, suffix = _stamp(actor)
    columns = [
        (_("Address"), 36),
        (_("Area"), 18),
        (_("Landlord"), 10),
        (_("Landlord's phone"), 14),
        (_("Tenants"), 8),
        (_("Tenant names"), 30),
        (_("Start"), 12),
        (_("End"), 12),
        (_("Status"), 10),
        (_("Group-rental warning"), 12),
    ]
    with transaction.atomic():
        content, count = export_xlsx(
            sheet_title=_("Leases"),
            header_lines=[
                stamp,
                _("Identity and phone numbers are masked. For official use only."),
            ],
            columns=columns,
            rows=_lease_rows(leases, PersonPresenter(actor)),
        )
        audit_record(
            actor=actor,
            action="registry.export",
            object_type=Lease._meta.label_lower,
            object_label="leases export",
            changes={"kind": "leases", "rows": count, "filters": _audit_filters(filters)},
        )
    return ExportFile(content=content, filename=f"leases-{suffix}.xlsx", row_count=count)
