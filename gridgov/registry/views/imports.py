"""Excel import pages: upload and check (dry run), see the counts and the row-by-row errors,
download the error report in the same sheet layout, then confirm to import. The work runs as
a background task; the page polls its progress every two seconds while it runs."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.registry.excel.templates import template_filename, template_xlsx
from gridgov.registry.models import ImportJob
from gridgov.registry.selectors.summary import (
    cell_choices_for_actor,
    import_job_get_for_actor,
    import_job_list_for_actor,
    import_job_problems,
)
from gridgov.registry.services.imports import (
    import_job_commit,
    import_job_create,
    import_job_schedule,
)
from gridgov.registry.views.common import paginate, require
from gridgov.registry.views.forms import ImportUploadForm, add_service_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = (ImportJob.Status.PENDING, ImportJob.Status.VALIDATING, ImportJob.Status.IMPORTING)


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback plus the UTF-8 name, so Chinese file names survive.
    return f"attachment; filename=\"import.xlsx\"; filename*=UTF-8''{quote(filename)}"


@login_required
@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    require(request, Perm.REGISTRY_IMPORT)
    page = paginate(import_job_list_for_actor(actor=request.user), request.GET, per_page=25)
    return render(
        request,
        "registry/import_list.html",
        {"page": page, "kinds": ImportJob.Kind.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    """Upload a file: it is checked first (nothing written) and the worker sees the result."""
    require(request, Perm.REGISTRY_IMPORT)
    cells = cell_choices_for_actor(actor=request.user, permission=Perm.REGISTRY_IMPORT)
    form = ImportUploadForm(
        request.POST or None,
        request.FILES or None,
        cells=cells,
        initial={"kind": request.GET.get("kind", ImportJob.Kind.PEOPLE)},
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["upload"]
        try:
            job = import_job_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                content=upload.read(),
                original_name=upload.name,
                cell_code=form.cleaned_data["cell_code"] or None,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            import_job_schedule(job_id=job.pk)
            return redirect("registry:import_detail", pk=job.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "registry/import_new.html",
        {"form": form, "kinds": ImportJob.Kind.choices},
        status=status,
    )


def _job_context(request: HttpRequest, pk: int) -> dict[str, object]:
    job = import_job_get_for_actor(actor=request.user, job_id=pk)
    problems, more = import_job_problems(job)
    percent = min(100, round(job.processed_rows * 100 / job.total_rows)) if job.total_rows else 0
    return {
        "job": job,
        "problems": problems,
        "more_problems": more,
        "is_running": job.status in RUNNING,
        "percent": percent,
        "can_commit": job.status == ImportJob.Status.VALIDATED and job.is_dry_run,
        "good_rows": max(job.total_rows - job.error_count, 0),
    }


@login_required
@never_cache
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, Perm.REGISTRY_IMPORT)
    context = _job_context(request, pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "registry/_import_status.html", context)
    return render(request, "registry/import_detail.html", context)


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm a checked upload: all or nothing, or only the rows without errors."""
    require(request, Perm.REGISTRY_IMPORT)
    is_all_or_nothing = request.POST.get("mode", "all") != "partial"
    try:
        job = import_job_commit(actor=request.user, job_id=pk, is_all_or_nothing=is_all_or_nothing)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("registry:import_detail", pk=pk)
    import_job_schedule(job_id=job.pk)
    return redirect("registry:import_detail", pk=job.pk)


@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The error report: the uploaded columns of each bad row plus row, column and reason."""
    require(request, Perm.REGISTRY_IMPORT)
    job = import_job_get_for_actor(actor=request.user, job_id=pk)
    if not job.error_report:
        raise Http404(_("This upload has no error report."))
    response = FileResponse(job.error_report.open("rb"), content_type=XLSX)
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    response["Content-Disposition"] = _attachment(f"{stem}-错误报告.xlsx")
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    require(request, Perm.REGISTRY_IMPORT)
    if kind not in ImportJob.Kind.values:
        raise Http404(_("Unknown kind of import."))
    response = HttpResponse(template_xlsx(kind), content_type=XLSX)
    response["Content-Disposition"] = _attachment(template_filename(kind))
    return response
