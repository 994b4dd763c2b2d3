"""Writes of the people-and-housing domain, one module per part.

``from gridgov.registry.services import person_register`` works for every public function
listed below. The names are resolved lazily (PEP 562) so that importing one service module
never imports all the others, and no import cycle can form between the parts.
To add a name: add one line ``"name": "module",`` to ``_EXPORTS``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # protection (people)
    "InvalidIdentifierError": "protection",
    "InvalidPhoneError": "protection",
    "IdFacts": "protection",
    "Protected": "protection",
    "normalize_id_number": "protection",
    "id_facts": "protection",
    "normalize_phone": "protection",
    "protect_id_number": "protection",
    "protect_phone": "protection",
    "mask_id_number": "protection",
    "mask_phone": "protection",
    "mask_name": "protection",
    "name_pinyin": "protection",
    # people (people)
    "ConcurrentEditError": "people",
    "DuplicateIdentityError": "people",
    "person_register": "people",
    "person_update": "people",
    "person_verify": "people",
    "person_reveal": "people",
    # tags (people)
    "RuleTagChanges": "tags",
    "tag_set": "tags",
    "tag_remove": "tags",
    "person_rule_tags_recompute": "tags",
    # places (housing)
    "estate_create": "places",
    "building_create": "places",
    "unit_create": "places",
    "dwelling_create": "places",
    # residency (housing)
    "residency_start": "residency",
    "residency_end": "residency",
    "ownership_add": "residency",
    "ownership_end": "residency",
    "household_create": "residency",
    "household_add_member": "residency",
    "household_remove_member": "residency",
    # leases (housing)
    "lease_register": "leases",
    "lease_end": "leases",
    "lease_expiry_reminders": "leases",
    # quality (demo-and-API)
    "dwelling_residents_verify": "quality",
    # accounts (实名认证)
    "PersonAccountError": "accounts",
    "person_account_link_by_staff": "accounts",
    "person_account_link_by_username": "accounts",
    "person_account_unlink": "accounts",
    "person_account_code_request": "accounts",
    "person_account_code_confirm": "accounts",
    # key_rotation (people)
    "encrypted_values_rotate": "key_rotation",
    "encrypted_values_key_census": "key_rotation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return __all__
