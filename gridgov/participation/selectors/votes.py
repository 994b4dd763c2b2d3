"""Reads of owners' votes, always for an acting user (DESIGN D7).

Staff see the votes of their area (``participation.view``); an owner sees the votes whose roll
they are on, or for which they are a recorded proxy. The ballot list is open to both, with
names masked (公开透明, seed 000). A vote whose results are sealed until the close shows only
its number of ballots, to everyone, until it closes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission, scope_for
from gridgov.participation import rules
from gridgov.participation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    ProxyAuthorisation,
    ResultsVisibility,
    Vote,
    Voter,
    VoterMember,
    VoteStatus,
)
from gridgov.participation.services.votes import (
    VoteNotFoundError,
    choice_key,
    count_ballots,
    option_keys,
    option_labels,
    seal_digest,
    vote_outcome,
)
from gridgov.registry.models import Person, PersonAccount
from gridgov.registry.selectors.accounts import person_for_account
from gridgov.registry.services.protection import mask_name

# --- Access ------------------------------------------------------------------------------------


def _is_staff_viewer(actor: Any, vote: Vote) -> bool:
    code = vote.cell.code
    return has_permission(actor, Perm.PARTICIPATION_VIEW, cell_code=code) or has_permission(
        actor, Perm.VOTE_MANAGE, cell_code=code
    )


# What the vote pages show of a vote besides the vote itself: its area and its scope.
_PAGE_JOINS = ("cell", "estate", "building__estate", "unit__building__estate")


def _vote_with_access(actor: Any, vote_id: int, joins: tuple[str, ...]) -> Vote:
    """The vote if the actor may see it, in one query: the vote with ``joins``, and whether the
    actor's registry person is on its roll or a recorded proxy in it; the staff check then reads
    the actor's memberships (once per request, cached on the user)."""
    votes = Vote.objects.select_related(*joins).filter(pk=vote_id).order_by()
    if actor is not None and getattr(actor, "is_authenticated", False):
        person = Subquery(PersonAccount.objects.filter(user_id=actor.pk).values("person_id")[:1])
        votes = votes.annotate(
            actor_on_roll=Exists(
                VoterMember.objects.filter(vote_id=OuterRef("pk"), person_id=person)
            ),
            actor_is_proxy=Exists(
                ProxyAuthorisation.objects.filter(vote_id=OuterRef("pk"), proxy_person_id=person)
            ),
        )
    found = list(votes)
    if not found:
        raise VoteNotFoundError()
    vote = found[0]
    if _is_staff_viewer(actor, vote):
        return vote
    takes_part = getattr(vote, "actor_on_roll", False) or getattr(vote, "actor_is_proxy", False)
    if takes_part and vote.status != VoteStatus.DRAFT:
        return vote
    raise VoteNotFoundError()


def vote_list_for_actor(
    *, actor: Any, status: str | None = None, estate_id: int | None = None
) -> QuerySet[Vote]:
    """The votes of the actor's area (``participation.view``), newest first."""
    scope = scope_for(actor, Perm.PARTICIPATION_VIEW)
    votes = scope.filter(
        Vote.objects.select_related("cell", "estate", "building__estate", "unit__building__estate"),
        code_field="cell__code",
    )
    if status:
        votes = votes.filter(status=status)
    if estate_id:
        votes = votes.filter(
            Q(estate_id=estate_id)
            | Q(building__estate_id=estate_id)
            | Q(unit__building__estate_id=estate_id)
        )
    return votes


def vote_get_for_actor(*, actor: Any, vote_id: int) -> Vote:
    """The vote, if the actor may see it: staff of its area, or an owner (or proxy) on its roll
    once it is open. One query."""
    return _vote_with_access(actor, vote_id, _PAGE_JOINS)


def vote_board_get_for_actor(*, actor: Any, vote_id: int) -> Vote:
    """The vote as its live board needs it (its area, no other joins), with the same access
    check as :func:`vote_get_for_actor`: the board's poll asks for this many times a second."""
    return _vote_with_access(actor, vote_id, ("cell",))


def vote_manage_allowed(*, actor: Any, vote: Vote) -> bool:
    return has_permission(actor, Perm.VOTE_MANAGE, cell_code=vote.cell.code)


# --- Owners ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerVoteRow:
    vote: Vote
    voter_id: int
    has_ballot: bool
    is_proxy: bool
    can_cast: bool


def _accepting(vote: Vote, now: datetime.datetime) -> bool:
    return vote.status == VoteStatus.OPEN and vote.opens_at <= now < vote.closes_at


