"""The vote pages' forms: they parse and check input (types, sizes, what belongs to what) and
say what is wrong in words; the thresholds, the roll and every refusal of substance stay in the
vote services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.participation import rules
from gridgov.participation.models import MatterType, ResultsVisibility, VoteOptionsKind
from gridgov.participation.services.uploads import upload_check

TITLE_MAX = 200
RECEIPT_MAX = 32

# The field a refusal of ``vote_create`` is about, by its code.
REFUSAL_FIELDS: dict[str, str] = {
    "title": "title",
    "matter": "matter",
    "rule_set": "rule_set",
    "visibility": "visibility",
    "options_kind": "options_kind",
    "plans": "plans",
    "dates": "closes_at",
    "vote_scope": "estate",
}


def _select(**attrs: Any) -> forms.Select:
    return forms.Select(attrs={"class": "form-select", **attrs})


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", attrs={"class": "form-control"}, **kwargs)


class VoteCreateForm(forms.Form):
    """A new vote: what, where, which rule, which options, when, and whether the tally shows."""

    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What the owners decide"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    estate = forms.TypedChoiceField(
        label=_("Estate"),
        coerce=int,
        widget=_select(),
        error_messages={"invalid_choice": _("This estate does not exist or is outside your area.")},
    )
    building = forms.TypedChoiceField(
        label=_("Building"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=_select(),
        error_messages={"invalid_choice": _("This building is not in the estate chosen.")},
    )
    unit = forms.TypedChoiceField(
        label=_("Doorway"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=_select(),
        error_messages={"invalid_choice": _("This doorway is not in the building chosen.")},
    )
    matter = forms.ChoiceField(
        label=_("Matter (Civil Code art. 278)"), choices=MatterType.choices, widget=_select()
    )
    is_elevator = forms.BooleanField(
        label=_("Adding an elevator"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    rule_set = forms.ChoiceField(label=_("Rule set"), widget=_select())
    options_kind = forms.ChoiceField(
        label=_("Options"),
        choices=VoteOptionsKind.choices,
        initial=VoteOptionsKind.YES_NO,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    plans = forms.CharField(
        label=_("Plans, one per line"),
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), widget=DateTimeLocalInput())
    closes_at = forms.DateTimeField(label=_("Closes at"), widget=DateTimeLocalInput())
    visibility = forms.ChoiceField(
        label=_("Results while open"),
        choices=ResultsVisibility.choices,
        initial=ResultsVisibility.LIVE,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self,
        *args: Any,
        estates: list[tuple[int, str]],
        buildings: list[tuple[int, str]],
        units: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = [("", _("Choose an estate")), *estates]
        self.fields["building"].choices = [("", _("The whole estate")), *buildings]
        self.fields["unit"].choices = [("", _("The whole building")), *units]
        self.fields["rule_set"].choices = rules.rule_set_choices()
        self.fields["rule_set"].initial = rules.DEFAULT_RULE_SET

    def clean_plans(self) -> list[str]:
        lines = self.cleaned_data.get("plans", "").splitlines()
        return [line.strip() for line in lines if line.strip()]

    def add_refusal(self, refusal: ValidationError) -> None:
        """A refusal of the service, under the field it is about when there is one."""
        field = REFUSAL_FIELDS.get(str(getattr(refusal, "code", "") or ""))
        self.add_error(field, " ".join(str(text) for text in refusal.messages))

    def scope(self) -> dict[str, int | None]:
        """The most precise place chosen, as the service takes it (exactly one id)."""
        data = self.cleaned_data
        if data.get("unit"):
            return {"unit_id": data["unit"]}
        if data.get("building"):
            return {"building_id": data["building"]}
        return {"estate_id": data["estate"]}


class BallotForm(forms.Form):
    """An owner's ballot: one of the choices, then the same choice again to confirm it."""

    choice = forms.ChoiceField(
        label=_("Your choice"),
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose one option before you continue.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = choices
        self.fields["choice"].error_messages["invalid_choice"] = _(
            "This is not one of the options of this vote."
        )


def _roll_field(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        widget=_select(),
        error_messages={"invalid_choice": _("This owner is not on the roll of this vote.")},
    )


class PaperBallotForm(forms.Form):
    """A paper ballot as staff enter it, with a photo of the paper."""

    voter = _roll_field(_("Owner"))
    choice = forms.ChoiceField(label=_("Choice on the paper"), widget=_select())
    proxy = forms.TypedChoiceField(
        label=_("Cast by a proxy"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=_select(),
    )
    photo = forms.FileField(
        label=_("Photo of the paper ballot"),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": "image/jpeg,image/png,image/webp"}
        ),
    )

    def __init__(
        self,
        *args: Any,
        voters: list[tuple[int, str]],
        choices: list[tuple[str, str]],
        proxies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voter"].choices = [("", _("Choose the owner")), *voters]
        self.fields["choice"].choices = [("", _("Choose what the paper says")), *choices]
        self.fields["proxy"].choices = [("", _("No, the owner in person")), *proxies]

    def clean_photo(self) -> Any:
        photo = self.cleaned_data["photo"]
        upload_check(photo, accept_pdf=False)
        return photo


class ProxyForm(forms.Form):
    """A written authorisation (授权委托书) for a proxy to vote for one owner."""

    voter = _roll_field(_("Owner who authorises"))
    proxy_person = forms.TypedChoiceField(
        label=_("Proxy who is an owner on the roll"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=_select(),
    )
    proxy_name = forms.CharField(
        label=_("Or the proxy's name"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    reference = forms.CharField(
        label=_("Authorisation reference"),
        max_length=100,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    document = forms.FileField(
        label=_("Signed authorisation (PDF or photo)"),
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": "application/pdf,image/jpeg,image/png,image/webp",
            }
        ),
    )

    def __init__(
        self,
        *args: Any,
        voters: list[tuple[int, str]],
        people: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voter"].choices = [("", _("Choose the owner")), *voters]
        self.fields["proxy_person"].choices = [("", _("Not an owner of this vote")), *people]

    def clean_document(self) -> Any:
        document = self.cleaned_data["document"]
        upload_check(document, accept_pdf=True)
        return document

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["proxy_name"] = (data.get("proxy_name") or "").strip()
        if not data.get("proxy_person") and not data["proxy_name"]:
            self.add_error("proxy_name", _("Name the proxy: an owner on the roll or a name."))
        return data


class DesignateForm(forms.Form):
    """Which co-owner votes for a jointly owned unit (共有人推选)."""

    pair = forms.ChoiceField(
        label=_("Co-owners and the one who votes"),
        widget=_select(),
        error_messages={"invalid_choice": _("Choose one of the co-owners listed.")},
    )

    def __init__(self, *args: Any, pairs: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pair"].choices = [("", _("Choose the co-owner who votes")), *pairs]

    def ids(self) -> tuple[int, int]:
        voter, person = self.cleaned_data["pair"].split(":")
        return int(voter), int(person)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt code"),
        max_length=RECEIPT_MAX,
        widget=forms.TextInput(
            attrs={
                "class": "form-control font-monospace",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": _("Enter the receipt code you were given.")},
    )

    def clean_receipt(self) -> str:
        return "".join(self.cleaned_data["receipt"].split())
