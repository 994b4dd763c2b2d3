"""Cases (工单): what was reported, where, to whom it went, every step taken, and how it ended.

A case is one matter from one report. Its ``status`` follows the state machine in
``cases.lifecycle``; every step is an append-only ``CaseEvent``. ``cell`` is where the matter is
(from its location); ``handling_cell`` is the level that holds it now — the same cell at first,
a parent after an escalation (吹哨). ``version`` is bumped by every transition so that two
handlers acting on one case at once cannot both win.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseAppendOnlyError(RuntimeError):
    """Timeline entries are never changed or deleted."""


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("Hours (calendar)")
    WORKING_DAYS = "working_days", _("Working days")


class Category(models.Model):
    """A kind of matter (建设交通 › 道路破损 …): who handles it and how fast.

    A top-level category groups subcategories; cases are filed under a subcategory (or under a
    top-level category that has none). ``code`` doubles as the Open311 ``service_code``.
    """

    class RequiredField(models.TextChoices):
        LOCATION = "location", _("Location")
        PHOTO = "photo", _("Photo")
        CALLBACK_PHONE = "callback_phone", _("Callback number")
        ADDRESS = "address", _("Address")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    department = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("handling department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_categories",
    )
    is_property_matter = models.BooleanField(
        _("property matter"),
        default=False,
        help_text=_("Inside an estate it goes to the estate's property company."),
    )
    accept_within = models.PositiveIntegerField(_("accept within"), default=2)
    accept_unit = models.CharField(
        _("unit"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.HOURS
    )
    resolve_within = models.PositiveIntegerField(_("resolve within"), default=5)
    resolve_unit = models.CharField(
        _("unit"), max_length=16, choices=DeadlineUnit.choices, default=DeadlineUnit.WORKING_DAYS
    )
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    # Open311 service-definition attributes: [{code, datatype, required, description, order,
    # values: [{key, name}]}] with datatype one of string, number, datetime, text,
    # singlevaluelist, multivaluelist.
    attributes = models.JSONField(_("questions"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    def __str__(self) -> str:
        return self.name

    @property
    def requires_photo(self) -> bool:
        return self.RequiredField.PHOTO in (self.required_fields or [])


class Channel(models.TextChoices):
    RESIDENT = "resident", _("Resident report")
    HOTLINE = "hotline", _("Hotline (12345/365)")
    VISIT = "visit", _("Grid-worker visit")
    SYSTEM = "system", _("System (alarm, inspection)")
    OPEN311 = "open311", _("Open311 client")
    STAFF = "staff", _("Staff entry")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    RETURNED = "returned", _("Returned")
    SUSPENDED = "suspended", _("Suspended")
    MERGED = "merged", _("Merged")


# Statuses in which a case still needs work (Open311 "open").
OPEN_STATUSES: tuple[str, ...] = (
    Status.NEW,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RETURNED,
    Status.SUSPENDED,
)
# Open statuses in which the deadline clock runs (a suspended case waits for a third party).
RUNNING_STATUSES: tuple[str, ...] = (
    Status.NEW,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RETURNED,
)


# --- What the statistics count (``cases.selectors.statistics``) -----------------------------
# Two columns the database computes itself on every write of a case (generated, stored), so
# that a figure over a million cases reads one narrow index instead of whole rows and nothing
# can leave them stale. ``stat_code`` packs what is known once the case is written (bits below,
# the rating times ``STAT_RATING``); what depends on the time of asking (deadlines passed) is
# compared when counting. ``stat_step`` is the step of the time to resolve (5 minutes up to a
# day, then hours) of a resolved or closed case, NULL otherwise.
STAT_RESOLVED = 1  # resolved or closed
STAT_ACCEPTED = 2
STAT_ACCEPTED_ON_TIME = 4
STAT_RESOLVED_ON_TIME = 8
STAT_REOPENED = 16
STAT_OPEN = 32
STAT_WHISTLED = 64
STAT_RATING = 128  # rating (1–5, 0 unrated) times this
STAT_FINE_STEP, STAT_FINE_STEPS, STAT_COARSE_STEP = 300, 288, 3600


class ResolveSeconds(models.Func):
    """Seconds from report to resolution, in the database's own arithmetic."""

    output_field = models.FloatField()

    def __init__(self) -> None:
        super().__init__(models.F("resolved_at"), models.F("created_at"))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        resolved, resolved_params = compiler.compile(self.source_expressions[0])
        created, created_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "postgresql":
            sql = f"date_part('epoch', {resolved} - {created})"
        elif connection.vendor == "sqlite":
            sql = f"((julianday({resolved}) - julianday({created})) * 86400.0)"
        else:
            sql = f"TIMESTAMPDIFF(SECOND, {created}, {resolved})"
        return sql, [*resolved_params, *created_params]


