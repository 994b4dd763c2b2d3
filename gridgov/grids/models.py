"""The area hierarchy (区 → 街道/镇 → 社区/村 → 网格 → 微网格) and the staff who work it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LevelKind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street / town")
    COMMUNITY = "community", _("Community / village")
    GRID = "grid", _("Grid")
    MICRO_GRID = "micro_grid", _("Micro-grid")


class Cell(models.Model):
    """One area of the grid. ``code`` is the materialised path: a child's code extends its
    parent's (GB/T 2260 county codes, then 3 digits for street/town, community/village, grid
    and micro-grid), so a subtree is every code with the ancestor's code as a prefix."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=LevelKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    # GeoJSON geometry (Polygon or MultiPolygon), WGS-84 longitude/latitude.
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    min_lng = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lng = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    centroid_lng = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Figures kept by the periodic ``recompute_cell_statistics`` job.
    descendant_count = models.PositiveIntegerField(_("cells below"), default=0)
    staff_count = models.PositiveIntegerField(_("staff in subtree"), default=0)
    statistics_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [
            models.Index(fields=["parent", "sort_order"]),
            models.Index(fields=["level"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Post(models.TextChoices):
    """Positions held in a cell (the seeds' 网格长, 网格员, 微网格长, 楼组长 …)."""

    STREET_LEADER = "street_leader", _("Street/town grid leader")
    COMMUNITY_SECRETARY = "community_secretary", _("Community party secretary")
    GRID_CHIEF = "grid_chief", _("Grid chief")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_AGENT = "grid_agent", _("Grid service agent")
    MICRO_GRID_CHIEF = "micro_grid_chief", _("Micro-grid chief")
    BUILDING_CHIEF = "building_chief", _("Building-group chief")
    COMMUNITY_POLICE = "community_police", _("Community police officer")
    PROPERTY_MANAGER = "property_manager", _("Property manager")
    VOLUNTEER = "volunteer", _("Volunteer")


class StaffAssignment(models.Model):
    """A person holding a post in a cell, from a date; ending it keeps the history."""

    cell = models.ForeignKey(
        Cell, verbose_name=_("area"), on_delete=models.PROTECT, related_name="staff_assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="staff_assignments",
    )
    post = models.CharField(_("post"), max_length=32, choices=Post.choices)
    started_on = models.DateField(_("since"))
    ended_on = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["cell__code", "post"]
        verbose_name = _("staff assignment")
        verbose_name_plural = _("staff assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "user", "post"],
                condition=models.Q(ended_on__isnull=True),
                name="grids_staff_one_current_post",
            )
        ]
        indexes = [models.Index(fields=["post"])]

    def __str__(self) -> str:
        return f"{self.get_post_display()} · {self.cell_id}"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None
