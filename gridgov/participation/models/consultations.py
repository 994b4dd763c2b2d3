"""Consultations (征询): a question put to the households or owners of one or many estates.

Lighter than an owners' vote: each household (or owner) answers once, yes or no, and the
consultation passes where the share in favour reaches the pass rule (a fraction, compared
exactly), per estate and overall — the seed's Xinzhuang industrial zone consulted 19 estates
and 18 passed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["Consultation", "ConsultationAnswer", "ConsultationScope"]


class Consultation(models.Model):
    class Audience(models.TextChoices):
        HOUSEHOLDS = "households", _("Households living there")
        OWNERS = "owners", _("Owners")

    class Basis(models.TextChoices):
        ELIGIBLE = "eligible", _("Share of all households or owners consulted")
        ANSWERED = "answered", _("Share of those who answered")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=120)
    question = models.TextField(_("question"))
    audience = models.CharField(
        _("who answers"), max_length=16, choices=Audience.choices, default=Audience.HOUSEHOLDS
    )
    basis = models.CharField(
        _("share counted of"), max_length=16, choices=Basis.choices, default=Basis.ELIGIBLE
    )
    pass_numerator = models.PositiveSmallIntegerField(_("pass share numerator"), default=2)
    pass_denominator = models.PositiveSmallIntegerField(_("pass share denominator"), default=3)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    # The deepest area holding every estate consulted: who may see and manage it.
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    last_reminded_on = models.DateField(_("last reminded"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_numerator__gt=0)
                & Q(pass_numerator__lte=models.F("pass_denominator")),
                name="participation_consultation_pass_share",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="participation_consultation_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ConsultationScope(models.Model):
    """One place consulted: a whole estate, one building of it, or one doorway (门洞)."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="scopes")
    estate = models.ForeignKey(
        "registry.Estate", verbose_name=_("estate"), on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "registry.Unit",
        verbose_name=_("doorway"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("place consulted")
        verbose_name_plural = _("places consulted")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True) | Q(building__isnull=False),
                name="participation_consultation_scope_unit_in_building",
            )
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.estate_id}/{self.building_id}/{self.unit_id}"


class ConsultationAnswer(models.Model):
    """One answer per household (or per owner): the database refuses a second one."""

    class Choice(models.TextChoices):
        YES = "yes", _("In favour")
        NO = "no", _("Against")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online, by the resident")
        DOOR_TO_DOOR = "door_to_door", _("Door to door, recorded by staff")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="answers")
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner = models.ForeignKey(
        "registry.Person",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The person who answered (a household member, the owner), when known.
    answered_by = models.ForeignKey(
        "registry.Person",
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    choice = models.CharField(_("answer"), max_length=8, choices=Choice.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"))

    class Meta:
        ordering = ["answered_at", "id"]
        verbose_name = _("consultation answer")
        verbose_name_plural = _("consultation answers")
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "household"],
                condition=Q(household__isnull=False),
                name="participation_one_answer_per_household",
            ),
            models.UniqueConstraint(
                fields=["consultation", "owner"],
                condition=Q(owner__isnull=False),
                name="participation_one_answer_per_owner",
            ),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(owner__isnull=True))
                | (Q(household__isnull=True) & Q(owner__isnull=False)),
                name="participation_answer_household_or_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}:{self.household_id or self.owner_id}={self.choice}"