def vote_list_for_owner(*, actor: Any, now: datetime.datetime | None = None) -> list[OwnerVoteRow]:
    """The votes the actor takes part in as an owner (or a recorded proxy), open ones first."""
    from django.utils import timezone

    now = now or timezone.now()
    person = person_for_account(actor)
    if person is None:
        return []
    has_ballot = Exists(
        Ballot.objects.filter(vote_id=OuterRef("vote_id"), voter_id=OuterRef("voter_id"))
    )
    own = VoterMember.objects.filter(person=person).exclude(vote__status=VoteStatus.DRAFT)
    proxied = ProxyAuthorisation.objects.filter(proxy_person=person).exclude(
        vote__status=VoteStatus.DRAFT
    )
    rows: list[OwnerVoteRow] = []
    links: list[tuple[Any, bool]] = [
        *((item, False) for item in own.select_related("vote").annotate(voted=has_ballot)),
        *((item, True) for item in proxied.select_related("vote").annotate(voted=has_ballot)),
    ]
    for link, is_proxy in links:
        rows.append(
            OwnerVoteRow(
                vote=link.vote,
                voter_id=link.voter_id,
                has_ballot=link.voted,
                is_proxy=is_proxy,
                can_cast=_accepting(link.vote, now) and not link.voted,
            )
        )
    rows.sort(key=lambda row: (row.vote.status != VoteStatus.OPEN, -row.vote.closes_at.timestamp()))
    return rows


@dataclass(frozen=True)
class OwnerVoteState:
    vote: Vote
    voter: Voter | None
    ballot: Ballot | None
    can_cast: bool
    refusal: str
    is_proxy: bool = False


def _roll_entry_for(
    vote: Vote, person: Person | None, voter_id: int | None
) -> tuple[Voter | None, bool]:
    """The actor's own roll entry, or (``voter_id``) the owner they are the recorded proxy for."""
    if person is None:
        return None, False
    member = VoterMember.objects.select_related("voter").filter(vote=vote, person=person).first()
    if voter_id is None or (member is not None and member.voter_id == voter_id):
        return (member.voter if member else None), False
    proxy = (
        ProxyAuthorisation.objects.select_related("voter")
        .filter(vote=vote, voter_id=voter_id, proxy_person=person)
        .first()
    )
    return (proxy.voter if proxy else None), proxy is not None


def vote_owner_state_for_actor(
    *,
    actor: Any,
    vote_id: int,
    voter_id: int | None = None,
    now: datetime.datetime | None = None,
) -> OwnerVoteState:
    """Where the acting owner stands on one vote: their roll entry (or, with ``voter_id``, that
    of the owner they are the recorded proxy for), the ballot, and whether they can vote now
    (with the reason when not)."""
    from django.utils import timezone

    now = now or timezone.now()
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    person = person_for_account(actor)
    voter, is_proxy = _roll_entry_for(vote, person, voter_id)
    ballot = Ballot.objects.filter(vote=vote, voter=voter).first() if voter else None
    refusal = ""
    if voter is None:
        refusal = _("You are not an owner on this vote's roll.")
    elif ballot is not None:
        refusal = _("You have voted.")
    elif vote.status == VoteStatus.CLOSED or (
        vote.status == VoteStatus.OPEN and now >= vote.closes_at
    ):
        refusal = _("The vote is closed.")
    elif not _accepting(vote, now):
        refusal = _("The vote is not open yet.")
    elif (
        not is_proxy
        and voter.designated_person_id
        and person is not None
        and voter.designated_person_id != person.pk
    ):
        refusal = _("The co-owners chose another of them to vote for this unit.")
    return OwnerVoteState(vote, voter, ballot, refusal == "", refusal, is_proxy)


# --- Tally -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionTally:
    key: str
    label: str
    owners: int
    heads: int
    area: Fraction

    @property
    def area_m2(self) -> Decimal:
        return rules.decimal_m2(self.area)


@dataclass(frozen=True)
class Tally:
    vote_id: int
    status: str
    is_sealed: bool
    ballot_count: int
    rule: rules.AppliedRule
    totals: rules.Counts
    participating: rules.Counts | None
    options: list[OptionTally] | None
    decision: rules.Decision | None
    winner: str | None

    @property
    def is_closed(self) -> bool:
        return self.status == VoteStatus.CLOSED

    @property
    def totals_area_m2(self) -> Decimal:
        return rules.decimal_m2(self.totals.area)

    @property
    def participating_area_m2(self) -> Decimal | None:
        return rules.decimal_m2(self.participating.area) if self.participating else None


