"""Users, the organisations they work for, and where they sit in the grid."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role


class User(AbstractUser):
    """A person who signs in: staff of any role, or a resident."""

    display_name = models.CharField(_("name"), max_length=64, blank=True)
    # The TOTP secret is encrypted at rest with the field-encryption keys (core.crypto).
    totp_secret_encrypted = models.TextField(blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField(_("two-factor enabled at"), null=True, blank=True)
    totp_last_used_step = models.BigIntegerField(default=0, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A staff member's work mobile, for alarms sent by SMS (告警短信): AES-GCM ciphertext under
    # ``accounts.work_phone`` and the digits the masked form shows (DESIGN D6).
    work_phone_encrypted = models.TextField(blank=True, editable=False)
    work_phone_prefix = models.CharField(max_length=3, blank=True, editable=False)
    work_phone_last4 = models.CharField(max_length=4, blank=True, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None and bool(self.totp_secret_encrypted)

    @property
    def work_phone_masked(self) -> str:
        """``139****5678``, or empty when no work phone is on record."""
        if not self.work_phone_last4:
            return ""
        return f"{self.work_phone_prefix}****{self.work_phone_last4}"


class Organization(models.Model):
    """A body staff work for: the operations centre, a department, a committee, a property
    company. Department handlers see the cases routed to their department."""

    class Kind(models.TextChoices):
        OPERATIONS_CENTRE = "operations_centre", _("Operations centre")
        DEPARTMENT = "department", _("Functional department")
        COMMITTEE = "committee", _("Residents'/villagers' committee")
        PROPERTY_COMPANY = "property_company", _("Property company")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """``Membership(user, cell, role)``: the role's permissions over the cell's subtree."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cell", "role"], name="accounts_membership_unique_role_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.cell_id}"


class LoginAttempt(models.Model):
    """Every sign-in attempt, kept for throttling and lockout across processes (ASVS V2.2).

    ``username`` is stored case-folded so that ``Admin`` and ``admin`` share one counter.
    A failure that reaches the limit starts a lock (``started_user_lock`` /
    ``started_ip_lock``); attempts made while locked are ``refused`` and never counted, so a
    lock ends on time and the next window starts empty.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Signed in")
        PASSWORD_VERIFIED = "password_verified", _("Password right, second factor pending")
        FAILURE = "failure", _("Failed")
        REFUSED = "refused", _("Refused while locked")

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField(default=False)
    outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.FAILURE, db_index=True
    )
    started_user_lock = models.BooleanField(default=False)
    started_ip_lock = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("sign-in attempt")
        indexes = [
            models.Index(fields=["username", "at"]),
            models.Index(fields=["ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
