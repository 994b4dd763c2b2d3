"""The case page: status, deadlines, map, attachments, timeline, and a form for each action
the user may take now (``allowed_actions`` decides; the services enforce)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.roles import Perm
from gridgov.cases import forms as case_forms
from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent, WhistleSummons
from gridgov.cases.selectors import (
    attachment_get_for_actor,
    case_get_for_actor,
    case_id_for_number,
    case_page_sections,
    case_timeline,
    choices,
    duplicate_candidates,
)
from gridgov.cases.services.errors import CaseNotFoundError
from gridgov.cases.views.common import STATUS_TONES, require, uploads_from


def _dispatch_kwargs(actor: Any, case: Case) -> dict[str, Any]:
    return {
        "departments": choices.department_choices(),
        "assignees": choices.assignee_choices(actor=actor, case=case),
    }


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _merge_target(actor: Any, number: str) -> int:
    try:
        return case_id_for_number(actor=actor, number=number)
    except CaseNotFoundError:
        raise ValidationError({"into_case": _("No case has this number.")}) from None


@dataclass(frozen=True)
class Action:
    label: Promise
    icon: str
    form: type[forms.Form]
    call: Callable[[Any, Case, dict[str, Any], HttpRequest], Any]
    tone: str = "outline-primary"
    form_kwargs: Callable[[Any, Case], dict[str, Any]] | None = None
    has_files: bool = False


def _v(data: dict[str, Any]) -> int | None:
    return data.get("expected_version")


ACTIONS: dict[str, Action] = {
    "accept": Action(
        gettext_lazy("Accept"),
        "check2",
        case_forms.NoteForm,
        lambda a, c, d, r: services.case_accept(
            actor=a, case_id=c.pk, expected_version=_v(d), note=d.get("note", "")
        ),
        tone="primary",
    ),
    "grab": Action(
        gettext_lazy("Take this case"),
        "hand-index",
        case_forms.ActionForm,
        lambda a, c, d, r: services.case_grab(actor=a, case_id=c.pk, expected_version=_v(d)),
        tone="primary",
    ),
    "dispatch": Action(
        gettext_lazy("Dispatch"),
        "send",
        case_forms.DispatchForm,
        lambda a, c, d, r: services.case_dispatch(
            actor=a,
            case_id=c.pk,
            department_id=_int(d.get("department")),
            assignee_id=_int(d.get("assignee")),
            expected_version=_v(d),
            note=d.get("note", ""),
        ),
        form_kwargs=_dispatch_kwargs,
    ),
    "start": Action(
        gettext_lazy("Start work"),
        "play-fill",
        case_forms.NoteForm,
        lambda a, c, d, r: services.case_start(
            actor=a, case_id=c.pk, expected_version=_v(d), note=d.get("note", "")
        ),
        tone="primary",
    ),
    "resolve": Action(
        gettext_lazy("Resolve"),
        "check2-circle",
        case_forms.ResolveForm,
        lambda a, c, d, r: services.case_resolve(
            actor=a,
            case_id=c.pk,
            note=d["note"],
            uploads=uploads_from(r, "photos"),
            expected_version=_v(d),
        ),
        tone="success",
        has_files=True,
    ),
    "return": Action(
        gettext_lazy("Return (wrong department)"),
        "arrow-return-left",
        case_forms.ReasonForm,
        lambda a, c, d, r: services.case_return(
            actor=a, case_id=c.pk, reason=d["reason"], expected_version=_v(d)
        ),
        tone="outline-danger",
    ),
    "suspend": Action(
        gettext_lazy("Suspend"),
        "pause-circle",
        case_forms.SuspendForm,
        lambda a, c, d, r: services.case_suspend(
            actor=a, case_id=c.pk, reason=d["reason"], until=d["until"], expected_version=_v(d)
        ),
        tone="outline-secondary",
    ),
    "resume": Action(
        gettext_lazy("Resume"),
        "play-circle",
        case_forms.NoteForm,
        lambda a, c, d, r: services.case_resume(
            actor=a, case_id=c.pk, expected_version=_v(d), note=d.get("note", "")
        ),
    ),
    "escalate": Action(
        gettext_lazy("Escalate to the level above"),
        "arrow-up-circle",
        case_forms.ReasonForm,
        lambda a, c, d, r: services.case_escalate(
            actor=a, case_id=c.pk, reason=d["reason"], expected_version=_v(d)
        ),
        tone="outline-warning",
    ),
    "whistle": Action(
        gettext_lazy("Blow the whistle"),
        "megaphone",
        case_forms.WhistleForm,
        lambda a, c, d, r: services.case_whistle(
            actor=a,
            case_id=c.pk,
            department_ids=[int(x) for x in d["departments"]],
            lead_department_id=int(d["lead_department"]),
            reason=d["reason"],
            report_within_minutes=d["report_within_minutes"],
        ),
        tone="outline-danger",
        form_kwargs=lambda _a, _c: {"departments": choices.department_choices()},
    ),
    "squad": Action(
        gettext_lazy("Add to the joint squad"),
        "people",
        case_forms.SquadForm,
        lambda a, c, d, r: services.squad_add_member(
            actor=a,
            case_id=c.pk,
            name=d["name"],
            organization_id=_int(d.get("organization")),
            role=d.get("role", ""),
        ),
        form_kwargs=lambda _a, _c: {"organizations": choices.organization_choices()},
    ),
    "merge": Action(
        gettext_lazy("Merge as duplicate"),
        "intersect",
        case_forms.MergeForm,
        lambda a, c, d, r: services.case_merge(
            actor=a,
            case_id=c.pk,
            into_case_id=_merge_target(a, d["into_case"]),
            expected_version=_v(d),
            note=d.get("note", ""),
        ),
        tone="outline-secondary",
    ),
    "reopen": Action(
        gettext_lazy("Reopen"),
        "arrow-counterclockwise",
        case_forms.ReasonForm,
        lambda a, c, d, r: services.case_reopen(
            actor=a, case_id=c.pk, reason=d["reason"], expected_version=_v(d)
        ),
        tone="outline-danger",
    ),
    "close": Action(
        gettext_lazy("Close"),
        "lock",
        case_forms.NoteForm,
        lambda a, c, d, r: services.case_close(
            actor=a, case_id=c.pk, note=d.get("note", ""), expected_version=_v(d)
        ),
        tone="outline-secondary",
    ),
    "rate": Action(
        gettext_lazy("Rate the result"),
        "star",
        case_forms.RateForm,
        lambda a, c, d, r: services.case_rate(
            actor=a,
            case_id=c.pk,
            rating=d["rating"],
            comment=d.get("comment", ""),
            reopen=bool(d.get("reopen")),
        ),
        tone="success",
    ),
    "callback": Action(
        gettext_lazy("Record the callback"),
        "telephone",
        case_forms.CallbackForm,
        lambda a, c, d, r: services.case_rate_by_callback(
            actor=a,
            case_id=c.pk,
            rating=d["rating"],
            comment=d.get("comment", ""),
            reopen=bool(d.get("reopen")),
        ),
        tone="success",
    ),
    "comment": Action(
        gettext_lazy("Add a note"),
        "chat-left-text",
        case_forms.CommentForm,
        lambda a, c, d, r: services.case_comment(
            actor=a, case_id=c.pk, note=d["note"], uploads=uploads_from(r, "files")
        ),
        has_files=True,
    ),
}


def _form_for(name: str, actor: Any, case: Case, data: Any = None) -> forms.Form:
    action = ACTIONS[name]
    kwargs = action.form_kwargs(actor, case) if action.form_kwargs else {}
    form = action.form(data, initial={"expected_version": case.version}, prefix=name, **kwargs)
    return form


def _allowed(actor: Any, case: Case) -> list[str]:
    return [name for name in services.allowed_actions(actor=actor, case=case) if name in ACTIONS]


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    allowed = _allowed(request.user, case)
    action_forms = []
    for name in allowed:
        form = failed[1] if failed and failed[0] == name else _form_for(name, request.user, case)
        action_forms.append(
            {
                "name": name,
                "action": ACTIONS[name],
                "form": form,
                "open": bool(failed and failed[0] == name),
            }
        )
    duplicates = (
        list(duplicate_candidates(actor=request.user, case=case)[:10]) if "merge" in allowed else []
    )
    now = timezone.now()
    timeline = case_timeline(actor=request.user, case=case)
    context = {
        "case": case,
        "tone": STATUS_TONES.get(case.status, "secondary"),
        "tones": STATUS_TONES,
        "timeline": timeline,
        "callback_event": _last_callback(timeline) if case.rating is not None else None,
        "attachments": list(case.attachments.all()),
        "whistles": list(
            case.whistles.prefetch_related("summonses__department").select_related(
                "lead_department"
            )
        ),
        "squad": list(case.squad.select_related("organization")),
        "sections": case_page_sections(actor=request.user, case=case),
        "duplicates": duplicates,
        "action_forms": [
            row for row in action_forms if row["name"] not in ("comment", "rate", "callback")
        ],
        "comment_form": next((row for row in action_forms if row["name"] == "comment"), None),
        "rate_form": next((row for row in action_forms if row["name"] == "rate"), None),
        "callback_form": next((row for row in action_forms if row["name"] == "callback"), None),
        "summonses": choices.pending_summonses(actor=request.user, case=case),
        "accept_late": bool(
            case.accept_due_at and not case.accepted_at and case.accept_due_at < now
        ),
        "resolve_late": bool(
            case.resolve_due_at
            and not case.resolved_at
            and case.resolve_due_at < now
            and case.is_open
        ),
        "reporter_phone_masked": (
            f"{case.reporter_phone_prefix}****{case.reporter_phone_last4}"
            if case.reporter_phone_last4
            else ""
        ),
        "visit": getattr(case, "visit", None) if hasattr(case, "visit") else None,
    }
    return render(request, "cases/case_detail.html", context, status=status)


def _last_callback(timeline: list[CaseEvent]) -> CaseEvent | None:
    """The timeline entry of the callback (回访) that gave the case its rating, if one did."""
    rated = [event for event in timeline if event.action == CaseEvent.Action.RATED]
    return rated[-1] if rated and rated[-1].data.get("callback") else None


def _case_or_404(request: HttpRequest, pk: int) -> Case:
    require(request, Perm.CASE_VIEW, Perm.CASE_REPORT)
    return case_get_for_actor(actor=request.user, case_id=pk)


@login_required
@never_cache
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, _case_or_404(request, pk))


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One action on a case; refused (403) when ``allowed_actions`` does not offer it."""
    if action not in ACTIONS:
        raise Http404
    case = _case_or_404(request, pk)
    if action not in _allowed(request.user, case):
        raise PermissionDenied
    form = _form_for(action, request.user, case, request.POST)
    if form.is_valid():
        try:
            ACTIONS[action].call(request.user, case, form.cleaned_data, request)
        except services.ConcurrentChangeError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("cases:case_detail", pk=case.pk)
        except ValidationError as error:
            case_forms.add_service_errors(form, error)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTIONS[action].label})
            return redirect("cases:case_detail", pk=case.pk)
    case = case_get_for_actor(actor=request.user, case_id=pk)
    return _render_case(request, case, failed=(action, form), status=400)


@login_required
@require_POST
def summons_report_in(request: HttpRequest, pk: int, summons_id: int) -> HttpResponse:
    """报到: a summoned department reports in on a whistled case."""
    case = _case_or_404(request, pk)
    summons = get_object_or_404(WhistleSummons, pk=summons_id, whistle__case=case)
    try:
        services.whistle_report_in(
            actor=request.user, summons_id=summons.pk, note=request.POST.get("note", "")[:500]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Reported in."))
    return redirect("cases:case_detail", pk=case.pk)


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A case's or a visit's file, only for someone who may see the case or the visit."""
    require(request, Perm.CASE_VIEW, Perm.CASE_REPORT, Perm.CASE_VISIT)
    item = attachment_get_for_actor(actor=request.user, attachment_id=pk)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Cache-Control"] = "private, max-age=600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
