from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
