"""电子走访: a grid worker at a building (reached by its QR code) records what was seen.

The visit is kept whether or not a case is opened; when asked, a case is opened from it
through the ordinary intake (channel ``visit``) and linked to the visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.cases.models import Channel, Visit
from gridgov.cases.services.attachments import Upload, attachments_store, uploads_check
from gridgov.cases.services.errors import MissingFieldError, NotAllowedError
from gridgov.cases.services.intake import case_report
from gridgov.cases.services.steps import now_or
from gridgov.core.audit import audit_record
from gridgov.registry.models import Building


@transaction.atomic
def visit_record(
    *,
    actor: Any,
    building_id: int,
    note: str,
    lat: float | None = None,
    lng: float | None = None,
    accuracy_m: float | None = None,
    uploads: Sequence[Upload] = (),
    open_case_category: str | None = None,
    now: datetime | None = None,
) -> Visit:
    now = now_or(now)
    building = Building.objects.select_related("cell", "estate").filter(pk=building_id).first()
    if building is None:
        raise MissingFieldError(_("Unknown building."), code="building")
    if not has_permission(actor, Perm.CASE_VISIT, cell_code=building.cell.code):
        raise NotAllowedError(_("You may not record visits in this area."), code="not_allowed")
    text = (note or "").strip()
    checked = uploads_check(uploads)
    if open_case_category and not text:
        raise MissingFieldError(_("Describe the matter."), code="note")
    if accuracy_m is not None and accuracy_m < 0:
        raise MissingFieldError(_("The GPS accuracy cannot be negative."), code="accuracy_m")
    case = None
    if open_case_category:
        case = case_report(
            actor=actor,
            channel=Channel.VISIT,
            category_code=open_case_category,
            description=text,
            lat=lat,
            lng=lng,
            building_id=building.pk,
            uploads=uploads,
            now=now,
        )
    visit = Visit.objects.create(
        building=building,
        cell=building.cell,
        worker=actor,
        at=now,
        lat=lat,
        lng=lng,
        accuracy_m=accuracy_m,
        note=text,
        case=case,
    )
    if case is None:
        attachments_store(checked, actor=actor, now=now, visit=visit)
    else:
        case.attachments.filter(visit__isnull=True).update(visit=visit)
    audit_record(
        actor=actor,
        action="cases.visit",
        target=visit,
        object_label=str(building.pk),
        changes={"case": case.number if case else "", "files": len(checked)},
    )
    return visit