class ResolveStep(models.Func):
    """The step of the histogram a time to resolve falls in (see ``stat_step``); on SQLite from
    whole seconds (exact: the steps are whole seconds too)."""

    output_field = models.IntegerField()

    def __init__(self) -> None:
        super().__init__(models.F("resolved_at"), models.F("created_at"))

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        resolved, resolved_params = compiler.compile(self.source_expressions[0])
        created, created_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            seconds = (
                f"(CAST(strftime(%s, {resolved}) AS integer)"
                f" - CAST(strftime(%s, {created}) AS integer))"
            )
            params = ["%s", *resolved_params, "%s", *created_params]
        else:
            seconds = f"date_part('epoch', {resolved} - {created})"
            params = [*resolved_params, *created_params]
        day = STAT_FINE_STEP * STAT_FINE_STEPS
        sql = (
            f"CAST(CASE WHEN {seconds} < {day} THEN floor({seconds} / {STAT_FINE_STEP}) "
            f"ELSE {STAT_FINE_STEPS} + floor(({seconds} - {day}) / {STAT_COARSE_STEP}) END "
            "AS integer)"
        )
        return sql, [*params, *params, *params]


def _stat_bit(condition: Q, bit: int) -> models.Case:
    return models.Case(models.When(condition, then=models.Value(bit)), default=models.Value(0))


def _stat_code() -> models.Expression:
    finished = Q(status__in=(Status.RESOLVED, Status.CLOSED))
    accepted = Q(accepted_at__isnull=False)
    parts = [
        _stat_bit(finished, STAT_RESOLVED),
        _stat_bit(accepted, STAT_ACCEPTED),
        _stat_bit(
            accepted
            & (Q(accept_due_at__isnull=True) | Q(accepted_at__lte=models.F("accept_due_at"))),
            STAT_ACCEPTED_ON_TIME,
        ),
        _stat_bit(
            finished
            & Q(resolved_at__isnull=False)
            & (Q(resolve_due_at__isnull=True) | Q(resolved_at__lte=models.F("resolve_due_at"))),
            STAT_RESOLVED_ON_TIME,
        ),
        _stat_bit(Q(reopen_count__gt=0), STAT_REOPENED),
        _stat_bit(Q(status__in=OPEN_STATUSES), STAT_OPEN),
        _stat_bit(Q(is_whistled=True), STAT_WHISTLED),
    ]
    code: Any = models.functions.Coalesce(models.F("rating"), models.Value(0)) * STAT_RATING
    for part in parts:
        code = code + part
    return code  # type: ignore[no-any-return]


