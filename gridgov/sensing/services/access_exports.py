"""The absence list (独居老人多日未刷卡) as an Excel file: masked, stamped with the exporter and
the time on its first line, and audited (``sensing.absence_export``) with its row count."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.core.audit import audit_record
from gridgov.registry.excel.writer import export_xlsx
from gridgov.sensing.selectors_access import AbsentRow, absence_list_for_actor


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    row_count: int


def _columns() -> list[tuple[str, int]]:
    return [
        (_("Name"), 10),
        (_("Sex"), 6),
        (_("Age"), 6),
        (_("Phone"), 14),
        (_("Area"), 18),
        (_("Address"), 36),
        (_("Last gate pass"), 18),
        (_("Days since"), 10),
    ]


def _rows(rows: list[AbsentRow]) -> Iterator[list[Any]]:
    never = _("never")
    for row in rows:
        person = row.person
        last = (
            timezone.localtime(row.last_pass_at).strftime("%Y-%m-%d %H:%M")
            if row.last_pass_at
            else never
        )
        yield [
            person["name"],
            person["sex_label"],
            person["age"] if person["age"] is not None else "",
            person["phone_masked"],
            person["cell_name"],
            person["address"],
            last,
            row.days_since if row.days_since is not None else "",
        ]


def absence_export(*, actor: Any, days: int, cell_code: str | None = None) -> ExportFile:
    """The actor's absence list (as on the page) as xlsx; needs ``registry.export`` too."""
    if (
        scope_for(actor, Perm.ACCESS_VIEW).is_empty
        or scope_for(actor, Perm.REGISTRY_EXPORT).is_empty
    ):
        raise PermissionDenied(_("You may not export lists."))
    rows = absence_list_for_actor(actor=actor, days=days, cell_code=cell_code)
    now = timezone.localtime(timezone.now())
    name = getattr(actor, "display_name", "") or actor.get_username()
    stamp = _("Exported by %(name)s (%(username)s) on %(time)s") % {
        "name": name,
        "username": actor.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M"),
    }
    title = _("Elders living alone without a gate pass for %(days)d days or more") % {"days": days}
    notice = _("Identity and phone numbers are masked. For official use only.")
    with transaction.atomic():
        content, count = export_xlsx(
            sheet_title=_("Absence list"),
            header_lines=[stamp, title, notice],
            columns=_columns(),
            rows=_rows(rows),
        )
        audit_record(
            actor=actor,
            action="sensing.absence_export",
            object_type="registry.person",
            object_label="absence list export",
            changes={"rows": count, "days": days, "cell": cell_code or ""},
        )
    return ExportFile(
        content=content, filename=f"absence-{now.strftime('%Y%m%d-%H%M')}.xlsx", row_count=count
    )
