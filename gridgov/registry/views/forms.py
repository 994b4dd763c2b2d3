"""Forms of the registry pages: they parse and label fields; the services decide what is valid.

A service's ``ValidationError`` (a dict keyed by field) is put back on the form field it names
with ``add_service_errors``, so the worker sees each reason next to the field, in Chinese.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.registry.models import IdType, ImportJob, Sex

ID_INPUT = {"autocomplete": "off", "spellcheck": "false", "class": "font-monospace"}


def add_service_errors(form: forms.Form, error: ValidationError, *, prefix: str = "") -> None:
    """Show a service's reasons on the form: on the named field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = field[len(prefix) :] if prefix and field.startswith(prefix) else field
            target = name if name in form.fields else None
            for item in errors:
                form.add_error(target, item.messages if hasattr(item, "messages") else item)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = f"form-select {widget.attrs.get('class', '')}".strip()
        else:
            widget.attrs["class"] = f"form-control {widget.attrs.get('class', '')}".strip()


class PersonRegisterForm(forms.Form):
    cell_code = forms.ChoiceField(label=_("Area"), choices=())
    id_type = forms.ChoiceField(label=_("Identity document"), choices=IdType.choices)
    id_number = forms.CharField(
        label=_("Document number"), max_length=32, widget=forms.TextInput(attrs=ID_INPUT)
    )
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(
        label=_("Mobile or landline"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("From the ID number")), *list(Sex.choices)],
        help_text=_("Only needed when the document does not state it."),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only needed when the document does not state it."),
    )
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=20, required=False)
    hukou_address = forms.CharField(
        label=_("Household registration address"), max_length=200, required=False
    )
    is_migrant = forms.BooleanField(label=_("Migrant (来沪人员)"), required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(
        label=_("Contact person's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cell_code"].choices = [
            (cell.code, f"{'　' * max(cell.depth - 1, 0)}{cell.name}") for cell in cells
        ]
        _style(self)

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["sex"] = data.get("sex") or None
        return data


class PersonEditForm(forms.Form):
    """Edit a person. Identifiers are never shown: leave them empty to keep them."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=64)
    id_type = forms.ChoiceField(label=_("Identity document"), choices=IdType.choices)
    id_number = forms.CharField(
        label=_("New document number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs=ID_INPUT),
        help_text=_("Leave empty to keep the registered number."),
    )
    phone = forms.CharField(
        label=_("New phone number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Leave empty to keep the registered number."),
    )
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=20, required=False)
    hukou_address = forms.CharField(
        label=_("Household registration address"), max_length=200, required=False
    )
    is_migrant = forms.BooleanField(label=_("Migrant (来沪人员)"), required=False)
    contact_name = forms.CharField(label=_("Contact person"), max_length=64, required=False)
    contact_phone = forms.CharField(
        label=_("New contact phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("Leave empty to keep the registered number."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def changes(self, person: Any) -> dict[str, Any]:
        """Only what differs from the record, so that the audit row names real changes."""
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for field in ("name", "ethnicity", "hukou_address", "contact_name", "is_migrant"):
            if data[field] != getattr(person, field):
                changes[field] = data[field]
        if data["id_number"]:
            changes["id_type"] = data["id_type"]
            changes["id_number"] = data["id_number"]
        for field in ("phone", "contact_phone"):
            if data[field]:
                changes[field] = data[field]
        return changes


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        choices=[("id_number", "id_number"), ("phone", "phone"), ("contact_phone", "contact_phone")]
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)


class TagSetForm(forms.Form):
    tag = forms.ChoiceField(label=_("Tag"), choices=())
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, tags: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [(tag.code, tag.name) for tag in tags]
        _style(self)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportJob.Kind.choices)
    cell_code = forms.ChoiceField(label=_("Area"), choices=(), required=False)
    upload = forms.FileField(
        label=_("Excel file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args: Any, cells: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cell_code"].choices = [("", _("As stated in each row"))] + [
            (cell.code, f"{'　' * max(cell.depth - 1, 0)}{cell.name}") for cell in cells
        ]
        _style(self)


class LeaseDatesForm(forms.Form):
    dwelling_id = forms.IntegerField(widget=forms.HiddenInput)
    started_on = forms.DateField(
        label=_("Lease starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Lease ends"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class PartyForm(forms.Form):
    """The landlord or one tenant: a registered person found by ID, or a new one."""

    id_type = forms.ChoiceField(label=_("Identity document"), choices=IdType.choices)
    id_number = forms.CharField(
        label=_("Document number"), max_length=32, widget=forms.TextInput(attrs=ID_INPUT)
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        required=False,
        help_text=_("Needed only for someone not yet in the registry."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    is_migrant = forms.BooleanField(label=_("Migrant (来沪人员)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def person_ref(self) -> dict[str, Any]:
        data = self.cleaned_data
        ref: dict[str, Any] = {"id_type": data["id_type"], "id_number": data["id_number"]}
        # A registered person is found by identity; these fields register a new one.
        ref["name"] = data["name"]
        if data["phone"]:
            ref["phone"] = data["phone"]
        ref["is_migrant"] = data["is_migrant"]
        return ref


class CodeRequestForm(forms.Form):
    """实名认证: the name and ID number as registered; the code goes to the registered phone."""

    name = forms.CharField(
        label=_("Name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = forms.CharField(
        label=_("ID number"), max_length=32, widget=forms.TextInput(attrs=ID_INPUT)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class CodeConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "maxlength": 7,
            }
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class PersonAccountLinkForm(forms.Form):
    username = forms.CharField(
        label=_("Username of the account"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class PersonAccountUnlinkForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
