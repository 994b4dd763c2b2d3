"""Owners' votes (业主共同决定, 民法典 第278条): the vote, its roll, proxies and ballots.

The roll (``Voter``) is a snapshot of the registry's ownership records taken when the vote
opens; it is what the quorum and the approval count, as the Supreme People's Court
interpretation on building ownership (法释〔2009〕7号, 2020年修正, 第8–9条) says: area is the
registered exclusive area, and owners are counted once however many units they hold. Areas are
stored as whole multiples of ``Vote.area_unit`` (1/100 m² divided by the common denominator of
the ownership shares) so that the database sums them exactly and the tally stays exact.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "Ballot",
    "BallotChannel",
    "BallotChoice",
    "MatterType",
    "ProxyAuthorisation",
    "ResultsVisibility",
    "Vote",
    "VoteOption",
    "VoteOptionsKind",
    "VoteStatus",
    "Voter",
    "VoterMember",
]


class MatterType(models.TextChoices):
    """The matters of 民法典 第278条 第1款, items 1–9 (the value carries the item number)."""

    RULES_OF_PROCEDURE = (
        "item1_rules_of_procedure",
        _("Adopt or amend the owners' rules of procedure"),
    )
    MANAGEMENT_STATUTE = "item2_management_statute", _("Adopt or amend the management statute")
    COMMITTEE_ELECTION = "item3_committee", _("Elect the owners' committee or replace its members")
    PROPERTY_MANAGER = (
        "item4_property_manager",
        _("Engage or dismiss the property service company or other manager"),
    )
    FUND_USE = "item5_fund_use", _("Use the maintenance fund of the buildings and facilities")
    FUND_RAISING = (
        "item6_fund_raising",
        _("Raise the maintenance fund of the buildings and facilities"),
    )
    ALTERATION = "item7_alteration", _("Alter or rebuild the buildings and their facilities")
    COMMON_PART_USE = (
        "item8_common_part_use",
        _("Change the use of common parts or run a business with them"),
    )
    OTHER_MAJOR = "item9_other_major", _("Other major matters of common ownership and management")


class VoteOptionsKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes / no / abstain")
    PLANS = "plans", _("Choice between plans")


class ResultsVisibility(models.TextChoices):
    LIVE = "live", _("Live tally")
    SEALED_UNTIL_CLOSE = "sealed", _("Sealed until the close")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BallotChoice(models.TextChoices):
    # In the ballot's sense (同意 / 不同意 / 弃权), apart from a plain yes or no elsewhere.
    YES = "yes", pgettext_lazy("ballot", "Yes")
    NO = "no", pgettext_lazy("ballot", "No")
    ABSTAIN = "abstain", pgettext_lazy("ballot", "Abstain")
    OPTION = "option", _("Plan")


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    PAPER = "paper", _("Paper ballot")
    PROXY = "proxy", _("By proxy")


class Vote(models.Model):
    """A decision the owners of an estate, a building or a doorway take together (业主表决).

    Exactly one of ``estate``, ``building``, ``unit`` is the scope. The matter type fixes the
    thresholds through the rule set (``gridgov.participation.rules``).
    """

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    unit = models.ForeignKey(
        "registry.Unit",
        verbose_name=_("doorway"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="votes",
    )
    matter = models.CharField(_("matter"), max_length=40, choices=MatterType.choices)
    is_elevator = models.BooleanField(
        _("adding an elevator (加装电梯)"),
        default=False,
        help_text=_("Some local rule sets count elevator votes differently."),
    )
    rule_set = models.CharField(_("rule set"), max_length=40, default="civil_code_2021")
    options_kind = models.CharField(
        _("options"), max_length=16, choices=VoteOptionsKind.choices, default=VoteOptionsKind.YES_NO
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    visibility = models.CharField(
        _("results"),
        max_length=16,
        choices=ResultsVisibility.choices,
        default=ResultsVisibility.LIVE,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=VoteStatus.choices, default=VoteStatus.DRAFT
    )
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="votes"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Roll totals, fixed at opening. Areas in units of 1 / area_unit_denominator m².
    area_unit_denominator = models.PositiveBigIntegerField(default=100)
    total_area_units = models.PositiveBigIntegerField(default=0)
    total_owners = models.PositiveIntegerField(default=0)
    total_units = models.PositiveIntegerField(default=0)
    seal_hash = models.CharField(_("seal"), max_length=64, blank=True)
    ballot_count_at_close = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(_("certified result"), null=True, blank=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(estate__isnull=False, building__isnull=True, unit__isnull=True)
                    | Q(estate__isnull=True, building__isnull=False, unit__isnull=True)
                    | Q(estate__isnull=True, building__isnull=True, unit__isnull=False)
                ),
                name="participation_vote_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="participation_vote_dates",
            ),
        ]
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_label(self) -> str:
        scope = self.unit or self.building or self.estate
        return str(scope) if scope is not None else ""


class VoteOption(models.Model):
    """One of the plans of a choice vote (e.g. Pujin's design plans)."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="options"
    )
    label = models.CharField(_("plan"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["vote_id", "sort_order", "id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [
            models.UniqueConstraint(fields=["vote", "label"], name="participation_option_label")
        ]

    def __str__(self) -> str:
        return self.label


class Voter(models.Model):
    """One counted owner on the roll (计票业主): a person, co-owners of a unit, or an organisation
    (the developer's unsold units count as one owner together).

    ``key`` names who it is (``p12``, ``p12+p15`` for co-owners, ``o3`` for an organisation);
    ``area_units`` is the exclusive area held in scope, weighted by the ownership shares, in
    units of ``1 / vote.area_unit_denominator`` m²; ``area_m2`` the same rounded for display.
    """

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="voters"
    )
    key = models.CharField(max_length=200)
    organization = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owning organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    designated_person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("votes for the co-owners"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    area_units = models.PositiveBigIntegerField()
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=14, decimal_places=2)
    unit_count = models.PositiveIntegerField(_("units"))
    label = models.CharField(_("rooms"), max_length=200, blank=True)

    class Meta:
        ordering = ["vote_id", "id"]
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [
            models.UniqueConstraint(fields=["vote", "key"], name="participation_voter_key")
        ]

    def __str__(self) -> str:
        return f"{self.vote_id}:{self.key}"


class VoterMember(models.Model):
    """A person who is (one of) the owner(s) a ``Voter`` stands for; one roll entry per person."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="voter_members")
    voter = models.ForeignKey(Voter, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("voter member")
        verbose_name_plural = _("voter members")
        constraints = [
            models.UniqueConstraint(fields=["vote", "person"], name="participation_voter_person")
        ]
        indexes = [models.Index(fields=["person", "vote"])]

    def __str__(self) -> str:
        return f"{self.voter_id}:{self.person_id}"


def proxy_document_path(instance: ProxyAuthorisation, filename: str) -> str:
    return f"participation/votes/{instance.vote_id}/proxies/{filename}"


def paper_ballot_path(instance: Ballot, filename: str) -> str:
    return f"participation/votes/{instance.vote_id}/paper/{filename}"


class ProxyAuthorisation(models.Model):
    """A written authorisation (授权委托书) for a proxy to vote for one owner in one vote."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.CASCADE, related_name="proxies"
    )
    voter = models.ForeignKey(
        Voter, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="proxies"
    )
    proxy_person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("proxy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proxy_name = models.CharField(_("proxy's name"), max_length=64, blank=True)
    reference = models.CharField(_("authorisation reference"), max_length=100)
    document = models.FileField(_("authorisation document"), upload_to=proxy_document_path)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["vote_id", "id"]
        verbose_name = _("proxy authorisation")
        verbose_name_plural = _("proxy authorisations")
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="participation_one_proxy")
        ]

    def __str__(self) -> str:
        return self.reference


