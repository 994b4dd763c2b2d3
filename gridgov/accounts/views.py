"""Sign-in pages: password, second factor (verify or set up), sign-out, password change.

Thin views: they parse the form, call one service, and render or redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gridgov.accounts.errors import (
    InvalidCredentialsError,
    LoginLockedError,
    TwoFactorAlreadyEnabledError,
    TwoFactorCodeInvalidError,
)
from gridgov.accounts.forms import LoginForm, PasswordChangeForm, TwoFactorCodeForm
from gridgov.accounts.models import User
from gridgov.accounts.services import (
    login_with_password,
    logout_record,
    two_factor_begin_setup,
    two_factor_confirm,
    two_factor_verify,
    user_set_password,
)
from gridgov.accounts.sessions import (
    session_is_two_factor_verified,
    session_mark_two_factor_verified,
    session_start,
)
from gridgov.accounts.twofactor import two_factor_required_for
from gridgov.core.middleware import client_ip


def _notices() -> dict[str, str]:
    return {
        "expired": _("Your session has timed out. Please sign in again."),
        "signed_out": _("You have signed out."),
        "locked": _(
            "Too many wrong verification codes. Sign-in is locked for a while; try again later."
        ),
    }


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("web:home")


def _with_next(url_name: str, next_url: str, **params: str) -> str:
    query = urlencode({**params, "next": next_url})
    return f"{reverse(url_name)}?{query}"


def _is_fully_signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated and (
        session_is_two_factor_verified(request.session) or not two_factor_required_for(request.user)
    )


def _signed_in_user(request: HttpRequest) -> User:
    """``request.user`` behind ``login_required``: always a real user."""
    user = request.user
    if not isinstance(user, User):  # pragma: no cover - login_required guarantees it
        raise PermissionDenied
    return user


def _finish_second_factor(request: HttpRequest) -> None:
    # A new privilege level gets a new session id (OWASP ASVS V3.2.1).
    request.session.cycle_key()
    session_mark_two_factor_verified(request.session, now=timezone.now())


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if _is_fully_signed_in(request):
        return HttpResponseRedirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            step = login_with_password(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip_address=client_ip(request),
            )
        except (LoginLockedError, InvalidCredentialsError) as error:
            form.add_error(None, error.message)
        else:
            login(request, step.user)  # rotates the session id
            session_start(request.session, now=timezone.now(), two_factor_verified=False)
            if step.two_factor == "verify":
                return HttpResponseRedirect(_with_next("accounts:two_factor_verify", next_url))
            if step.two_factor == "setup":
                return HttpResponseRedirect(_with_next("accounts:two_factor_setup", next_url))
            return HttpResponseRedirect(next_url)
    notice = _notices().get(request.GET.get("reason", ""), "")
    return render(
        request, "accounts/login.html", {"form": form, "next": next_url, "notice": notice}
    )


def _locked_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(f"{reverse('accounts:login')}?reason=locked")


@login_required
@never_cache
def two_factor_verify_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if _is_fully_signed_in(request):
        return HttpResponseRedirect(next_url)
    user = _signed_in_user(request)
    if not user.has_two_factor:
        return HttpResponseRedirect(_with_next("accounts:two_factor_setup", next_url))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor_verify(
                user=user, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except LoginLockedError:
            return _locked_out(request)
        except TwoFactorCodeInvalidError as error:
            form.add_error("code", error.message)
        else:
            _finish_second_factor(request)
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
@never_cache
def two_factor_setup_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    user = _signed_in_user(request)
    if user.has_two_factor:
        if _is_fully_signed_in(request):
            return HttpResponseRedirect(next_url)
        return HttpResponseRedirect(_with_next("accounts:two_factor_verify", next_url))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor_confirm(
                user=user, code=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except LoginLockedError:
            return _locked_out(request)
        except TwoFactorAlreadyEnabledError:
            return HttpResponseRedirect(next_url)
        except TwoFactorCodeInvalidError as error:
            form.add_error("code", error.message)
        else:
            _finish_second_factor(request)
            messages.success(request, _("Two-factor authentication is now enabled."))
            return HttpResponseRedirect(next_url)
    enrolment = two_factor_begin_setup(user=user)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "next": next_url, "enrolment": enrolment},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        logout_record(user=request.user, ip_address=client_ip(request))
    logout(request)
    return HttpResponseRedirect(f"{reverse('accounts:login')}?reason=signed_out")


_FORM_FIELD_OF_SERVICE_FIELD = {"current_password": "current_password", "password": "new_password"}


@sensitive_post_parameters("current_password", "new_password", "new_password_again")
@login_required
@never_cache
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _signed_in_user(request)
        try:
            user_set_password(
                actor=user,
                user=user,
                password=form.cleaned_data["new_password"],
                current_password=form.cleaned_data["current_password"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.message_dict.items():
                    form.add_error(_FORM_FIELD_OF_SERVICE_FIELD.get(field), field_errors)
            else:
                form.add_error("new_password", error.messages)
        else:
            update_session_auth_hash(request, user)  # keeps the session, rotates its id
            messages.success(request, _("Your password has been changed."))
            return HttpResponseRedirect(reverse("web:home"))
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "min_length": _minimum_password_length()},
    )


def _minimum_password_length() -> int:
    lengths = [
        validator.min_length
        for validator in get_default_password_validators()
        if isinstance(validator, MinimumLengthValidator)
    ]
    return max(lengths, default=0)
