"""Pages of the link between an account and its person (实名认证).

A resident's "my identity" page asks for a code and confirms it; staff link or unlink an
account on a person's page. Thin views: the rules are in ``registry.services.accounts``. The ID
number a resident types travels only in a POST body and is never echoed back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.registry.selectors.accounts import (
    linked_person_for_account,
    person_account_for_person,
)
from gridgov.registry.services.accounts import (
    person_account_code_confirm,
    person_account_code_request,
    person_account_link_by_username,
    person_account_unlink,
)
from gridgov.registry.views.common import require
from gridgov.registry.views.forms import (
    CodeConfirmForm,
    CodeRequestForm,
    PersonAccountLinkForm,
    PersonAccountUnlinkForm,
    add_service_errors,
)


def _my_identity_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "linked": linked_person_for_account(request.user),
        "request_form": CodeRequestForm(),
        "confirm_form": CodeConfirmForm(),
        "answer": "",
    }
    context.update(extra)
    return context


def _handle_code_request(request: HttpRequest) -> tuple[dict[str, Any], int]:
    form = CodeRequestForm(request.POST)
    if form.is_valid():
        try:
            answer = person_account_code_request(
                actor=request.user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            # A fresh form: the ID number is not sent back to the page.
            return {"answer": answer}, 200
    form.data = form.data.copy()
    form.data["id_number"] = ""  # never echoed back, not even on a refusal
    return {"request_form": form}, 400


def _handle_code_confirm(request: HttpRequest) -> tuple[dict[str, Any], int] | None:
    form = CodeConfirmForm(request.POST)
    if form.is_valid():
        try:
            person_account_code_confirm(actor=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return None
    return {"confirm_form": form}, 400


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_identity(request: HttpRequest) -> HttpResponse:
    """我的身份: ask for a code by name and ID number, confirm it, see the linked record."""
    require(request, Perm.PARTICIPATION_TAKE_PART)
    if request.method == "GET":
        return render(request, "registry/my_identity.html", _my_identity_context(request))
    if request.POST.get("step") == "confirm":
        outcome = _handle_code_confirm(request)
        if outcome is None:
            messages.success(request, _("Your account is now linked to your registry record."))
            return redirect("registry:my_identity")
    else:
        outcome = _handle_code_request(request)
    extra, status = outcome
    return render(
        request, "registry/my_identity.html", _my_identity_context(request, **extra), status=status
    )


@login_required
@require_POST
def person_account_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff link an account (by username) to the person after checking identity in person."""
    require(request, Perm.PERSON_MANAGE)
    form = PersonAccountLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the username of the account."))
        return redirect("registry:person_detail", pk=pk)
    try:
        person_account_link_by_username(
            actor=request.user, username=form.cleaned_data["username"], person_id=pk
        )
    except ValidationError as error:
        messages.error(request, " ".join(str(message) for message in error.messages))
    else:
        messages.success(request, _("The account is linked to this person."))
    return redirect("registry:person_detail", pk=pk)


@login_required
@require_POST
def person_account_unlink_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff end the link of the person's account, with a reason (audited)."""
    require(request, Perm.PERSON_MANAGE)
    link = person_account_for_person(actor=request.user, person_id=pk)
    if link is None:
        messages.error(request, _("This person has no linked account."))
        return redirect("registry:person_detail", pk=pk)
    form = PersonAccountUnlinkForm(request.POST)
    reason = form.data.get("reason", "") if form.is_valid() else ""
    try:
        person_account_unlink(actor=request.user, user_id=link.user_id, reason=reason)
    except ValidationError as error:
        messages.error(request, " ".join(str(message) for message in error.messages))
    else:
        messages.success(request, _("The account is no longer linked to this person."))
    return redirect("registry:person_detail", pk=pk)
