"""Who votes and how: the voting co-owner, proxies with their authorisation, ballots online and
on paper. One ballot per owner is the unique constraint (vote, voter), never a check first."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.participation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    ProxyAuthorisation,
    Vote,
    VoteOption,
    VoteOptionsKind,
    Voter,
    VoterMember,
    VoteStatus,
)
from gridgov.participation.services.votes.common import (
    DuplicateBallotError,
    NotAnOwnerError,
    ProxyNotAuthorisedError,
    VoteChoiceError,
    VoteError,
    VoteStateError,
    _check_file,
    _now,
    _require_accepting_ballots,
    _require_manage,
    _vote_for_update,
    new_receipt,
)
from gridgov.registry.models import Ownership, Person
from gridgov.registry.selectors.accounts import person_for_account

# --- Designation and proxies -------------------------------------------------------------------


def _voter_of(vote: Vote, voter_id: int) -> Voter:
    voter = Voter.objects.filter(vote=vote, pk=voter_id).first()
    if voter is None:
        raise VoteError(_("This owner is not on the vote's roll."), "voter_unknown")
    return voter


def voter_designate(*, actor: Any, vote_id: int, voter_id: int, person_id: int) -> Voter:
    """Record which co-owner votes for a unit held together (the co-owners decide; staff
    record their written agreement). Refused once that owner has voted, or after the close."""
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        _require_manage(actor, vote)
        if vote.status != VoteStatus.OPEN:
            raise VoteStateError(_("Only an open vote's roll can be changed."), "vote_not_open")
        voter = _voter_of(vote, voter_id)
        if not VoterMember.objects.filter(voter=voter, person_id=person_id).exists():
            raise VoteError(_("Only one of the co-owners can vote for them."), "not_a_co_owner")
        if Ballot.objects.filter(vote=vote, voter=voter).exists():
            raise DuplicateBallotError(_("This owner has already voted; the designation stays."))
        voter.designated_person_id = person_id
        voter.save(update_fields=["designated_person"])
        audit_record(
            actor=actor,
            action="participation.voter_designate",
            target=voter,
            changes={"vote": vote.pk},
        )
    return voter


def proxy_record(
    *,
    actor: Any,
    vote_id: int,
    voter_id: int,
    reference: str,
    document: File,
    proxy_person_id: int | None = None,
    proxy_name: str = "",
) -> ProxyAuthorisation:
    """Record a written authorisation (授权委托书) for a proxy to vote for one owner."""
    reference = (reference or "").strip()
    proxy_name = (proxy_name or "").strip()
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        _require_manage(actor, vote)
        if vote.status != VoteStatus.OPEN:
            raise VoteStateError(_("Proxies are recorded while the vote is open."), "vote_not_open")
        voter = _voter_of(vote, voter_id)
        if not reference or len(reference) > 100:
            raise VoteError(_("Give the authorisation's reference."), "reference")
        if proxy_person_id is None and not proxy_name:
            raise VoteError(_("Name the proxy."), "proxy_name")
        if proxy_person_id is not None and not Person.objects.filter(pk=proxy_person_id).exists():
            raise VoteError(_("This person is not in the registry."), "proxy_person")
        _check_file(document, accept_pdf=True)
        try:
            with transaction.atomic():
                proxy = ProxyAuthorisation.objects.create(
                    vote=vote,
                    voter=voter,
                    proxy_person_id=proxy_person_id,
                    proxy_name=proxy_name[:64],
                    reference=reference,
                    document=document,
                    recorded_by=actor,
                )
        except IntegrityError as error:
            raise VoteError(
                _("A proxy is already recorded for this owner."), "proxy_exists"
            ) from error
        audit_record(
            actor=actor,
            action="participation.proxy_record",
            target=proxy,
            changes={"vote": vote.pk, "voter": voter.pk},
        )
    return proxy


# --- Ballots -----------------------------------------------------------------------------------


def _clean_choice(vote: Vote, choice: str, option_id: int | None) -> tuple[str, int | None]:
    if vote.options_kind == VoteOptionsKind.YES_NO:
        if choice not in (BallotChoice.YES, BallotChoice.NO, BallotChoice.ABSTAIN):
            raise VoteChoiceError(_("Choose yes, no or abstain."))
        return choice, None
    if choice == BallotChoice.ABSTAIN:
        return choice, None
    if option_id is None or not VoteOption.objects.filter(vote=vote, pk=option_id).exists():
        raise VoteChoiceError(_("Choose one of the plans, or abstain."))
    return BallotChoice.OPTION, option_id


def _insert_ballot(**fields: Any) -> Ballot:
    """One INSERT; the unique constraint (vote, voter) turns a second one away."""
    try:
        with transaction.atomic():
            return Ballot.objects.create(receipt=new_receipt(), **fields)
    except IntegrityError as error:
        existing = Ballot.objects.filter(vote=fields["vote"], voter=fields["voter"]).first()
        if existing is None:
            raise
        if existing.channel == BallotChannel.ONLINE:
            message = _("This owner has already voted online; a ballot cannot be changed.")
        else:
            message = _("This owner has already voted; a ballot cannot be changed.")
        raise DuplicateBallotError(message) from error


def _not_an_owner(person: Person, vote: Vote) -> NotAnOwnerError:
    if Ownership.objects.filter(owner=person, ended_on__isnull=True).exists():
        return NotAnOwnerError(
            _("You own no unit in this vote's scope, so you cannot vote on it."), "outside_scope"
        )
    return NotAnOwnerError()


def _voter_for_person(vote: Vote, person: Person, voter_id: int | None) -> tuple[Voter, Any]:
    """The roll entry the person may vote for, and the proxy authorisation if voting as one."""
    member = VoterMember.objects.select_related("voter").filter(vote=vote, person=person).first()
    if voter_id is None or (member is not None and member.voter_id == voter_id):
        if member is None:
            raise _not_an_owner(person, vote)
        voter = member.voter
        if voter.designated_person_id and voter.designated_person_id != person.pk:
            raise NotAnOwnerError(
                _("The co-owners chose another of them to vote for this unit."), "not_designated"
            )
        return voter, None
    proxy = (
        ProxyAuthorisation.objects.select_related("voter")
        .filter(vote=vote, voter_id=voter_id, proxy_person=person)
        .first()
    )
    if proxy is None:
        raise ProxyNotAuthorisedError()
    return proxy.voter, proxy


def ballot_cast(
    *,
    actor: Any,
    vote_id: int,
    choice: str,
    option_id: int | None = None,
    voter_id: int | None = None,
    now: datetime.datetime | None = None,
) -> Ballot:
    """An owner votes online as themselves (through their registry link, 实名认证), or as the
    recorded proxy of another owner (``voter_id``). One ballot per owner, never changed."""
    now = _now(now)
    person = person_for_account(actor)
    if person is None:
        raise NotAnOwnerError(
            _("Your account is not linked to a person in the registry; ask the committee."),
            "not_linked",
        )
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        _require_accepting_ballots(vote, now)
        voter, proxy = _voter_for_person(vote, person, voter_id)
        choice, option_id = _clean_choice(vote, choice, option_id)
        ballot = _insert_ballot(
            vote=vote,
            voter=voter,
            choice=choice,
            option_id=option_id,
            channel=BallotChannel.PROXY if proxy else BallotChannel.ONLINE,
            cast_by=actor,
            cast_by_person=person,
            proxy=proxy,
            area_units=voter.area_units,
            unit_count=voter.unit_count,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="participation.ballot_cast",
            target=ballot,
            changes={"vote": vote.pk, "channel": ballot.channel},
        )
    return ballot


def paper_ballot_record(
    *,
    actor: Any,
    vote_id: int,
    voter_id: int,
    choice: str,
    photo: File,
    option_id: int | None = None,
    proxy_id: int | None = None,
    now: datetime.datetime | None = None,
) -> Ballot:
    """Staff enter a paper ballot with a photo of the paper; with ``proxy_id`` it was signed by
    the recorded proxy. Refused when the owner has already voted (online or on paper)."""
    now = _now(now)
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        _require_manage(actor, vote)
        _require_accepting_ballots(vote, now)
        voter = _voter_of(vote, voter_id)
        proxy = None
        if proxy_id is not None:
            proxy = ProxyAuthorisation.objects.filter(vote=vote, voter=voter, pk=proxy_id).first()
            if proxy is None:
                raise ProxyNotAuthorisedError(
                    _("No recorded authorisation lets this proxy vote for this owner.")
                )
        choice, option_id = _clean_choice(vote, choice, option_id)
        _check_file(photo, accept_pdf=False)
        ballot = _insert_ballot(
            vote=vote,
            voter=voter,
            choice=choice,
            option_id=option_id,
            channel=BallotChannel.PROXY if proxy else BallotChannel.PAPER,
            cast_by=actor,
            cast_by_person=None,
            proxy=proxy,
            paper_photo=photo,
            area_units=voter.area_units,
            unit_count=voter.unit_count,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="participation.paper_ballot_record",
            target=ballot,
            changes={"vote": vote.pk, "channel": ballot.channel},
        )
    return ballot
