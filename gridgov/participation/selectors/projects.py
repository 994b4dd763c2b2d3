"""Reads of multi-stage projects: lists, one project with its stages, the programme funnel, and
the project of a resident's own doorway.

The funnel counts, for each stage of a template, the projects that got at least that far
(``stage_order``): an optional stage passed over does not break the count. The seed's Hongqiao
programme reads 1,406 → 284 → 134 → 72.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.grids.models import Cell, LevelKind
from gridgov.participation.models import (
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectTemplate,
)
from gridgov.registry.models import Building, Estate, HouseholdMember, Ownership, Unit
from gridgov.registry.selectors.accounts import person_for_account


def project_list_for_actor(
    *,
    actor: Any,
    template_code: str | None = None,
    cell_code: str | None = None,
    estate_id: int | None = None,
    stage_order: int | None = None,
) -> QuerySet[Project]:
    """The projects of the actor's area; ``stage_order`` keeps those at exactly that stage."""
    queryset = scope_for(actor, Perm.PARTICIPATION_VIEW).filter(
        Project.objects.select_related("template", "estate", "building", "unit"),
        code_field="cell__code",
    )
    if template_code:
        queryset = queryset.filter(template__code=template_code)
    if cell_code:
        queryset = queryset.filter(cell__code__startswith=cell_code)
    if estate_id:
        queryset = queryset.filter(estate_id=estate_id)
    if stage_order is not None:
        queryset = queryset.filter(stage_order=stage_order or None)
    return queryset


def _with_stages(queryset: QuerySet[Project]) -> QuerySet[Project]:
    return queryset.select_related("cell").prefetch_related(
        Prefetch(
            "stages",
            queryset=ProjectStage.objects.select_related(
                "consultation", "vote", "reached_by"
            ).prefetch_related(Prefetch("documents", queryset=ProjectDocument.objects.all())),
        )
    )


def project_for_actor(*, actor: Any, project_id: int) -> Project:
    """One project with its stages and documents; ``Project.DoesNotExist`` outside the area."""
    return _with_stages(project_list_for_actor(actor=actor)).get(pk=project_id)


def project_manage_allowed(*, actor: Any, project: Project) -> bool:
    return has_permission(actor, Perm.PROJECT_MANAGE, cell_code=project.cell.code)


def project_document_for_actor(*, actor: Any, document_id: int) -> ProjectDocument:
    """A document of a project the actor may see (staff, or a resident of its doorway)."""
    document = ProjectDocument.objects.select_related("stage__project__cell").get(pk=document_id)
    project = document.stage.project
    if has_permission(actor, Perm.PARTICIPATION_VIEW, cell_code=project.cell.code):
        return document
    if project_list_for_resident(actor=actor).filter(pk=project.pk).exists():
        return document
    raise ProjectDocument.DoesNotExist


def project_templates() -> QuerySet[ProjectTemplate]:
    return ProjectTemplate.objects.prefetch_related("stages")


@dataclass(frozen=True)
class FunnelStep:
    order: int
    code: str
    name: str
    projects: int  # projects that reached this stage or a later one
    at_stage: int  # projects whose furthest stage is this one


@dataclass(frozen=True)
class Funnel:
    template: ProjectTemplate | None
    steps: list[FunnelStep]
    total: int


def project_funnel(*, actor: Any, template_code: str, cell_code: str | None = None) -> Funnel:
    """The programme funnel of a template across the actor's area (three queries)."""
    template = ProjectTemplate.objects.filter(code=template_code).first()
    if template is None:
        return Funnel(template=None, steps=[], total=0)
    stages = list(template.stages.order_by("order"))
    counts = dict(
        project_list_for_actor(actor=actor, template_code=template_code, cell_code=cell_code)
        .order_by()
        .values("stage_order")
        .annotate(n=Count("id"))
        .values_list("stage_order", "n")
    )
    total = sum(counts.values())
    steps = [
        FunnelStep(
            order=stage.order,
            code=stage.code,
            name=stage.name,
            projects=sum(n for order, n in counts.items() if order and order >= stage.order),
            at_stage=counts.get(stage.order, 0),
        )
        for stage in stages
    ]
    return Funnel(template=template, steps=steps, total=total)


# --- residents -------------------------------------------------------------------------------


def project_list_for_resident(*, actor: Any) -> QuerySet[Project]:
    """The projects of the doorways and buildings the signed-in resident lives in or owns in."""
    person = person_for_account(actor)
    if person is None or not has_permission(actor, Perm.PARTICIPATION_TAKE_PART):
        return Project.objects.none()
    places = list(
        HouseholdMember.objects.filter(
            person=person, left_on__isnull=True, household__dwelling__isnull=False
        ).values_list("household__dwelling__building_id", "household__dwelling__unit_id")
    ) + list(
        Ownership.objects.filter(owner=person, ended_on__isnull=True).values_list(
            "dwelling__building_id", "dwelling__unit_id"
        )
    )
    buildings = {building for building, _unit in places}
    units = {unit for _building, unit in places if unit}
    return _with_stages(
        Project.objects.filter(
            Q(unit_id__in=units) | Q(unit__isnull=True, building_id__in=buildings)
        ).select_related("template", "estate", "building", "unit")
    )


# --- choices for staff pages ------------------------------------------------------------------


def project_cells_for_actor(*, actor: Any) -> list[Cell]:
    """The areas the actor may filter the programme by (down to grids), in tree order."""
    scope = scope_for(actor, Perm.PARTICIPATION_VIEW)
    if scope.is_empty:
        return []
    cells = scope.filter(
        Cell.objects.filter(is_active=True).exclude(level=LevelKind.MICRO_GRID),
        code_field="code",
    )
    return list(cells.only("id", "code", "name", "level", "depth").order_by("code")[:300])


def project_estate_choices(*, actor: Any) -> list[Estate]:
    queryset = scope_for(actor, Perm.PROJECT_MANAGE).filter(
        Estate.objects.all(), code_field="cell__code"
    )
    return list(queryset.order_by("name", "code")[:1000])


def project_doorway_choices(*, actor: Any, estate_id: int | None) -> list[tuple[str, str]]:
    """``<building>/<unit>`` and a label for each doorway of an estate without a project yet;
    a building without doorways is offered whole (``<building>/``)."""
    if estate_id is None:
        return []
    buildings = scope_for(actor, Perm.PROJECT_MANAGE).filter(
        Building.objects.filter(estate_id=estate_id), code_field="cell__code"
    )
    units = Unit.objects.filter(building__in=buildings).select_related("building")
    taken_units = set(Project.objects.filter(unit__in=units).values_list("unit_id", flat=True))
    choices = [
        (f"{unit.building_id}/{unit.pk}", f"{unit.building.label}{unit.label}")
        for unit in units.order_by("building__sort_order", "building__label", "sort_order")
        if unit.pk not in taken_units
    ]
    with_units = {unit.building_id for unit in units}
    choices += [
        (f"{building.pk}/", building.label)
        for building in buildings.order_by("sort_order", "label")
        if building.pk not in with_units
    ]
    return choices


def project_next_stages(stages: list[ProjectStage]) -> list[ProjectStage]:
    """The stages that may be reached next: the first unreached required stage after the last
    reached one, and any optional stages before it."""
    last = max((stage.order for stage in stages if stage.reached_on), default=0)
    following: list[ProjectStage] = []
    for stage in stages:
        if stage.order <= last:
            continue
        following.append(stage)
        if not stage.is_optional:
            break
    return following
