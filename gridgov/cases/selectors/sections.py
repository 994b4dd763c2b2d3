"""Blocks that later modules add to the case page (sensing: the alarms that opened the case).

Cases sits below those modules in the import layers, so they register a provider here in their
``AppConfig.ready`` instead of being imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gridgov.cases.models import Case


@dataclass
class CasePageSection:
    """One block of the case page contributed by another module."""

    key: str
    title: str
    items: list[Any] = field(default_factory=list)
    template_name: str = ""


# A provider gets (actor, case) and returns its block, or None to show nothing; it scopes its
# own rows to the actor.
CaseSectionProvider = Callable[[Any, Case], CasePageSection | None]
_PROVIDERS: dict[str, CaseSectionProvider] = {}


def case_page_section_register(key: str, provider: CaseSectionProvider) -> None:
    """Add (or replace) the provider of block ``key``; blocks appear in this order."""
    _PROVIDERS[key] = provider


def case_page_section_unregister(key: str) -> None:
    _PROVIDERS.pop(key, None)


def case_page_sections(*, actor: Any, case: Case) -> list[CasePageSection]:
    """The blocks other modules show on this case's page for this actor."""
    sections = []
    for provider in list(_PROVIDERS.values()):
        section = provider(actor, case)
        if section is not None:
            sections.append(section)
    return sections
