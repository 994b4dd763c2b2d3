"""Multi-stage projects (多阶段项目) such as adding an elevator to a doorway (加装电梯).

A project belongs to one doorway or one building and copies its stages from a template when it
is created; each stage is reached once, on a date, in order (an optional stage may be passed
over), with documents and, where one decided it, the consultation or vote that passed it. The
seed's Hongqiao programme: 1,406 doorways consulted, 284 signed, 134 started, 72 in use.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Project", "ProjectDocument", "ProjectStage", "ProjectTemplate", "StageTemplate"]


class ProjectTemplate(models.Model):
    """A kind of project and its stage list (e.g. the elevator programme's six stages)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("project template")
        verbose_name_plural = _("project templates")

    def __str__(self) -> str:
        return self.name


class StageTemplate(models.Model):
    template = models.ForeignKey(ProjectTemplate, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    is_optional = models.BooleanField(_("optional"), default=False)

    class Meta:
        ordering = ["template_id", "order"]
        verbose_name = _("stage template")
        verbose_name_plural = _("stage templates")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "order"], name="participation_stage_template_order"
            ),
            models.UniqueConstraint(
                fields=["template", "code"], name="participation_stage_template_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In progress")
        COMPLETED = "completed", _("Completed")

    template = models.ForeignKey(
        ProjectTemplate,
        verbose_name=_("template"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    title = models.CharField(_("title"), max_length=120)
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="participation_projects",
    )
    unit = models.ForeignKey(
        "registry.Unit",
        verbose_name=_("doorway"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="participation_projects",
    )
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    # The last stage reached, in order (null before the first).
    stage_order = models.PositiveSmallIntegerField(_("stage reached"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["estate_id", "building_id", "unit_id", "id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "unit"],
                condition=Q(unit__isnull=False),
                name="participation_one_project_per_doorway",
            ),
            models.UniqueConstraint(
                fields=["template", "building"],
                condition=Q(unit__isnull=True),
                name="participation_one_project_per_building",
            ),
        ]
        indexes = [models.Index(fields=["template", "stage_order"])]

    def __str__(self) -> str:
        return self.title


class ProjectStage(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    is_optional = models.BooleanField(_("optional"), default=False)
    reached_on = models.DateField(_("reached on"), null=True, blank=True)
    reached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    consultation = models.ForeignKey(
        "participation.Consultation",
        verbose_name=_("consultation that passed it"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_stages",
    )
    vote = models.ForeignKey(
        "participation.Vote",
        verbose_name=_("vote that passed it"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="project_stages",
    )

    class Meta:
        ordering = ["project_id", "order"]
        verbose_name = _("project stage")
        verbose_name_plural = _("project stages")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "order"], name="participation_project_stage_order"
            ),
            models.UniqueConstraint(
                fields=["project", "code"], name="participation_project_stage_code"
            ),
        ]
        indexes = [models.Index(fields=["order", "reached_on"])]

    def __str__(self) -> str:
        return self.name


class ProjectDocument(models.Model):
    """A document of a stage (意向书, 合同, 施工许可, 验收报告 …), checked for size and type."""

    stage = models.ForeignKey(ProjectStage, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="participation/projects/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["stage_id", "uploaded_at", "id"]
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def __str__(self) -> str:
        return self.original_name
