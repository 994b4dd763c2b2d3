"""Small template helpers of the case pages."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.cases.views.common import STATUS_TONES

register = template.Library()


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONES.get(status, "secondary")


@register.filter
def percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def hours(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):.1f}"


@register.filter
def status_label(status: str) -> str:
    from gridgov.cases.models import Status

    return str(dict(Status.choices).get(status, status))
