"""Writes of multi-stage projects (加装电梯等): install a template, start a project on a doorway
or building, reach its stages in order, attach documents.

Stages are reached in their order: a stage can be reached only when every earlier stage is
reached or optional (an optional stage passed over stays unreached), never twice, and on a
date no earlier than the stage before and not in the future. A stage may name the consultation
or owners' vote that passed it; that decision must be closed and passed. Documents are checked
for size and type (the file's own first bytes, not only its name).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.participation.models import (
    Consultation,
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectTemplate,
    StageTemplate,
    Vote,
)
from gridgov.participation.selectors.consultations import consultation_result
from gridgov.participation.services.uploads import upload_check
from gridgov.registry.models import Building, Unit


@dataclass(frozen=True)
class StageSpec:
    code: str
    name: str
    is_optional: bool = False


ELEVATOR_TEMPLATE = "elevator"
# 意向征询 → 征询通过 → 签约 → 开工 → 竣工 → 投入使用 (the seed's Hongqiao programme).
ELEVATOR_STAGES: tuple[StageSpec, ...] = (
    StageSpec("intent", "意向征询"),
    StageSpec("consulted", "征询通过"),
    StageSpec("signed", "签约"),
    StageSpec("started", "开工"),
    StageSpec("completed", "竣工"),
    StageSpec("in_use", "投入使用"),
)


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def project_template_install(
    *, code: str, name: str, stages: tuple[StageSpec, ...], description: str = ""
) -> ProjectTemplate:
    """Create a template and its stages once; an existing template is returned unchanged."""
    with transaction.atomic():
        template, created = ProjectTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        if created:
            StageTemplate.objects.bulk_create(
                StageTemplate(
                    template=template,
                    order=order,
                    code=spec.code,
                    name=spec.name,
                    is_optional=spec.is_optional,
                )
                for order, spec in enumerate(stages, start=1)
            )
    return template


def elevator_template_install() -> ProjectTemplate:
    """The elevator programme's template (加装电梯), installed on first use."""
    return project_template_install(
        code=ELEVATOR_TEMPLATE,
        name="加装电梯",
        stages=ELEVATOR_STAGES,
        description="既有多层住宅加装电梯: 意向征询 → 征询通过 → 签约 → 开工 → 竣工 → 投入使用",
    )


