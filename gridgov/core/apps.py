from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from gridgov.core.models import CalendarOverride
        from gridgov.core.workdays import calendar_overrides

        # An edit reaches this process's copy at once (others within the lookup's lifetime).
        post_save.connect(calendar_overrides.clear, sender=CalendarOverride, weak=False)
        post_delete.connect(calendar_overrides.clear, sender=CalendarOverride, weak=False)
