"""Reads of the cases domain, always for an acting user.

``from gridgov.cases.selectors import cases_for_actor`` works for each name below.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "QUEUES": "cases",
    "attachment_get_for_actor": "cases",
    "case_id_for_number": "cases",
    "cases_filtered": "cases",
    "cases_for_actor": "cases",
    "case_page_section_register": "sections",
    "case_page_section_unregister": "sections",
    "case_page_sections": "sections",
    "case_queue": "cases",
    "case_get_for_actor": "cases",
    "case_visible_to": "cases",
    "case_timeline": "cases",
    "duplicate_candidates": "cases",
    "open_cases_geojson": "cases",
    "queue_counts": "cases",
    "visits_for_actor": "cases",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
