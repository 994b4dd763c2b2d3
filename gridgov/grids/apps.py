from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "gridgov.grids"
    label = "grids"
    verbose_name = _("Grids")

    def ready(self) -> None:
        from gridgov.core.warmup import warm_up_register
        from gridgov.grids.geo import cell_index

        # The point → cell index every located report needs, built before the first one.
        warm_up_register("cell_index", cell_index)