def _stat_step() -> models.Case:
    return models.Case(
        models.When(
            Q(status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__isnull=False),
            then=ResolveStep(),
        ),
        default=models.Value(None),
        output_field=models.IntegerField(),
    )


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW, db_index=True
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("original words"))
    attributes = models.JSONField(_("answers"), default=dict, blank=True)

    # Where
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="cases"
    )
    handling_cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("handled at"),
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )

    # Who reported (personal data: the phone is encrypted, shown masked)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=64, blank=True)
    reporter_phone_encrypted = models.TextField(blank=True, editable=False)
    reporter_phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    reporter_phone_last4 = models.CharField(max_length=4, blank=True, editable=False)
    api_client = models.ForeignKey(
        "cases.ApiClient",
        verbose_name=_("client system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    # A double-submitted form carries the same key and finds the case already there.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    # To whom
    department = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="department_cases",
    )
    property_company = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="property_cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )

    # When
    created_at = models.DateTimeField(_("reported at"), db_index=True)
    accept_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    status_before_suspension = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Flags the deadline scan sets (each once per deadline; cleared when a deadline moves)
    accept_reminded_at = models.DateTimeField(null=True, blank=True)
    resolve_reminded_at = models.DateTimeField(null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    accepted_late = models.BooleanField(default=False)
    resolved_late = models.BooleanField(default=False)

    escalation_count = models.PositiveSmallIntegerField(_("escalations"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    is_whistled = models.BooleanField(_("whistled"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )

    # The resident's verdict
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    version = models.PositiveIntegerField(default=0)

    # What the statistics count (see STAT_* above); written by the database, never by us.
    stat_code = models.GeneratedField(
        expression=_stat_code(), output_field=models.SmallIntegerField(), db_persist=True
    )
    stat_step = models.GeneratedField(
        expression=_stat_step(), output_field=models.IntegerField(), db_persist=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["status", "resolve_due_at"], name="cases_case_due"),
            models.Index(fields=["status", "accept_due_at"], name="cases_case_accept_due"),
            models.Index(fields=["department", "status"], name="cases_case_department"),
            models.Index(fields=["assignee", "status"], name="cases_case_assignee"),
            models.Index(fields=["category", "created_at"], name="cases_case_category"),
            models.Index(fields=["created_at", "cell"], name="cases_case_period"),
            models.Index(fields=["updated_at"], name="cases_case_updated"),
            # The statistics read only this index (PostgreSQL: an index-only scan; elsewhere
            # the columns are not included).
            models.Index(
                fields=["created_at"],
                include=[
                    "stat_code",
                    "stat_step",
                    "accept_due_at",
                    "resolve_due_at",
                    "category",
                    "channel",
                    "cell",
                    "handling_cell",
                    "department",
                    "property_company",
                    "reporter",
                    "assignee",
                ],
                condition=~Q(status="merged"),
                name="cases_case_statistics",
            ),
            # The deadline scan: the open cases whose deadline is still to be flagged.
            models.Index(
                fields=["accept_due_at"],
                condition=Q(status="new", accept_reminded_at__isnull=True),
                name="cases_case_accept_remind",
            ),
            models.Index(
                fields=["resolve_due_at"],
                condition=Q(status__in=RUNNING_STATUSES, resolve_reminded_at__isnull=True),
                name="cases_case_resolve_remind",
            ),
            models.Index(
                fields=["accept_due_at"],
                condition=Q(status="new", is_overdue=False),
                name="cases_case_accept_overdue",
            ),
            models.Index(
                fields=["resolve_due_at"],
                condition=Q(status__in=RUNNING_STATUSES, is_overdue=False),
                name="cases_case_resolve_overdue",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="cases_case_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseEvent(models.Model):
    """One step in a case's life. Append-only: 来源可查、去向可追、监管留痕、责任可究."""

    class Action(models.TextChoices):
        CREATED = "created", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        DISPATCHED = "dispatched", _("Dispatched")
        GRABBED = "grabbed", _("Taken by the property company")
        STARTED = "started", _("Work started")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        RETURNED = "returned", _("Returned")
        REOPENED = "reopened", _("Reopened")
        SUSPENDED = "suspended", _("Suspended")
        RESUMED = "resumed", _("Resumed")
        MERGED = "merged", _("Merged")
        ESCALATED = "escalated", _("Escalated")
        WHISTLED = "whistled", _("Whistle blown")
        REPORTED_IN = "reported_in", _("Department reported in")
        SQUAD_FORMED = "squad_formed", _("Joint squad formed")
        REMINDED = "reminded", _("Deadline reminder")
        OVERDUE = "overdue", _("Deadline passed")
        RATED = "rated", _("Rated by the resident")
        COMMENTED = "commented", _("Note")
        ASSIGNED = "assigned", _("Assigned")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case step")
        verbose_name_plural = _("case timeline")
        indexes = [models.Index(fields=["case", "at"], name="cases_event_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise CaseAppendOnlyError("timeline entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise CaseAppendOnlyError("timeline entries cannot be deleted")


def attachment_path(instance: Attachment, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"cases/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Attachment(models.Model):
    """A photo, voice recording or document on a case step or a visit (checked on upload)."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        VOICE = "voice", _("Voice recording")
        DOCUMENT = "document", _("Document")

    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    visit = models.ForeignKey(
        "cases.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class Visit(models.Model):
    """电子走访: a grid worker at a building (reached by its QR code), with or without a case."""

    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="visits"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid worker"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    at = models.DateTimeField(_("time"), db_index=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("GPS accuracy (m)"), null=True, blank=True)
    note = models.TextField(_("what was seen"), blank=True)
    case = models.OneToOneField(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="visit"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")

    def __str__(self) -> str:
        return f"{self.building_id} {self.at:%Y-%m-%d}"


class Whistle(models.Model):
    """吹哨报到: several departments summoned to one case; each must report in, one leads."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    called_at = models.DateTimeField(_("called at"))
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    lead_department = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    report_due_at = models.DateTimeField(_("report in by"))

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("whistle")
        verbose_name_plural = _("whistles")

    def __str__(self) -> str:
        return f"{self.case_id} {self.called_at:%Y-%m-%d %H:%M}"


class WhistleSummons(models.Model):
    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_at = models.DateTimeField(_("reported in at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    late_flagged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("summons")
        verbose_name_plural = _("summonses")
        constraints = [
            models.UniqueConstraint(
                fields=["whistle", "department"], name="cases_summons_once_per_department"
            )
        ]

    def __str__(self) -> str:
        return f"{self.whistle_id} {self.department_id}"


class SquadMember(models.Model):
    """因事聚人: a member of the joint squad gathered for one hard case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="squad")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=64)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("role in the squad"), max_length=64, blank=True)
    added_at = models.DateTimeField(_("added"))

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("squad member")
        verbose_name_plural = _("joint squad")

    def __str__(self) -> str:
        return self.name


class ApiClient(models.Model):
    """A named client system allowed to file cases over Open311 (its key is stored hashed)."""

    name = models.CharField(_("client system"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("key begins"), max_length=8, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CaseNumberCounter(models.Model):
    """The last case number handed out on one day (``YYYYMMDD``): one row per day, raised by
    an ``UPDATE … SET last = last + 1`` so that concurrent reports never share a number."""

    day = models.CharField(max_length=8, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")

    def __str__(self) -> str:
        return f"{self.day}:{self.last}"
