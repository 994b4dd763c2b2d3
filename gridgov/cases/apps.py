from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DWELLING_CASE_LIMIT = 20


def dwelling_cases_section(actor: Any, dwelling: Any) -> Any:
    """The household file's block of cases about this dwelling (those the actor may see);
    nothing when there are none."""
    from gridgov.cases.selectors import cases_for_actor
    from gridgov.registry.selectors.dwellings import DwellingFileSection

    cases = cases_for_actor(actor=actor).filter(dwelling_id=dwelling.pk).order_by("-created_at")
    items = list(cases[:DWELLING_CASE_LIMIT])
    if not items:
        return None
    return DwellingFileSection(
        key="cases",
        title=str(_("Cases about this dwelling")),
        items=items,
        template_name="cases/_dwelling_cases.html",
        total=cases.count() if len(items) == DWELLING_CASE_LIMIT else len(items),
    )


class CasesConfig(AppConfig):
    name = "gridgov.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from gridgov.registry.selectors.dwellings import dwelling_file_section_register

        dwelling_file_section_register("cases", dwelling_cases_section)

        from django.db.models.signals import post_delete, post_save

        from gridgov.cases.models import Category
        from gridgov.cases.services.catalogue import filable_categories

        # An edit reaches this process's copy at once (others within the lookup's lifetime).
        post_save.connect(filable_categories.clear, sender=Category, weak=False)
        post_delete.connect(filable_categories.clear, sender=Category, weak=False)

        from gridgov.core.warmup import warm_up_register

        warm_up_register("case_categories", filable_categories.get)