def vote_tally(vote: Vote) -> Tally:
    """The tally of a vote the caller may already see: one aggregate query over the ballots
    (plus the plans' labels for a choice vote)."""
    rule = rules.rule_for(rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator)
    is_sealed = (
        vote.visibility == ResultsVisibility.SEALED_UNTIL_CLOSE and vote.status != VoteStatus.CLOSED
    )
    if is_sealed:
        totals = rules.Counts(
            Fraction(vote.total_area_units, vote.area_unit_denominator),
            vote.total_units if rule.head_basis == rules.HEADS_UNITS else vote.total_owners,
        )
        count = Ballot.objects.filter(vote_id=vote.pk).count()
        return Tally(vote.pk, vote.status, True, count, rule, totals, None, None, None, None)
    counts = count_ballots(vote)
    outcome = vote_outcome(vote, counts)
    labels = option_labels(vote)
    by_key = {count.key: count for count in counts}
    options = []
    for key in option_keys(vote):
        found = by_key.get(key)
        owners = found.owners if found else 0
        units = found.units if found else 0
        options.append(
            OptionTally(
                key=key,
                label=labels.get(key, key),
                owners=owners,
                heads=units if rule.head_basis == rules.HEADS_UNITS else owners,
                area=found.area if found else Fraction(0),
            )
        )
    return Tally(
        vote_id=vote.pk,
        status=vote.status,
        is_sealed=False,
        ballot_count=sum(count.owners for count in counts),
        rule=rule,
        totals=outcome.totals,
        participating=outcome.participating,
        options=options,
        decision=outcome.decision,
        winner=outcome.winner,
    )


def vote_tally_for_actor(*, actor: Any, vote_id: int) -> Tally:
    """The live board: by area and by head, per option, and the participation toward the
    quorum; or, for a vote sealed until the close, only how many have voted."""
    return vote_tally(vote_get_for_actor(actor=actor, vote_id=vote_id))


# --- Ballot list, roll, result, seal -----------------------------------------------------------


@dataclass(frozen=True)
class BallotRow:
    masked_name: str
    rooms: str
    choice_label: str | None
    channel_label: str
    cast_at: datetime.datetime
    receipt_tail: str


def _masked_voter_names(voter_ids: list[int]) -> dict[int, str]:
    names: dict[int, list[str]] = {}
    for voter_id, name in (
        VoterMember.objects.filter(voter_id__in=voter_ids)
        .order_by("voter_id", "person_id")
        .values_list("voter_id", "person__name")
    ):
        names.setdefault(voter_id, []).append(mask_name(name))
    return {voter_id: "、".join(parts) for voter_id, parts in names.items()}


def _organisation_label(voter: dict[str, Any]) -> str:
    if voter["voter__organization__name"]:
        return str(voter["voter__organization__name"])
    return _("Owner not on record")


def vote_ballot_list_for_actor(*, actor: Any, vote_id: int) -> list[BallotRow]:
    """Every ballot, open to the owners of the scope and to staff, names masked (张* + rooms).
    While a sealed vote is open the choices are hidden."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    is_sealed = (
        vote.visibility == ResultsVisibility.SEALED_UNTIL_CLOSE and vote.status != VoteStatus.CLOSED
    )
    labels = option_labels(vote)
    ballots: list[dict[str, Any]] = [
        dict(row)
        for row in (
            Ballot.objects.filter(vote=vote)
            .order_by("created_at", "id")
            .values(
                "voter_id",
                "voter__label",
                "voter__organization__name",
                "choice",
                "option_id",
                "channel",
                "created_at",
                "receipt",
            )
        )
    ]
    names = _masked_voter_names([row["voter_id"] for row in ballots])
    return [
        BallotRow(
            masked_name=names.get(row["voter_id"]) or _organisation_label(row),
            rooms=row["voter__label"],
            choice_label=None if is_sealed else labels[choice_key(row["choice"], row["option_id"])],
            channel_label=str(BallotChannel(row["channel"]).label),
            cast_at=row["created_at"],
            receipt_tail=row["receipt"][-4:],
        )
        for row in ballots
    ]


@dataclass(frozen=True)
class RollRow:
    voter_id: int
    masked_names: str
    rooms: str
    area_m2: Decimal
    unit_count: int
    is_organisation: bool
    designated_masked: str
    designated_person_id: int | None
    member_ids: list[int]
    has_ballot: bool
    has_proxy: bool


def vote_roll_for_actor(*, actor: Any, vote_id: int) -> list[RollRow]:
    """The roll for staff of the vote's area (paper ballots, proxies, designations); masked."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    if not _is_staff_viewer(actor, vote):
        raise VoteNotFoundError()
    voters = list(
        Voter.objects.filter(vote=vote)
        .select_related("organization", "designated_person")
        .annotate(
            voted=Exists(Ballot.objects.filter(voter_id=OuterRef("pk"))),
            proxied=Exists(ProxyAuthorisation.objects.filter(voter_id=OuterRef("pk"))),
        )
        .order_by("label", "id")
    )
    members: dict[int, list[tuple[int, str]]] = {}
    for voter_id, person_id, name in (
        VoterMember.objects.filter(vote=vote)
        .order_by("voter_id", "person_id")
        .values_list("voter_id", "person_id", "person__name")
    ):
        members.setdefault(voter_id, []).append((person_id, name))
    rows = []
    for voter in voters:
        people = members.get(voter.pk, [])
        if people:
            names = "、".join(mask_name(name) for _pk, name in people)
        elif voter.organization is not None:
            names = voter.organization.name
        else:
            names = _("Owner not on record")
        rows.append(
            RollRow(
                voter_id=voter.pk,
                masked_names=names,
                rooms=voter.label,
                area_m2=voter.area_m2,
                unit_count=voter.unit_count,
                is_organisation=voter.organization_id is not None,
                designated_masked=(
                    mask_name(voter.designated_person.name) if voter.designated_person else ""
                ),
                designated_person_id=voter.designated_person_id,
                member_ids=[person_id for person_id, _name in people],
                has_ballot=voter.voted,
                has_proxy=voter.proxied,
            )
        )
    return rows


