"""Who is acting and from where, for the audit trail, without passing a request everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip_address: str | None = None


_current: ContextVar[RequestContext] = ContextVar("gridgov_request", default=RequestContext())  # noqa: B039 (frozen)


def current_request_context() -> RequestContext:
    return _current.get()


@contextmanager
def request_context(*, ip_address: str | None) -> Iterator[None]:
    token = _current.set(RequestContext(ip_address=ip_address))
    try:
        yield
    finally:
        _current.reset(token)