def project_create(
    *,
    actor: Any,
    template_code: str,
    building_id: int,
    unit_id: int | None = None,
    title: str = "",
) -> Project:
    """Start a project on a doorway (or a whole building), its stages copied from the template.

    One project per template and doorway (or building): the database refuses a second.
    """
    if template_code == ELEVATOR_TEMPLATE:
        elevator_template_install()
    try:
        template = ProjectTemplate.objects.get(code=template_code)
    except ProjectTemplate.DoesNotExist:
        raise _refuse(_("Unknown project template."), "invalid_template") from None
    building = Building.objects.select_related("estate", "cell").get(pk=building_id)
    if not has_permission(actor, Perm.PROJECT_MANAGE, cell_code=building.cell.code):
        raise PermissionDenied
    unit = None
    if unit_id is not None:
        unit = Unit.objects.filter(pk=unit_id, building=building).first()
        if unit is None:
            raise _refuse(_("The doorway is not part of this building."), "invalid_scope")
    place = f"{building}{unit.label if unit else ''}"
    project = Project(
        template=template,
        title=(title.strip() or f"{place}{template.name}")[:120],
        estate=building.estate,
        building=building,
        unit=unit,
        cell=building.cell,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            project.save()
            ProjectStage.objects.bulk_create(
                ProjectStage(
                    project=project,
                    order=stage.order,
                    code=stage.code,
                    name=stage.name,
                    is_optional=stage.is_optional,
                )
                for stage in template.stages.all()
            )
            audit_record(
                actor=actor,
                action="participation.project_create",
                target=project,
                object_label=project.title,
                changes={"template": template.code, "building": building.pk, "unit": unit_id},
            )
    except IntegrityError:
        raise _refuse(
            _("This doorway or building already has a project of this kind."), "project_exists"
        ) from None
    return project


def _decision_checked(
    *, actor: Any, consultation_id: int | None, vote_id: int | None
) -> tuple[Consultation | None, Vote | None]:
    consultation = vote = None
    if consultation_id is not None:
        consultation = (
            Consultation.objects.select_related("cell").filter(pk=consultation_id).first()
        )
        if consultation is None or not has_permission(
            actor, Perm.PARTICIPATION_VIEW, cell_code=consultation.cell.code
        ):
            raise _refuse(_("Unknown consultation."), "invalid_decision")
        if (
            consultation.status != Consultation.Status.CLOSED
            or not consultation_result(consultation).overall.passed
        ):
            raise _refuse(
                _("Only a closed consultation that passed can pass a stage."), "invalid_decision"
            )
    if vote_id is not None:
        vote = Vote.objects.select_related("cell").filter(pk=vote_id).first()
        if vote is None or not has_permission(
            actor, Perm.PARTICIPATION_VIEW, cell_code=vote.cell.code
        ):
            raise _refuse(_("Unknown vote."), "invalid_decision")
        if vote.status != "closed" or not (vote.result or {}).get("passed"):
            raise _refuse(_("Only a closed vote that passed can pass a stage."), "invalid_decision")
    return consultation, vote


def project_stage_reach(
    *,
    actor: Any,
    project_id: int,
    stage_code: str,
    reached_on: datetime.date,
    note: str = "",
    consultation_id: int | None = None,
    vote_id: int | None = None,
) -> ProjectStage:
    """Record that a project reached a stage on a date (audited).

    Refused: a stage reached already, an earlier required stage not reached (skipping), a date
    before the previous stage's or in the future, a decision that did not pass.
    """
    with transaction.atomic():
        project = Project.objects.select_for_update().select_related("cell").get(pk=project_id)
        if not has_permission(actor, Perm.PROJECT_MANAGE, cell_code=project.cell.code):
            raise PermissionDenied
        stages = list(project.stages.order_by("order"))
        stage = next((s for s in stages if s.code == stage_code), None)
        if stage is None:
            raise _refuse(_("This project has no such stage."), "invalid_stage")
        if stage.reached_on is not None:
            raise _refuse(_("This stage was reached already."), "stage_reached")
        earlier = [s for s in stages if s.order < stage.order]
        missing = [s for s in earlier if s.reached_on is None and not s.is_optional]
        if missing:
            raise _refuse(
                _("Stages go in order: “%(stage)s” must be reached first.")
                % {"stage": missing[0].name},
                "stage_skipped",
            )
        if any(s.order > stage.order and s.reached_on is not None for s in stages):
            raise _refuse(_("A later stage was reached already."), "stage_skipped")
        if reached_on > timezone.localdate():
            raise _refuse(_("A stage cannot be reached in the future."), "invalid_date")
        previous = max((s.reached_on for s in earlier if s.reached_on), default=None)
        if previous is not None and reached_on < previous:
            raise _refuse(
                _("The date is before the previous stage's (%(date)s).")
                % {"date": previous.isoformat()},
                "invalid_date",
            )
        consultation, vote = _decision_checked(
            actor=actor, consultation_id=consultation_id, vote_id=vote_id
        )
        stage.reached_on = reached_on
        stage.reached_by = actor
        stage.note = note.strip()[:300]
        stage.consultation = consultation
        stage.vote = vote
        stage.save(update_fields=["reached_on", "reached_by", "note", "consultation", "vote"])
        last = stages[-1]
        project.stage_order = stage.order
        project.status = (
            Project.Status.COMPLETED if stage.order == last.order else Project.Status.ACTIVE
        )
        project.save(update_fields=["stage_order", "status"])
        audit_record(
            actor=actor,
            action="participation.project_stage_reach",
            target=project,
            object_label=project.title,
            changes={
                "stage": stage.code,
                "reached_on": reached_on.isoformat(),
                "consultation": consultation_id,
                "vote": vote_id,
            },
        )
    return stage


def project_document_add(
    *, actor: Any, project_id: int, stage_code: str, upload: UploadedFile
) -> ProjectDocument:
    """Attach a document to a stage: a PDF scan or a photo, recognised by its content, within
    ``GRIDGOV_UPLOAD_MAX_BYTES`` (``services.uploads``)."""
    project = Project.objects.select_related("cell").get(pk=project_id)
    if not has_permission(actor, Perm.PROJECT_MANAGE, cell_code=project.cell.code):
        raise PermissionDenied
    stage = project.stages.filter(code=stage_code).first()
    if stage is None:
        raise _refuse(_("This project has no such stage."), "invalid_stage")
    checked = upload_check(upload, accept_pdf=True)
    size = checked.size
    content_type = checked.content_type
    original = (upload.name or "document").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        document = ProjectDocument(
            stage=stage,
            original_name=original,
            content_type=content_type,
            size=size,
            uploaded_by=actor,
        )
        document.file.save(
            f"{stage.code}.{original.rsplit('.', 1)[-1].lower()}", upload, save=False
        )
        document.save()
        audit_record(
            actor=actor,
            action="participation.project_document_add",
            target=project,
            object_label=project.title,
            changes={"stage": stage.code, "document": document.pk, "size": size},
        )
    return document
