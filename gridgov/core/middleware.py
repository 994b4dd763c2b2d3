from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from gridgov.core.context import request_context


def client_ip(request: HttpRequest) -> str | None:
    """The client address as the server saw it.

    Behind a proxy, deployers set ``GRIDGOV_TRUSTED_PROXY`` style rewriting at the proxy;
    we do not trust ``X-Forwarded-For`` from the open network.
    """
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_context(ip_address=client_ip(request)):
            return self.get_response(request)


class LanguageMiddleware:
    """Pages speak zh-Hans unless the user chose another language (the language cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an English-locale
    browser on a government desk would get English pages; here only an explicit choice switches.
    API clients (``/api/``, ``/open311/``) may still ask with Accept-Language, as HTTP intends.
    """

    API_PREFIXES = ("/api/", "/open311/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def _choose(self, request: HttpRequest) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in self.supported:
            return str(chosen)
        if request.path.startswith(self.API_PREFIXES):
            return translation.get_language_from_request(request)
        return str(settings.LANGUAGE_CODE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = self._choose(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        response.headers.setdefault("Content-Language", language)
        return response