class Ballot(models.Model):
    """One owner's ballot. The database allows one per owner per vote. Ballots are never edited:
    the services only insert, under a lock on the vote row that the close takes too, deletion is
    blocked by ``PROTECT`` on every reference, and the seal recorded at the close shows any later
    change."""

    vote = models.ForeignKey(
        Vote, verbose_name=_("vote"), on_delete=models.PROTECT, related_name="ballots"
    )
    voter = models.ForeignKey(
        Voter, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="ballots"
    )
    choice = models.CharField(_("choice"), max_length=8, choices=BallotChoice.choices)
    option = models.ForeignKey(
        VoteOption,
        verbose_name=_("plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ballots",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=BallotChannel.choices)
    # The signed-in account that cast or entered it; empty only for ballots brought in from
    # another system (the demo town's history).
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cast by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cast_by_person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("cast by person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proxy = models.ForeignKey(
        ProxyAuthorisation,
        verbose_name=_("proxy authorisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ballots",
    )
    paper_photo = models.FileField(
        _("photo of the paper ballot"), upload_to=paper_ballot_path, blank=True
    )
    # The voter's weight copied at casting, so that the tally sums one table.
    area_units = models.PositiveBigIntegerField()
    unit_count = models.PositiveIntegerField()
    receipt = models.CharField(_("receipt code"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("cast at"))

    class Meta:
        ordering = ["vote_id", "created_at", "id"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["vote", "voter"], name="participation_one_ballot"),
            models.CheckConstraint(
                condition=(Q(choice="option") & Q(option__isnull=False))
                | (~Q(choice="option") & Q(option__isnull=True)),
                name="participation_ballot_option",
            ),
            models.CheckConstraint(
                condition=~Q(channel="proxy") | Q(proxy__isnull=False),
                name="participation_ballot_proxy",
            ),
        ]
        indexes = [models.Index(fields=["vote", "choice", "option"])]

    def __str__(self) -> str:
        return self.receipt
