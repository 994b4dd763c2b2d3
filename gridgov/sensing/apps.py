from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

DWELLING_ALARM_LIMIT = 20


def dwelling_alarms_section(actor: Any, dwelling: Any) -> Any:
    """The household file's block of alarms at this dwelling, and about its present residents
    for those who may see people there (only alarms the actor may see); nothing when none."""
    from gridgov.accounts.roles import Perm
    from gridgov.accounts.scoping import has_permission
    from gridgov.registry.selectors.dwellings import DwellingFileSection
    from gridgov.sensing.selectors import alarm_history_for_dwelling

    residents = has_permission(actor, Perm.PERSON_VIEW, cell_code=dwelling.cell.code)
    alarms = alarm_history_for_dwelling(
        actor=actor, dwelling_id=dwelling.pk, include_residents=residents
    )
    items = list(alarms[:DWELLING_ALARM_LIMIT])
    if not items:
        return None
    return DwellingFileSection(
        key="alarms",
        title=str(_("Alarms at this dwelling")),
        items=items,
        template_name="sensing/alarms/_dwelling_alarms.html",
        total=alarms.count() if len(items) == DWELLING_ALARM_LIMIT else len(items),
    )


def case_alarms_section(actor: Any, case: Any) -> Any:
    """The case page's block of the alarms linked to the case (those the actor may see)."""
    from gridgov.cases.selectors.sections import CasePageSection
    from gridgov.sensing.selectors import alarm_list_for_case

    items = list(alarm_list_for_case(actor=actor, case_id=case.pk))
    if not items:
        return None
    return CasePageSection(
        key="alarms",
        title=str(_("Alarms behind this case")),
        items=items,
        template_name="sensing/alarms/_dwelling_alarms.html",
    )


class SensingConfig(AppConfig):
    name = "gridgov.sensing"
    label = "sensing"
    verbose_name = _("Sensing")

    def ready(self) -> None:
        from gridgov.cases.selectors.sections import case_page_section_register
        from gridgov.registry.selectors.dwellings import dwelling_file_section_register

        dwelling_file_section_register("alarms", dwelling_alarms_section)
        case_page_section_register("alarms", case_alarms_section)
