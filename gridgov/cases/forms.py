"""Forms of the case pages: they parse and label what people type; the services decide.

A service's ``ValidationError`` is put back on the form with ``add_service_errors`` so each
reason shows next to its field, in Chinese.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridgov.cases.models import Category
from gridgov.registry.views.forms import add_service_errors

__all__ = [
    "ActionForm",
    "CallbackForm",
    "DispatchForm",
    "HotlineForm",
    "MergeForm",
    "NoteForm",
    "RateForm",
    "ReasonForm",
    "ReportForm",
    "SquadForm",
    "SuspendForm",
    "VisitForm",
    "WhistleForm",
    "add_service_errors",
    "category_choices",
]

PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "off"}


def style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            widget.attrs["class"] = f"form-select {widget.attrs.get('class', '')}".strip()
        elif isinstance(widget, forms.RadioSelect):
            continue
        else:
            widget.attrs["class"] = f"form-control {widget.attrs.get('class', '')}".strip()


def _choice_field(form: Any, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def category_choices(categories: Iterable[Category] | None = None) -> list[Any]:
    """Leaf categories grouped under their top-level category (a ``<select>`` with optgroups)."""
    if categories is None:
        from gridgov.cases.services import categories_filable

        categories = categories_filable()
    groups: dict[Any, list[tuple[str, str]]] = {}
    order: list[Any] = []
    for row in categories:
        group: Category = row.parent if row.parent is not None else row
        if group.pk not in groups:
            groups[group.pk] = []
            order.append(group)
        groups[group.pk].append((row.code, row.name))
    order.sort(key=lambda g: (g.sort_order, g.code))
    return [("", _("Choose what it is about")), *[(g.name, groups[g.pk]) for g in order]]


class _CategoryMixin:
    fields: dict[str, forms.Field]

    def _set_categories(self) -> None:
        _choice_field(self, "category").choices = category_choices()


class ReportForm(_CategoryMixin, forms.Form):
    """A resident's report: what, where (map click, own position or a building), photos."""

    category = forms.ChoiceField(label=_("What is it about"), choices=())
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("What, where exactly, since when")}
        ),
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 飞碟苑12号楼东侧")}),
    )
    reporter_phone = forms.CharField(
        label=_("Callback number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs=PHONE_ATTRS),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    building_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_categories()
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
        style(self)


class HotlineForm(_CategoryMixin, forms.Form):
    """The hotline operator's form (12345/365), filled in while talking."""

    reporter_name = forms.CharField(label=_("Caller's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(
        label=_("Callback number"), max_length=20, widget=forms.TextInput(attrs=PHONE_ATTRS)
    )
    category = forms.ChoiceField(label=_("Category"), choices=())
    address = forms.CharField(
        label=pgettext_lazy("place", "Address"), max_length=300, required=False
    )
    description = forms.CharField(
        label=_("The caller's own words"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    title = forms.CharField(label=_("Short title"), max_length=200, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    building_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    submission_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_categories()
        if not self.is_bound:
            self.initial.setdefault("submission_key", uuid.uuid4().hex)
        style(self)


class VisitForm(forms.Form):
    """电子走访 at one building: what was seen, where the worker stood, and maybe a case."""

    note = forms.CharField(
        label=_("What was seen"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    open_case_category = forms.ChoiceField(
        label=_("Open a case"),
        required=False,
        choices=(),
        help_text=_("Leave empty to keep only the visit record."),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    accuracy_m = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = category_choices()
        _choice_field(self, "open_case_category").choices = [
            ("", _("No case — visit record only")),
            *choices[1:],
        ]
        style(self)


class ActionForm(forms.Form):
    """Every action form carries the version the page showed (two handlers: one wins)."""

    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResolveForm(ActionForm):
    note = forms.CharField(
        label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CommentForm(ActionForm):
    note = forms.CharField(
        label=_("Note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SuspendForm(ReasonForm):
    until = forms.DateTimeField(
        label=_("Suspended until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class DispatchForm(ActionForm):
    department = forms.ChoiceField(label=_("Department"), required=False, choices=())
    assignee = forms.ChoiceField(label=_("Handler"), required=False, choices=())
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)

    def __init__(
        self,
        *args: Any,
        departments: Iterable[Any] = (),
        assignees: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "department").choices = [
            ("", "—"),
            *[(str(d.pk), d.name) for d in departments],
        ]
        _choice_field(self, "assignee").choices = [
            ("", "—"),
            *[(str(u.pk), str(u) or u.get_username()) for u in assignees],
        ]


class MergeForm(ActionForm):
    into_case = forms.CharField(
        label=_("Duplicate of case number"),
        max_length=20,
        help_text=_("The case this one repeats."),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class WhistleForm(ActionForm):
    departments = forms.MultipleChoiceField(
        label=_("Departments summoned"), choices=(), widget=forms.SelectMultiple(attrs={"size": 5})
    )
    lead_department = forms.ChoiceField(label=_("Lead department"), choices=())
    reason = forms.CharField(
        label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    report_within_minutes = forms.IntegerField(
        label=_("Report in within (minutes)"), min_value=5, max_value=7 * 24 * 60, initial=30
    )

    def __init__(self, *args: Any, departments: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(str(d.pk), d.name) for d in departments]
        _choice_field(self, "departments").choices = choices
        _choice_field(self, "lead_department").choices = [("", "—"), *choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead_department")
        if lead and lead not in (data.get("departments") or []):
            self.add_error(
                "lead_department", _("The lead department must be one of those summoned.")
            )
        return data


class SquadForm(ActionForm):
    name = forms.CharField(label=_("Member's name"), max_length=64)
    organization = forms.ChoiceField(label=_("Organisation"), required=False, choices=())
    role = forms.CharField(label=_("Role in the squad"), max_length=64, required=False)

    def __init__(self, *args: Any, organizations: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "organization").choices = [
            ("", "—"),
            *[(str(o.pk), o.name) for o in organizations],
        ]


class RateForm(ActionForm):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you"),
        coerce=int,
        choices=[(5, "5"), (4, "4"), (3, "3"), (2, "2"), (1, "1")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reopen = forms.BooleanField(label=_("Not solved — reopen the case"), required=False)


class CallbackForm(ActionForm):
    """回访: what the reporter said on the phone, on the 1–5 scale of the resident's rating."""

    rating = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        choices=[
            (5, _("Very satisfied")),
            (4, _("Satisfied")),
            (3, _("Fairly satisfied")),
            (2, _("Not satisfied")),
            (1, _("Very dissatisfied")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What the person said"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reopen = forms.BooleanField(
        label=_("Not solved — reopen the case"),
        required=False,
        help_text=_("Only with “Not satisfied” or “Very dissatisfied”."),
    )
