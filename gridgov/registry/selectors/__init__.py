"""Reads of the people-and-housing domain, always for an acting user, one module per part.

``from gridgov.registry.selectors import person_list_for_actor`` works for every public name
listed below, resolved lazily (PEP 562) so that no import cycle can form between the parts.
To add a name: add one line ``"name": "module",`` to ``_EXPORTS``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # people (people)
    "PersonNotFoundError": "people",
    "person_list_for_actor": "people",
    "person_get_for_actor": "people",
    "person_is_sensitive": "people",
    "age_on": "people",
    "tag_catalogue": "people",
    # accounts (实名认证)
    "person_for_account": "accounts",
    "linked_person_for_account": "accounts",
    "person_account_for_person": "accounts",
    # places (housing)
    "PlaceNotFoundError": "places",
    "DwellingNotFoundError": "places",
    "LeaseNotFoundError": "places",
    "estate_list_for_actor": "places",
    "estate_get_for_actor": "places",
    "building_list_for_actor": "places",
    "building_get_for_actor": "places",
    "unit_list_for_actor": "places",
    # dwellings (housing)
    "DwellingFile": "dwellings",
    "DwellingFileSection": "dwellings",
    "dwelling_file_section_register": "dwellings",
    "dwelling_file_section_unregister": "dwellings",
    "dwelling_list_for_actor": "dwellings",
    "dwelling_get_for_actor": "dwellings",
    "dwelling_file_for_actor": "dwellings",
    # leases (housing)
    "lease_list_for_actor": "leases",
    "lease_get_for_actor": "leases",
    # quality (demo-and-API)
    "QualityReport": "quality",
    "CellQuality": "quality",
    "quality_report_for_actor": "quality",
    "quality_records_for_actor": "quality",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return __all__
