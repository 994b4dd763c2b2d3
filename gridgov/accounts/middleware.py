"""Session time-outs and the two-factor gate, for every request of a signed-in user.

``SessionTimeoutMiddleware`` ends idle and over-age sessions (等保 2.0 level 3 登录连接超时);
``TwoFactorRequiredMiddleware`` keeps users who must pass a second factor on the set-up and
verification pages until they have (both run after Django's authentication middleware).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.services import session_expired_record
from gridgov.accounts.sessions import (
    session_expiry_reason,
    session_is_two_factor_verified,
    session_touch,
)
from gridgov.accounts.twofactor import two_factor_required_for
from gridgov.core.middleware import client_ip

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that htmx follows with a full page load instead of swapping a fragment."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _next_query(request: HttpRequest, **extra: str) -> str:
    params = dict(extra)
    if request.method == "GET" and not _is_htmx(request):
        params["next"] = request.get_full_path()
    return urlencode(params)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now()
            reason = session_expiry_reason(request.session, now=now)
            if reason is not None:
                session_expired_record(user=user, reason=reason, ip_address=client_ip(request))
                logout(request)
                return self._expired(request)
            session_touch(request.session, now=now)
        return self.get_response(request)

    def _expired(self, request: HttpRequest) -> HttpResponse:
        if _is_api(request):
            return JsonResponse(
                {
                    "code": "session_expired",
                    "message": _("Your session has timed out. Please sign in again."),
                },
                status=401,
            )
        login_url = reverse("accounts:login")
        return _redirect(request, f"{login_url}?{_next_query(request, reason='expired')}")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def _paths_open_before_second_factor(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(
                reverse(name)
                for name in (
                    "accounts:login",
                    "accounts:logout",
                    "accounts:two_factor_verify",
                    "accounts:two_factor_setup",
                    "set_language",
                )
            )
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or session_is_two_factor_verified(request.session)
            or request.path in self._paths_open_before_second_factor()
            or request.path.startswith(settings.STATIC_URL)
            or not two_factor_required_for(user)
        ):
            return self.get_response(request)
        if _is_api(request):
            return JsonResponse(
                {
                    "code": "two_factor_required",
                    "message": _("Finish two-factor verification before using this."),
                },
                status=403,
            )
        name = "accounts:two_factor_verify" if user.has_two_factor else "accounts:two_factor_setup"
        return _redirect(request, f"{reverse(name)}?{_next_query(request)}")