@dataclass(frozen=True)
class ProxyRow:
    proxy_id: int
    voter_id: int
    rooms: str
    owner_masked: str
    proxy_masked: str
    reference: str
    recorded_at: datetime.datetime
    has_ballot: bool


def vote_proxy_list_for_actor(*, actor: Any, vote_id: int) -> list[ProxyRow]:
    """The recorded proxies of a vote, for staff of its area; names masked."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    if not _is_staff_viewer(actor, vote):
        raise VoteNotFoundError()
    proxies = list(
        ProxyAuthorisation.objects.filter(vote=vote)
        .select_related("voter__organization", "proxy_person")
        .annotate(voted=Exists(Ballot.objects.filter(voter_id=OuterRef("voter_id"))))
        .order_by("recorded_at", "id")
    )
    names = _masked_voter_names([proxy.voter_id for proxy in proxies])
    return [
        ProxyRow(
            proxy_id=proxy.pk,
            voter_id=proxy.voter_id,
            rooms=proxy.voter.label,
            owner_masked=names.get(proxy.voter_id)
            or (proxy.voter.organization.name if proxy.voter.organization else ""),
            proxy_masked=mask_name(
                proxy.proxy_person.name if proxy.proxy_person else proxy.proxy_name
            ),
            reference=proxy.reference,
            recorded_at=proxy.recorded_at,
            has_ballot=proxy.voted,
        )
        for proxy in proxies
    ]


def vote_result_for_actor(*, actor: Any, vote_id: int) -> dict | None:
    """The certified result stored at the close (``None`` before it)."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    if vote.status != VoteStatus.CLOSED:
        return None
    return vote.result


@dataclass(frozen=True)
class SealCheck:
    is_intact: bool
    recorded: str
    recomputed: str


def vote_seal_verify(*, actor: Any, vote_id: int) -> SealCheck:
    """Recompute the seal over the ballots as they are now and compare with the one recorded
    at the close: any ballot changed, added or removed since shows as a broken seal."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    if vote.status != VoteStatus.CLOSED:
        return SealCheck(False, "", "")
    recomputed = seal_digest(vote)
    return SealCheck(recomputed == vote.seal_hash, vote.seal_hash, recomputed)


__all__ = [
    "BallotChoice",
    "BallotRow",
    "OptionTally",
    "OwnerVoteRow",
    "OwnerVoteState",
    "ProxyRow",
    "RollRow",
    "SealCheck",
    "Tally",
    "vote_ballot_list_for_actor",
    "vote_board_get_for_actor",
    "vote_get_for_actor",
    "vote_list_for_actor",
    "vote_list_for_owner",
    "vote_manage_allowed",
    "vote_owner_state_for_actor",
    "vote_proxy_list_for_actor",
    "vote_result_for_actor",
    "vote_roll_for_actor",
    "vote_seal_verify",
    "vote_tally",
    "vote_tally_for_actor",
]
