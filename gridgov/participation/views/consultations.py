"""The consultation pages (征询): staff list, open, follow and record door-to-door answers;
residents answer for their household from a phone. Pages parse, call one service or selector,
and render."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.participation.models import Consultation
from gridgov.participation.selectors import consultations as selectors
from gridgov.participation.services import consultations as services

PAGE_SIZE = 30
RECORD_ROWS = 100


def _refusal_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _staff_consultation(request: HttpRequest, consultation_id: int) -> Consultation:
    try:
        return selectors.consultation_for_actor(actor=request.user, consultation_id=consultation_id)
    except Consultation.DoesNotExist:
        raise Http404 from None


def result_chart(result: selectors.ConsultationResult) -> dict[str, Any]:
    """The per-estate bars (share in favour, %) and the rule line, for the page's ECharts."""
    return {
        "estates": [row.estate_name for row in result.estates],
        "percent": [row.tally.percent for row in result.estates],
        "passed": [row.tally.passed for row in result.estates],
        "rule": selectors.percent(result.rule),
    }


@login_required
@require_GET
def consultation_list(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, Perm.PARTICIPATION_VIEW):
        raise PermissionDenied
    status = request.GET.get("status", "")
    status = status if status in Consultation.Status.values else ""
    rows = selectors.consultation_list_for_actor(actor=request.user, status=status or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": Consultation.Status.choices,
        "can_create": has_permission(request.user, Perm.CONSULTATION_MANAGE),
        "now": timezone.now(),
    }
    return render(request, "participation/consultations/list.html", context)


class ConsultationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    question = forms.CharField(
        label=gettext_lazy("Question"), widget=forms.Textarea(attrs={"rows": 3})
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Who answers"), choices=Consultation.Audience.choices
    )
    basis = forms.ChoiceField(
        label=gettext_lazy("Share counted of"), choices=Consultation.Basis.choices
    )
    pass_numerator = forms.IntegerField(
        label=gettext_lazy("In favour at least"), min_value=1, initial=2
    )
    pass_denominator = forms.IntegerField(label=gettext_lazy("out of"), min_value=1, initial=3)
    closes_on = forms.DateField(
        label=gettext_lazy("Closes on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    estates = forms.MultipleChoiceField(
        label=gettext_lazy("Estates"), widget=forms.CheckboxSelectMultiple, required=False
    )
    place = forms.ChoiceField(label=gettext_lazy("Building or doorway"), required=False)

    def __init__(
        self, *args: Any, estates: list[Any], places: list[tuple[str, str]], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        estate_field = cast(forms.ChoiceField, self.fields["estates"])
        estate_field.choices = [(str(e.pk), e.name) for e in estates]
        place_field = cast(forms.ChoiceField, self.fields["place"])
        place_field.choices = [("", _("The whole estate")), *places]

    def clean_closes_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["closes_on"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("The closing day cannot be in the past."))
        return value


def _places(form: ConsultationForm, estate_id: int | None) -> list[services.Place]:
    data = form.cleaned_data
    place = data.get("place") or ""
    if estate_id is not None:
        kind, _sep, raw = place.partition(":")
        if kind == "b":
            return [services.Place(estate_id, int(raw))]
        if kind == "u":
            building, _sep, unit = raw.partition("/")
            return [services.Place(estate_id, int(building), int(unit))]
        return [services.Place(estate_id)]
    return [services.Place(int(pk)) for pk in data.get("estates") or []]


@login_required
@require_http_methods(["GET", "POST"])
def consultation_create(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, Perm.CONSULTATION_MANAGE):
        raise PermissionDenied
    estates = selectors.consultation_estate_choices(actor=request.user)
    estate_id = _chosen_estate(request, estates)
    places = selectors.consultation_place_choices(actor=request.user, estate_id=estate_id)
    form = ConsultationForm(request.POST or None, estates=estates, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        closes = datetime.datetime.combine(data["closes_on"], datetime.time(23, 59, 59))
        try:
            consultation = services.consultation_create(
                actor=request.user,
                title=data["title"],
                question=data["question"],
                places=_places(form, estate_id),
                audience=data["audience"],
                basis=data["basis"],
                pass_numerator=data["pass_numerator"],
                pass_denominator=data["pass_denominator"],
                closes_at=timezone.make_aware(closes),
            )
        except ValidationError as error:
            form.add_error(None, _refusal_text(error))
        else:
            messages.success(request, _("The consultation is open."))
            return redirect("participation:consultation_detail", consultation.pk)
    context = {"form": form, "estates": estates, "estate_id": estate_id}
    return render(request, "participation/consultations/create.html", context)


def _chosen_estate(request: HttpRequest, estates: list[Any]) -> int | None:
    raw = request.GET.get("estate", "")
    if raw.isdigit() and any(e.pk == int(raw) for e in estates):
        return int(raw)
    return None


@login_required
@require_GET
def consultation_detail(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _staff_consultation(request, consultation_id)
    result = selectors.consultation_result(consultation)
    context = {
        "consultation": consultation,
        "result": result,
        "chart": result_chart(result),
        "is_open": selectors.consultation_is_open(consultation),
        "can_manage": selectors.consultation_manage_allowed(
            actor=request.user, consultation=consultation
        ),
        "scopes": consultation.scopes.select_related("estate", "building", "unit"),
        "now": timezone.now(),
    }
    return render(request, "participation/consultations/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def consultation_record(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """Door-to-door answers (上门征询): the households not yet answered, a button per answer."""
    consultation = _staff_consultation(request, consultation_id)
    if not selectors.consultation_manage_allowed(actor=request.user, consultation=consultation):
        raise PermissionDenied
    if request.method == "POST":
        unit = request.POST.get("unit", "")
        choice = request.POST.get("choice", "")
        identity = int(unit) if unit.isdigit() else None
        try:
            services.consultation_answer_record(
                actor=request.user,
                consultation_id=consultation.pk,
                choice=choice,
                household_id=None if consultation.audience == "owners" else identity,
                owner_id=identity if consultation.audience == "owners" else None,
            )
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
        else:
            messages.success(request, _("The answer is recorded."))
        return redirect("participation:consultation_record", consultation.pk)
    query = request.GET.get("q", "").strip()[:50]
    rows = selectors.consultation_unanswered_rows(
        actor=request.user, consultation=consultation, query=query, limit=RECORD_ROWS
    )
    context = {
        "consultation": consultation,
        "rows": rows,
        "query": query,
        "limit": RECORD_ROWS,
        "is_open": selectors.consultation_is_open(consultation),
    }
    return render(request, "participation/consultations/record.html", context)


@login_required
@require_POST
def consultation_remind(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _staff_consultation(request, consultation_id)
    try:
        sent = services.consultation_remind(actor=request.user, consultation_id=consultation.pk)
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
    else:
        if sent:
            messages.success(request, _("%(count)d reminders sent.") % {"count": sent})
        else:
            messages.info(request, _("Reminders were sent today already; try again tomorrow."))
    return redirect("participation:consultation_detail", consultation.pk)


@login_required
@require_POST
def consultation_close(request: HttpRequest, consultation_id: int) -> HttpResponse:
    consultation = _staff_consultation(request, consultation_id)
    try:
        services.consultation_close(actor=request.user, consultation_id=consultation.pk)
    except ValidationError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The consultation is closed."))
    return redirect("participation:consultation_detail", consultation.pk)


# --- residents -------------------------------------------------------------------------------


def _require_take_part(request: HttpRequest) -> None:
    if not has_permission(request.user, Perm.PARTICIPATION_TAKE_PART):
        raise PermissionDenied


@login_required
@require_GET
def my_consultations(request: HttpRequest) -> HttpResponse:
    _require_take_part(request)
    rows = selectors.consultation_list_for_resident(actor=request.user)[:50]
    context = {"rows": rows, "now": timezone.now()}
    return render(request, "participation/consultations/my_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def my_consultation(request: HttpRequest, consultation_id: int) -> HttpResponse:
    """A resident's answer page, phone first: the question, two big buttons, their answer."""
    _require_take_part(request)
    try:
        consultation = selectors.consultation_for_resident(
            actor=request.user, consultation_id=consultation_id
        )
    except Consultation.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.consultation_answer(
                actor=request.user,
                consultation_id=consultation.pk,
                choice=request.POST.get("choice", ""),
            )
        except ValidationError as error:
            messages.error(request, _refusal_text(error))
        else:
            messages.success(request, _("Thank you, your answer is recorded."))
        return redirect("participation:my_consultation", consultation.pk)
    respondent = selectors.respondent_for_resident(actor=request.user, consultation=consultation)
    answer = (
        selectors.answer_for_respondent(consultation=consultation, respondent=respondent)
        if respondent is not None
        else None
    )
    result = None
    if consultation.status == Consultation.Status.CLOSED:
        result = selectors.consultation_result(consultation)
    context = {
        "consultation": consultation,
        "answer": answer,
        "is_asked": respondent is not None,
        "is_open": selectors.consultation_is_open(consultation),
        "result": result,
        "now": timezone.now(),
    }
    return render(request, "participation/consultations/my_detail.html", context)
