"""Property-service supervision (物业服务监督): rating surveys, scores, ranking, disclosure.

Residents rate their estate's property company on a survey per period (a quarter by default)
with configurable service items (测评项目); on the survey's close every estate and company gets
a score that combines the residents' rating with the case outcomes of the estate (closure,
timeliness, satisfaction) under a scoring scheme (评分方案, data), and the town's ranking with
its red list (红榜) and black list (黑榜). Each estate has a disclosure page (四公开一监督),
kept as numbered versions.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

__all__: list[str] = [
    "DisclosureVersion",
    "RatingAnswer",
    "RatingResponse",
    "RatingSurvey",
    "ScoringScheme",
    "ServiceItem",
    "SupervisionScore",
    "SurveyItem",
]


class ServiceItem(models.Model):
    """One service item residents rate (保洁, 绿化, 秩序维护 …), with its relative weight."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=200, blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=100),
                name="participation_service_item_weight",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ScoringScheme(models.Model):
    """How a score is made (评分方案): the weights of the four parts in percent (summing to
    100), the fewest responses for a valid score, and the red and black list thresholds."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    rating_weight = models.DecimalField(
        _("residents' rating weight (%)"), max_digits=5, decimal_places=2, default=Decimal(60)
    )
    closure_weight = models.DecimalField(
        _("closure rate weight (%)"), max_digits=5, decimal_places=2, default=Decimal(15)
    )
    on_time_weight = models.DecimalField(
        _("on-time rate weight (%)"), max_digits=5, decimal_places=2, default=Decimal(15)
    )
    satisfaction_weight = models.DecimalField(
        _("case satisfaction weight (%)"), max_digits=5, decimal_places=2, default=Decimal(10)
    )
    min_responses = models.PositiveIntegerField(_("fewest responses for a score"), default=10)
    red_min_score = models.DecimalField(
        _("red list from score"), max_digits=5, decimal_places=2, default=Decimal(90)
    )
    black_below_score = models.DecimalField(
        _("black list below score"), max_digits=5, decimal_places=2, default=Decimal(60)
    )
    black_bottom_count = models.PositiveSmallIntegerField(
        _("black list: the last N ranked"), default=1
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scoring scheme")
        verbose_name_plural = _("scoring schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating_weight__gt=0)
                & Q(closure_weight__gte=0)
                & Q(on_time_weight__gte=0)
                & Q(satisfaction_weight__gte=0),
                name="participation_scheme_weights",
            ),
            models.CheckConstraint(
                condition=Q(min_responses__gte=1), name="participation_scheme_min_responses"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RatingSurvey(models.Model):
    """A rating survey (物业服务测评) of one period over an area (usually the town)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=100)
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("scoring scheme"), on_delete=models.PROTECT
    )
    items = models.ManyToManyField(ServiceItem, through="SurveyItem", related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "id"]
        verbose_name = _("rating survey")
        verbose_name_plural = _("rating surveys")
        constraints = [
            models.UniqueConstraint(
                fields=["cell", "period_start"], name="participation_one_survey_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="participation_survey_period",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="participation_survey_window"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SurveyItem(models.Model):
    """A service item as asked in one survey; its weight is copied when the survey opens so
    that editing the item later never changes a past survey's arithmetic."""

    survey = models.ForeignKey(RatingSurvey, on_delete=models.CASCADE, related_name="survey_items")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=60)
    weight = models.PositiveSmallIntegerField(_("weight"))
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "item"], name="participation_survey_item")
        ]

    def __str__(self) -> str:
        return self.name


class RatingResponse(models.Model):
    """One household's answer to a survey. A household is the dwelling the rater lives in per
    the registry; the database refuses a second response from the same dwelling."""

    survey = models.ForeignKey(RatingSurvey, on_delete=models.PROTECT, related_name="responses")
    estate = models.ForeignKey("registry.Estate", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey("registry.Dwelling", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    # Σ stars × item weight and Σ item weight: the estate's rating is one SUM away.
    weighted_stars = models.PositiveIntegerField()
    weight_total = models.PositiveIntegerField()
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("rating response")
        verbose_name_plural = _("rating responses")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "dwelling"], name="participation_one_rating_per_household"
            ),
            models.CheckConstraint(
                condition=Q(weight_total__gt=0)
                & Q(weighted_stars__gte=F("weight_total"))
                & Q(weighted_stars__lte=F("weight_total") * 5),
                name="participation_rating_stars_range",
            ),
        ]
        indexes = [models.Index(fields=["survey", "estate"], name="participation_rating_estate")]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.dwelling_id}"


class RatingAnswer(models.Model):
    response = models.ForeignKey(RatingResponse, on_delete=models.CASCADE, related_name="answers")
    survey_item = models.ForeignKey(SurveyItem, on_delete=models.PROTECT, related_name="answers")
    stars = models.PositiveSmallIntegerField(_("stars"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "survey_item"], name="participation_rating_answer_item"
            ),
            models.CheckConstraint(
                condition=Q(stars__gte=1, stars__lte=5), name="participation_rating_stars_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.survey_item_id}={self.stars}"


class SupervisionScore(models.Model):
    """The score of one estate or one company for a closed survey, with every count the
    arithmetic used, so that the page can show it and anyone can redo it."""

    class Kind(models.TextChoices):
        ESTATE = "estate", _("Estate")
        COMPANY = "company", _("Property company")

    class Listed(models.TextChoices):
        NONE = "", _("Not listed")
        RED = "red", _("Red list")
        BLACK = "black", _("Black list")

    survey = models.ForeignKey(RatingSurvey, on_delete=models.CASCADE, related_name="scores")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    estate = models.ForeignKey(
        "registry.Estate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="supervision_scores"
    )
    name = models.CharField(_("name"), max_length=100)
    responses = models.PositiveIntegerField(default=0)
    weighted_stars = models.PositiveIntegerField(default=0)
    weight_total = models.PositiveIntegerField(default=0)
    cases_reported = models.PositiveIntegerField(default=0)
    cases_resolved = models.PositiveIntegerField(default=0)
    cases_due = models.PositiveIntegerField(default=0)
    cases_on_time = models.PositiveIntegerField(default=0)
    cases_rated = models.PositiveIntegerField(default=0)
    cases_satisfied = models.PositiveIntegerField(default=0)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    listed = models.CharField(
        _("list"), max_length=8, choices=Listed.choices, blank=True, default=""
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["survey", "kind", "rank", "name"]
        verbose_name = _("supervision score")
        verbose_name_plural = _("supervision scores")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "estate"],
                condition=Q(kind="estate"),
                name="participation_score_one_per_estate",
            ),
            models.UniqueConstraint(
                fields=["survey", "company"],
                condition=Q(kind="company"),
                name="participation_score_one_per_company",
            ),
            models.CheckConstraint(
                condition=Q(kind="company", estate__isnull=True)
                | Q(kind="estate", estate__isnull=False),
                name="participation_score_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.score}"


class DisclosureVersion(models.Model):
    """One version of an estate's 四公开一监督 page: fees (收费标准), the maintenance fund's
    income and spending, contracts, the owners' committee. Never edited: a change is a new
    version with who and when (and an audit row)."""

    estate = models.ForeignKey(
        "registry.Estate", on_delete=models.PROTECT, related_name="disclosure_versions"
    )
    version = models.PositiveIntegerField()
    content = models.JSONField(default=dict)
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"))

    class Meta:
        ordering = ["estate", "-version"]
        verbose_name = _("disclosure version")
        verbose_name_plural = _("disclosure versions")
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "version"], name="participation_disclosure_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.estate_id} v{self.version}"
