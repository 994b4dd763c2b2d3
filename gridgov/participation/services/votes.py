"""Owners' votes (业主表决): create, open (the roll), designate, proxies, ballots, close (seal).

The rules come from 民法典 第278条 and 法释〔2009〕7号 (2020年修正) 第8–9条; the arithmetic lives
in ``gridgov.participation.rules``, the roll and the seal here. Every write is atomic and leaves
an audit row. One ballot per owner is the database's unique constraint (a second insert fails
and is answered with a clear message), never a check before the write.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.participation import rules
from gridgov.participation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    MatterType,
    ProxyAuthorisation,
    ResultsVisibility,
    Vote,
    VoteOption,
    VoteOptionsKind,
    Voter,
    VoterMember,
    VoteStatus,
)
from gridgov.registry.models import Building, Dwelling, Estate, Ownership, Person, Unit
from gridgov.registry.selectors.accounts import person_for_account
from gridgov.registry.services.protection import mask_name

TITLE_MAX = 200
PLAN_MAX = 200
MAX_PLANS = 20
FILE_MAX_BYTES = 10 * 1024 * 1024
PHOTO_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "webp"})
DOCUMENT_EXTENSIONS = frozenset({"pdf", "jpg", "jpeg", "png", "webp"})
RECEIPT_BYTES = 10  # 80 random bits, 16 characters of base32
VOTER_KEY_MAX = 200
LABEL_ROOMS = 3

# --- Errors ------------------------------------------------------------------------------------


class VoteError(ValidationError):
    """A refusal in the vote domain, with a clear message and a code."""

    default_message: Any = gettext_lazy("This is not possible for this vote.")
    default_code = "vote_error"

    def __init__(self, message: Any = None, code: str | None = None) -> None:
        super().__init__(message or self.default_message, code=code or self.default_code)


class VoteScopeError(VoteError):
    default_message = gettext_lazy("Choose exactly one estate, building or doorway.")
    default_code = "vote_scope"


class VoteRollError(VoteError):
    default_message = gettext_lazy("The registry holds no ownership data for this scope.")
    default_code = "vote_roll"


class VoteStateError(VoteError):
    default_message = gettext_lazy("This step is not possible in the vote's present state.")
    default_code = "vote_state"


class NotAnOwnerError(VoteError):
    default_message = gettext_lazy("You are not an owner on this vote's roll.")
    default_code = "not_an_owner"


class DuplicateBallotError(VoteError):
    default_message = gettext_lazy("This owner has already voted; a ballot cannot be changed.")
    default_code = "duplicate_ballot"


class ProxyNotAuthorisedError(VoteError):
    default_message = gettext_lazy("No recorded authorisation lets you vote for this owner.")
    default_code = "proxy_not_authorised"


class VoteChoiceError(VoteError):
    default_message = gettext_lazy("Choose one of the vote's options.")
    default_code = "vote_choice"


class VoteNotFoundError(Http404):
    """An unknown vote, or one the actor may not see (the two look the same on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This vote does not exist or is outside your area."))


# --- Shared helpers ----------------------------------------------------------------------------


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _vote_for_update(vote_id: int) -> Vote:
    vote = Vote.objects.select_for_update().select_related("cell").filter(pk=vote_id).first()
    if vote is None:
        raise VoteNotFoundError()
    return vote


def _require_manage(actor: Any, vote: Vote) -> None:
    if not has_permission(actor, Perm.VOTE_MANAGE, cell_code=vote.cell.code):
        raise PermissionDenied(_("You may not manage the votes of this area."))


def _require_accepting_ballots(vote: Vote, now: datetime.datetime) -> None:
    if vote.status == VoteStatus.CLOSED or (
        vote.status == VoteStatus.OPEN and now >= vote.closes_at
    ):
        raise VoteStateError(_("The vote is closed; no more ballots are accepted."), "vote_closed")
    if vote.status != VoteStatus.OPEN or now < vote.opens_at:
        raise VoteStateError(_("The vote is not open yet."), "vote_not_open")


def _check_file(upload: File | None, extensions: frozenset[str], what: str) -> None:
    if upload is None or not getattr(upload, "name", ""):
        raise VoteError(_("Attach the %(what)s.") % {"what": what}, "file_required")
    name = str(upload.name)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in extensions:
        raise VoteError(
            _("The %(what)s must be one of: %(types)s.")
            % {"what": what, "types": ", ".join(sorted(extensions))},
            "file_type",
        )
    size = getattr(upload, "size", 0) or 0
    if size <= 0 or size > FILE_MAX_BYTES:
        raise VoteError(
            _("The %(what)s must be a non-empty file of at most 10 MB.") % {"what": what},
            "file_size",
        )


def new_receipt() -> str:
    """16 characters of base32 from 80 random bits: unguessable, easy to read out."""
    import base64

    return base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii")


# --- Create ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    estate: Estate | None
    building: Building | None
    unit: Unit | None
    cell_id: int
    cell_code: str


def _resolve_scope(estate_id: int | None, building_id: int | None, unit_id: int | None) -> _Scope:
    given = [value for value in (estate_id, building_id, unit_id) if value is not None]
    if len(given) != 1:
        raise VoteScopeError()
    if estate_id is not None:
        estate = Estate.objects.select_related("cell").filter(pk=estate_id).first()
        if estate is None:
            raise VoteScopeError(_("This estate does not exist."))
        return _Scope(estate, None, None, estate.cell_id, estate.cell.code)
    if building_id is not None:
        building = Building.objects.select_related("cell").filter(pk=building_id).first()
        if building is None:
            raise VoteScopeError(_("This building does not exist."))
        return _Scope(None, building, None, building.cell_id, building.cell.code)
    unit = Unit.objects.select_related("building__cell").filter(pk=int(unit_id or 0)).first()
    if unit is None:
        raise VoteScopeError(_("This doorway does not exist."))
    return _Scope(None, None, unit, unit.building.cell_id, unit.building.cell.code)


def _clean_plans(options_kind: str, plans: Sequence[str]) -> list[str]:
    if options_kind not in VoteOptionsKind.values:
        raise VoteError(_("Choose the kind of options."), "options_kind")
    cleaned = [plan.strip() for plan in plans if plan and plan.strip()]
    if options_kind == VoteOptionsKind.YES_NO:
        return []
    if len(cleaned) < 2 or len(cleaned) > MAX_PLANS:
        raise VoteError(_("A choice between plans needs from 2 to 20 plans."), "plans")
    if len(set(cleaned)) != len(cleaned) or any(len(plan) > PLAN_MAX for plan in cleaned):
        raise VoteError(_("Each plan needs its own name of at most 200 characters."), "plans")
    return cleaned


def _validate_vote_fields(
    *,
    title: str,
    matter: str,
    is_elevator: bool,
    rule_set: str,
    visibility: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
) -> None:
    if not title or len(title) > TITLE_MAX:
        raise VoteError(_("Give the vote a title of at most 200 characters."), "title")
    if matter not in MatterType.values:
        raise VoteError(_("Choose the matter from the list of 民法典 第278条."), "matter")
    if is_elevator and matter != MatterType.ALTERATION:
        raise VoteError(
            _("Adding an elevator is an alteration of the building (第278条 item 7)."), "matter"
        )
    if rule_set not in rules.RULE_SETS:
        raise VoteError(_("Choose one of the rule sets."), "rule_set")
    if visibility not in ResultsVisibility.values:
        raise VoteError(_("Choose how the results are shown."), "visibility")
    if timezone.is_naive(opens_at) or timezone.is_naive(closes_at):
        raise VoteError(_("Give the opening and closing times with a time zone."), "dates")
    if closes_at <= opens_at:
        raise VoteError(_("The vote must close after it opens."), "dates")


def vote_create(
    *,
    actor: Any,
    title: str,
    matter: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    estate_id: int | None = None,
    building_id: int | None = None,
    unit_id: int | None = None,
    description: str = "",
    is_elevator: bool = False,
    rule_set: str = rules.DEFAULT_RULE_SET,
    options_kind: str = VoteOptionsKind.YES_NO,
    plans: Sequence[str] = (),
    visibility: str = ResultsVisibility.LIVE,
) -> Vote:
    """A draft vote on one scope (estate, building or doorway) about one matter of 第278条."""
    title = (title or "").strip()
    _validate_vote_fields(
        title=title,
        matter=matter,
        is_elevator=is_elevator,
        rule_set=rule_set,
        visibility=visibility,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    scope = _resolve_scope(estate_id, building_id, unit_id)
    if not has_permission(actor, Perm.VOTE_MANAGE, cell_code=scope.cell_code):
        raise PermissionDenied(_("You may not manage the votes of this area."))
    cleaned_plans = _clean_plans(options_kind, plans)
    with transaction.atomic():
        vote = Vote.objects.create(
            title=title,
            description=(description or "").strip(),
            estate=scope.estate,
            building=scope.building,
            unit=scope.unit,
            matter=matter,
            is_elevator=is_elevator,
            rule_set=rule_set,
            options_kind=options_kind,
            opens_at=opens_at,
            closes_at=closes_at,
            visibility=visibility,
            cell_id=scope.cell_id,
            created_by=actor,
        )
        VoteOption.objects.bulk_create(
            VoteOption(vote=vote, label=label, sort_order=index)
            for index, label in enumerate(cleaned_plans)
        )
        audit_record(
            actor=actor,
            action="participation.vote_create",
            target=vote,
            object_label=vote.title,
            changes={"matter": matter, "rule_set": rule_set, "plans": len(cleaned_plans)},
        )
    return vote


# --- Open: the roll ----------------------------------------------------------------------------


@dataclass
class _RollEntry:
    key: str
    organization_id: int | None
    person_ids: list[int]
    area: Fraction
    rooms: list[str]


def _scope_dwellings(vote: Vote) -> Any:
    dwellings = Dwelling.objects.exclude(use=Dwelling.Use.COMMON)
    if vote.unit_id:
        return dwellings.filter(unit_id=vote.unit_id)
    if vote.building_id:
        return dwellings.filter(building_id=vote.building_id)
    return dwellings.filter(building__estate_id=int(vote.estate_id or 0))


def _owner_node(row: dict[str, Any]) -> str:
    return f"p{row['owner_id']}" if row["owner_id"] else f"o{row['owner_organization_id']}"


def _node_order(node: str) -> tuple[str, int]:
    return node[0], int(node[1:])


class _Components:
    """Union–find over owners: co-owners of a unit, and whoever they co-own with, are one."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, first: str, second: str) -> None:
        root_first, root_second = self.find(first), self.find(second)
        if root_first != root_second:
            self.parent[root_second] = root_first


def _voter_key(nodes: list[str]) -> str:
    key = "+".join(sorted(nodes, key=_node_order))
    if len(key) <= VOTER_KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: VOTER_KEY_MAX - 18]}#{digest}"


def _room_label(dwelling: dict[str, Any]) -> str:
    unit = dwelling["unit__label"] or ""
    return f"{dwelling['building__label']}{unit}{dwelling['room']}"


def build_roll(vote: Vote, *, today: datetime.date) -> list[_RollEntry]:
    """The counted owners of the scope (法释〔2009〕7号 第8–9条).

    Area: the registered exclusive area of each unit, weighted by the recorded shares (capped
    at the whole unit). Heads: owners linked through a unit they hold together are one owner;
    one owner of several units is one owner; an organisation (the developer's unsold units) is
    one owner. An exclusive unit with no current owner on record still counts — as one owner
    who cannot vote — so that the denominators are those of the whole scope.
    """
    dwellings = {
        row["id"]: row
        for row in _scope_dwellings(vote).values(
            "id", "area_m2", "room", "building__label", "unit__label", "building__sort_order"
        )
    }
    if not dwellings:
        raise VoteRollError(_("The scope holds no exclusive units (dwellings)."))
    missing_area = sum(1 for row in dwellings.values() if row["area_m2"] is None)
    if missing_area:
        raise VoteRollError(
            _(
                "%(count)d exclusive units of this scope have no registered area; "
                "complete the registry before opening the vote."
            )
            % {"count": missing_area}
        )
    ownerships: list[dict[str, Any]] = [
        dict(row)
        for row in (
            Ownership.objects.filter(dwelling_id__in=list(dwellings), started_on__lte=today)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
            .values(
                "dwelling_id",
                "owner_id",
                "owner_organization_id",
                "share_numerator",
                "share_denominator",
            )
        )
    ]
    if not ownerships:
        raise VoteRollError()
    components = _Components()
    by_dwelling: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in ownerships:
        by_dwelling[row["dwelling_id"]].append(row)
    for rows in by_dwelling.values():
        first = _owner_node(rows[0])
        components.find(first)
        for row in rows[1:]:
            components.union(first, _owner_node(row))
    groups: dict[str, list[int]] = defaultdict(list)
    for dwelling_id, rows in by_dwelling.items():
        groups[components.find(_owner_node(rows[0]))].append(dwelling_id)
    members: dict[str, set[str]] = defaultdict(set)
    for node in list(components.parent):
        members[components.find(node)].add(node)
    entries = []
    for root, dwelling_ids in groups.items():
        nodes = sorted(members[root], key=_node_order)
        area = Fraction(0)
        for dwelling_id in dwelling_ids:
            shares = sum(
                (Fraction(row["share_numerator"], row["share_denominator"])
                 for row in by_dwelling[dwelling_id]),
                Fraction(0),
            )  # fmt: skip
            area += _area(dwellings[dwelling_id]) * min(shares, Fraction(1))
        organizations = [int(node[1:]) for node in nodes if node[0] == "o"]
        entries.append(
            _RollEntry(
                key=_voter_key(nodes),
                organization_id=organizations[0] if organizations else None,
                person_ids=[int(node[1:]) for node in nodes if node[0] == "p"],
                area=area,
                rooms=[_room_label(dwellings[dwelling_id]) for dwelling_id in sorted(dwelling_ids)],
            )
        )
    for dwelling_id, row in dwellings.items():
        if dwelling_id not in by_dwelling:
            entries.append(_RollEntry(f"d{dwelling_id}", None, [], _area(row), [_room_label(row)]))
    return sorted(entries, key=lambda entry: entry.rooms[0])


def _area(dwelling: dict[str, Any]) -> Fraction:
    return Fraction(dwelling["area_m2"])


def _rooms_label(rooms: list[str]) -> str:
    label = "、".join(rooms[:LABEL_ROOMS])
    if len(rooms) > LABEL_ROOMS:
        label += _(" and %(count)d more") % {"count": len(rooms) - LABEL_ROOMS}
    return label[:200]


def write_roll(vote: Vote, entries: list[_RollEntry]) -> None:
    denominator = math.lcm(*(entry.area.denominator for entry in entries))
    voters = Voter.objects.bulk_create(
        Voter(
            vote=vote,
            key=entry.key,
            organization_id=entry.organization_id,
            designated_person_id=entry.person_ids[0] if len(entry.person_ids) == 1 else None,
            area_units=int(entry.area * denominator),
            area_m2=rules.decimal_m2(entry.area),
            unit_count=len(entry.rooms),
            label=_rooms_label(entry.rooms),
        )
        for entry in entries
    )
    if any(voter.pk is None for voter in voters):
        ids = dict(Voter.objects.filter(vote=vote).values_list("key", "id"))
        for voter in voters:
            voter.pk = ids[voter.key]
    VoterMember.objects.bulk_create(
        VoterMember(vote=vote, voter_id=voter.pk, person_id=person_id)
        for voter, entry in zip(voters, entries, strict=True)
        for person_id in entry.person_ids
    )
    vote.area_unit_denominator = denominator
    vote.total_area_units = sum(int(entry.area * denominator) for entry in entries)
    vote.total_owners = len(entries)
    vote.total_units = sum(len(entry.rooms) for entry in entries)


def vote_open(*, actor: Any, vote_id: int, now: datetime.datetime | None = None) -> Vote:
    """Open a draft vote: the roll is taken from the ownership records as they are now."""
    now = _now(now)
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        _require_manage(actor, vote)
        if vote.status != VoteStatus.DRAFT:
            raise VoteStateError(_("Only a draft vote can be opened."), "vote_not_draft")
        if vote.closes_at <= now:
            raise VoteStateError(_("The closing time has passed; change it first."), "vote_dates")
        entries = build_roll(vote, today=timezone.localdate(now))
        write_roll(vote, entries)
        vote.status = VoteStatus.OPEN
        vote.opened_at = now
        vote.save(
            update_fields=[
                "status",
                "opened_at",
                "area_unit_denominator",
                "total_area_units",
                "total_owners",
                "total_units",
            ]
        )
        audit_record(
            actor=actor,
            action="participation.vote_open",
            target=vote,
            object_label=vote.title,
            changes={"owners": vote.total_owners, "units": vote.total_units},
        )
    return vote


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
        _check_file(document, DOCUMENT_EXTENSIONS, _("authorisation document"))
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
        _check_file(photo, PHOTO_EXTENSIONS, _("photo of the paper ballot"))
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


# --- Counting, closing and the seal ------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceCount:
    key: str  # "yes" | "no" | "abstain" | "option:<id>"
    owners: int
    units: int
    area: Fraction


def choice_key(choice: str, option_id: int | None) -> str:
    return f"option:{option_id}" if choice == BallotChoice.OPTION else choice


def count_ballots(vote: Vote) -> list[ChoiceCount]:
    """One aggregate query: ballots, units and exact area per choice."""
    rows = (
        Ballot.objects.filter(vote_id=vote.pk)
        .values("choice", "option_id")
        .annotate(owners=Count("id"), units=Sum("unit_count"), area=Sum("area_units"))
        .order_by()
    )
    return [
        ChoiceCount(
            key=choice_key(row["choice"], row["option_id"]),
            owners=row["owners"],
            units=row["units"] or 0,
            area=Fraction(row["area"] or 0, vote.area_unit_denominator),
        )
        for row in rows
    ]


def _heads(rule: rules.AppliedRule, owners: int, units: int) -> int:
    return units if rule.head_basis == rules.HEADS_UNITS else owners


@dataclass(frozen=True)
class Outcome:
    rule: rules.AppliedRule
    totals: rules.Counts
    participating: rules.Counts
    counts: list[ChoiceCount]
    decision: rules.Decision
    winner: str | None


def vote_outcome(vote: Vote, counts: list[ChoiceCount]) -> Outcome:
    """Apply the vote's rule to the counts: yes/no — the yes side; plans — the plan that meets
    the approval (at most one can), else the leading plan's figures explain the failure."""
    rule = rules.rule_for(rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator)
    totals = rules.Counts(
        Fraction(vote.total_area_units, vote.area_unit_denominator),
        _heads(rule, vote.total_owners, vote.total_units),
    )
    participating = rules.Counts(
        sum((count.area for count in counts), Fraction(0)),
        _heads(rule, sum(c.owners for c in counts), sum(c.units for c in counts)),
    )
    if vote.options_kind == VoteOptionsKind.YES_NO:
        candidates = [BallotChoice.YES.value]
    else:
        candidates = [f"option:{pk}" for pk in vote.options.values_list("pk", flat=True)]
    by_key = {count.key: count for count in counts}
    decisions = []
    for key in candidates:
        count = by_key.get(key, ChoiceCount(key, 0, 0, Fraction(0)))
        favour = rules.Counts(count.area, _heads(rule, count.owners, count.units))
        decision = rules.decide(
            rule=rule, totals=totals, participating=participating, in_favour=favour
        )
        decisions.append((decision.passed, count.area, favour.heads, key, decision))
    decisions.sort(key=lambda item: (item[0], item[1], item[2]), reverse=True)
    passed, _area_value, _heads_value, key, decision = decisions[0]
    return Outcome(rule, totals, participating, counts, decision, key if passed else None)


def seal_payload(vote: Vote) -> bytes:
    """The canonical list of ballots: ordered by receipt, each (receipt, voter key, choice,
    channel, time in UTC to the microsecond)."""
    rows = (
        Ballot.objects.filter(vote_id=vote.pk)
        .order_by("receipt")
        .values_list("receipt", "voter__key", "choice", "option_id", "channel", "created_at")
    )
    ballots = [
        [
            receipt,
            key,
            choice_key(choice, option_id),
            channel,
            created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        ]
        for receipt, key, choice, option_id, channel, created_at in rows
    ]
    document = {"vote": vote.pk, "ballots": ballots}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal_digest(vote: Vote) -> str:
    return hashlib.sha256(seal_payload(vote)).hexdigest()


def option_labels(vote: Vote) -> dict[str, str]:
    labels = {
        BallotChoice.YES.value: str(BallotChoice.YES.label),
        BallotChoice.NO.value: str(BallotChoice.NO.label),
        BallotChoice.ABSTAIN.value: str(BallotChoice.ABSTAIN.label),
    }
    for pk, label in vote.options.values_list("pk", "label"):
        labels[f"option:{pk}"] = label
    return labels


def option_keys(vote: Vote) -> list[str]:
    if vote.options_kind == VoteOptionsKind.YES_NO:
        return [BallotChoice.YES.value, BallotChoice.NO.value, BallotChoice.ABSTAIN.value]
    keys = [f"option:{pk}" for pk in vote.options.values_list("pk", flat=True)]
    return [*keys, BallotChoice.ABSTAIN.value]


def certified_result(vote: Vote, outcome: Outcome, *, seal: str, ballot_count: int) -> dict:
    """The figures a court would check, as printed on the certificate (JSON-safe)."""
    labels = option_labels(vote)
    by_key = {count.key: count for count in outcome.counts}
    rule = outcome.rule
    options = []
    for key in option_keys(vote):
        count = by_key.get(key, ChoiceCount(key, 0, 0, Fraction(0)))
        options.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "owners": count.owners,
                "units": count.units,
                "heads": _heads(rule, count.owners, count.units),
                "area": rules.fraction_text(count.area),
                "area_m2": str(rules.decimal_m2(count.area)),
            }
        )
    decision = outcome.decision.to_dict()
    return {
        "vote": {
            "id": vote.pk,
            "title": vote.title,
            "scope": vote.scope_label,
            "matter": vote.matter,
            "matter_label": str(MatterType(vote.matter).label),
            "matter_item": rule.matter_item,
            "is_elevator": vote.is_elevator,
        },
        "rule": rule.to_dict(),
        "roll": {
            "owners": vote.total_owners,
            "units": vote.total_units,
            "heads": outcome.totals.heads,
            "area": rules.fraction_text(outcome.totals.area),
            "area_m2": str(rules.decimal_m2(outcome.totals.area)),
        },
        "participation": {
            "ballots": ballot_count,
            "owners": sum(count.owners for count in outcome.counts),
            "units": sum(count.units for count in outcome.counts),
            "heads": outcome.participating.heads,
            "area": rules.fraction_text(outcome.participating.area),
            "area_m2": str(rules.decimal_m2(outcome.participating.area)),
        },
        "options": options,
        "tests": decision["tests"],
        "winner": outcome.winner,
        "winner_label": labels.get(outcome.winner, "") if outcome.winner else "",
        "outcome": decision["outcome"],
        "passed": decision["passed"],
        "reason": decision["reason"],
        "closed_at": vote.closed_at.isoformat() if vote.closed_at else None,
        "ballot_count": ballot_count,
        "seal_hash": seal,
    }


def vote_certify(vote: Vote, *, now: datetime.datetime, closed_by: Any) -> Outcome:
    """Freeze a vote (locked by the caller): count, certify, seal and mark it closed.
    ``vote_close`` calls it with its audit row; the demo town calls it for its history."""
    counts = count_ballots(vote)
    ballot_count = sum(count.owners for count in counts)
    outcome = vote_outcome(vote, counts)
    vote.status = VoteStatus.CLOSED
    vote.closed_at = now
    vote.closed_by = closed_by
    vote.seal_hash = seal_digest(vote)
    vote.ballot_count_at_close = ballot_count
    vote.result = certified_result(vote, outcome, seal=vote.seal_hash, ballot_count=ballot_count)
    vote.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "seal_hash",
            "ballot_count_at_close",
            "result",
        ]
    )
    return outcome


