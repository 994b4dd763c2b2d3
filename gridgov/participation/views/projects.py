"""The project pages (加装电梯等): the programme funnel and list, one project with its stages and
documents, starting a project; residents see their own doorway's project."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.participation.models import Project, ProjectDocument
from gridgov.participation.selectors import projects as selectors
from gridgov.participation.services import projects as services
from gridgov.participation.services.uploads import upload_limit_megabytes

PAGE_SIZE = 50
CODE_MAX = 32


def _refusal_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _require_view(request: HttpRequest) -> None:
    if not has_permission(request.user, Perm.PARTICIPATION_VIEW):
        raise PermissionDenied


def funnel_chart(funnel: selectors.Funnel) -> dict[str, Any]:
    return {
        "stages": [step.name for step in funnel.steps],
        "projects": [step.projects for step in funnel.steps],
    }


@login_required
@require_GET
def programme(request: HttpRequest) -> HttpResponse:
    """The town-wide programme: the funnel chart, filterable by area, and the projects."""
    _require_view(request)
    template_code = request.GET.get("template", "").strip()[:40] or services.ELEVATOR_TEMPLATE
    cells = selectors.project_cells_for_actor(actor=request.user)
    cell = request.GET.get("cell", "").strip()[:CODE_MAX]
    cell = cell if any(c.code == cell for c in cells) else ""
    raw_stage = request.GET.get("stage", "")
    stage = int(raw_stage) if raw_stage.isdigit() else None
    funnel = selectors.project_funnel(
        actor=request.user, template_code=template_code, cell_code=cell or None
    )
    projects = selectors.project_list_for_actor(
        actor=request.user, template_code=template_code, cell_code=cell or None, stage_order=stage
    )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    stage_names = {step.order: step.name for step in funnel.steps}
    context = {
        "funnel": funnel,
        "chart": funnel_chart(funnel),
        "cells": cells,
        "cell": cell,
        "stage": stage,
        "template_code": template_code,
        "templates": selectors.project_templates(),
        "page": page,
        "stage_names": stage_names,
        "can_create": has_permission(request.user, Perm.PROJECT_MANAGE),
    }
    return render(request, "participation/projects/programme.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    """Start a project on a doorway: choose the estate, then the doorway."""
    if not has_permission(request.user, Perm.PROJECT_MANAGE):
        raise PermissionDenied
    estates = selectors.project_estate_choices(actor=request.user)
    raw = request.GET.get("estate", "")
    estate_id = int(raw) if raw.isdigit() and any(e.pk == int(raw) for e in estates) else None
    doorways = selectors.project_doorway_choices(actor=request.user, estate_id=estate_id)
    error = ""
    if request.method == "POST":
        building_id, _sep, unit_id = request.POST.get("doorway", "").partition("/")
        try:
            if not building_id.isdigit():
                raise ValidationError(_("Choose a doorway."), code="invalid_scope")
            project = services.project_create(
                actor=request.user,
                template_code=request.POST.get("template", "") or services.ELEVATOR_TEMPLATE,
                building_id=int(building_id),
                unit_id=int(unit_id) if unit_id.isdigit() else None,
            )
        except ValidationError as refusal:
            error = _refusal_text(refusal)
        else:
            messages.success(request, _("The project is started."))
            return redirect("participation:project_detail", project.pk)
    context = {
        "estates": estates,
        "estate_id": estate_id,
        "doorways": doorways,
        "templates": selectors.project_templates(),
        "error": error,
    }
    return render(request, "participation/projects/create.html", context)


class StageForm(forms.Form):
    stage = forms.CharField(max_length=40)
    reached_on = forms.DateField(
        label=gettext_lazy("Reached on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)
    consultation = forms.IntegerField(
        label=gettext_lazy("Consultation that passed it (number)"), required=False, min_value=1
    )
    vote = forms.IntegerField(
        label=gettext_lazy("Vote that passed it (number)"), required=False, min_value=1
    )


def _project(request: HttpRequest, project_id: int) -> Project:
    try:
        return selectors.project_for_actor(actor=request.user, project_id=project_id)
    except Project.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    _require_view(request)
    project = _project(request, project_id)
    stages = list(project.stages.all())
    next_stages = selectors.project_next_stages(stages)
    context = {
        "project": project,
        "stages": stages,
        "next_stages": next_stages,
        "can_manage": selectors.project_manage_allowed(actor=request.user, project=project),
        "form": StageForm(initial={"reached_on": timezone.localdate()}),
        "max_mb": upload_limit_megabytes(),
    }
    return render(request, "participation/projects/detail.html", context)


@login_required
@require_POST
def project_stage_reach(request: HttpRequest, project_id: int) -> HttpResponse:
    _require_view(request)
    project = _project(request, project_id)
    form = StageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the stage and a date as YYYY-MM-DD."))
        return redirect("participation:project_detail", project.pk)
    data = form.cleaned_data
    try:
        services.project_stage_reach(
            actor=request.user,
            project_id=project.pk,
            stage_code=data["stage"],
            reached_on=data["reached_on"],
            note=data.get("note") or "",
            consultation_id=data.get("consultation"),
            vote_id=data.get("vote"),
        )
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The stage is recorded."))
    return redirect("participation:project_detail", project.pk)


@login_required
@require_POST
def project_document_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    _require_view(request)
    project = _project(request, project_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("participation:project_detail", project.pk)
    try:
        services.project_document_add(
            actor=request.user,
            project_id=project.pk,
            stage_code=request.POST.get("stage", ""),
            upload=upload,
        )
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The document is attached."))
    return redirect("participation:project_detail", project.pk)


@login_required
@require_GET
def project_document(request: HttpRequest, document_id: int) -> FileResponse:
    try:
        document = selectors.project_document_for_actor(actor=request.user, document_id=document_id)
    except ProjectDocument.DoesNotExist:
        raise Http404 from None
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.original_name,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_projects(request: HttpRequest) -> HttpResponse:
    """A resident's view: the project of their doorway (or building), stage by stage."""
    if not has_permission(request.user, Perm.PARTICIPATION_TAKE_PART):
        raise PermissionDenied
    projects = list(selectors.project_list_for_resident(actor=request.user)[:10])
    return render(request, "participation/projects/my_projects.html", {"projects": projects})
