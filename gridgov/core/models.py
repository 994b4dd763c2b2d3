"""The shared kernel's tables: the audit trail and the periodic-job ledger."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditTrailIsAppendOnlyError(RuntimeError):
    """Audit rows are never changed or deleted through the application."""


class AuditEntry(models.Model):
    """One audited act: a write, an export, a reveal of personal data, a login (DESIGN D8).

    Each row carries the hash of the row before it, so that changing or deleting any row
    breaks the chain (``gridgov audit verify``). ``object_label`` never holds personal data.
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    purpose = models.CharField(_("stated purpose"), max_length=500, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditTrailIsAppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditTrailIsAppendOnlyError("audit entries cannot be deleted")


class AuditChainHead(models.Model):
    """The last link of the chain: lets ``audit verify`` notice a deleted newest row.

    A single row (pk=1), locked while a new entry is appended so entries never fork.
    """

    last_entry_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    entry_count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"audit head #{self.last_entry_id}"


class PeriodicRun(models.Model):
    """The ledger of one periodic job run by the embedded scheduler (DESIGN D4).

    ``next_run_at`` is the next slot. A process claims a slot with one conditional UPDATE
    that also moves ``next_run_at`` forward, so two ``gridgov serve`` processes never run the
    same slot, and a restart finds the schedule where it was left. ``running_until`` is the
    claim's lease: a run whose process died is taken over once the lease has passed.
    """

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    running_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    run_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("periodic job run")

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """A message in a staff member's inbox: a reminder (expiring lease, deadline) or a notice.

    ``dedupe_key`` makes posting idempotent: a periodic job that runs twice posts once.
    """

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        REMINDER = "reminder", _("Reminder")
        WARNING = "warning", _("Warning")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.INFO)
    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


class CalendarOverride(models.Model):
    """A local exception to the State Council's holiday arrangement: a day declared a working
    day or a day off by the town (e.g. a typhoon closure). It wins over ``chinese-calendar``."""

    day = models.DateField(_("day"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {'working' if self.is_working_day else 'off'}"


class Notification(models.Model):
    """One message to one person through one channel (in-app or SMS), sent at most once.

    ``dedupe_key`` makes sending idempotent: a retried job that notifies the same person of the
    same thing finds the row already there. SMS numbers are stored encrypted, never in clear.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    phone_encrypted = models.TextField(blank=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    error = models.CharField(_("error"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="core_notif_unread"),
            models.Index(fields=["status", "channel"], name="core_notif_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.subject}"