def vote_close(*, actor: Any, vote_id: int, now: datetime.datetime | None = None) -> Vote:
    """Close a vote: staff at any time once it is open, the system (``actor=None``) when its
    deadline has passed. The tally is frozen, the result certified and the ballots sealed."""
    now = _now(now)
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        if actor is not None:
            _require_manage(actor, vote)
        if vote.status != VoteStatus.OPEN:
            raise VoteStateError(_("Only an open vote can be closed."), "vote_not_open")
        if actor is None and now < vote.closes_at:
            raise VoteStateError(_("The vote's deadline has not passed."), "vote_not_due")
        outcome = vote_certify(vote, now=now, closed_by=actor)
        audit_record(
            actor=actor,
            action="participation.vote_close",
            target=vote,
            object_label=vote.title,
            changes={
                "ballots": vote.ballot_count_at_close,
                "outcome": outcome.decision.outcome,
                "seal": vote.seal_hash,
            },
        )
    return vote


def vote_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every open vote whose deadline has passed (the periodic job); idempotent."""
    now = _now(now)
    due = list(
        Vote.objects.filter(status=VoteStatus.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    )
    closed = 0
    for vote_id in due:
        try:
            vote_close(actor=None, vote_id=vote_id, now=now)
        except VoteStateError:
            continue
        closed += 1
    return closed


# --- Receipts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    """``is_found``: the ballot is recorded; ``is_counted``: it is in the closed, sealed count."""

    is_found: bool
    is_counted: bool = False
    cast_at: datetime.datetime | None = None
    channel: str = ""
    choice_label: str = ""
    voter_label: str = ""


def ballot_verify_receipt(*, actor: Any, vote_id: int, receipt: str) -> ReceiptCheck:
    """A voter checks that the ballot with their receipt code is in the vote (and, after the
    close, in the sealed count). Open to anyone who may see the vote; a read, not audited."""
    from gridgov.participation.selectors.votes import vote_get_for_actor

    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    code = "".join((receipt or "").split()).upper().replace("-", "")
    if not code:
        raise VoteError(_("Enter the receipt code."), "receipt")
    ballot = (
        Ballot.objects.select_related("voter", "option").filter(vote=vote, receipt=code).first()
    )
    if ballot is None:
        return ReceiptCheck(is_found=False)
    # Ballots enter only while the vote is open, under the lock the close takes: every ballot
    # found in a closed vote is in its sealed count.
    is_counted = vote.status == VoteStatus.CLOSED
    is_sealed = vote.visibility == ResultsVisibility.SEALED_UNTIL_CLOSE
    label = ballot.option.label if ballot.option else str(BallotChoice(ballot.choice).label)
    return ReceiptCheck(
        is_found=True,
        is_counted=is_counted,
        cast_at=ballot.created_at,
        channel=str(BallotChannel(ballot.channel).label),
        choice_label="" if is_sealed and vote.status != VoteStatus.CLOSED else label,
        voter_label=ballot.voter.label,
    )


def masked_names(names: Sequence[str]) -> str:
    return "、".join(mask_name(name) for name in names)
