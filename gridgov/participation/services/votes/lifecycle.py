"""Create a vote and open it: the scope, the plans, and the roll fixed at opening (法释〔2009〕7号
第8–9条: area from the registered exclusive area; an owner of several units counts once; the
developer's unsold units count as one owner; co-owners are one owner)."""

from __future__ import annotations

import datetime
import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.participation import rules
from gridgov.participation.models import (
    MatterType,
    ResultsVisibility,
    Vote,
    VoteOption,
    VoteOptionsKind,
    Voter,
    VoterMember,
    VoteStatus,
)
from gridgov.participation.services.votes.common import (
    LABEL_ROOMS,
    MAX_PLANS,
    PLAN_MAX,
    TITLE_MAX,
    VOTER_KEY_MAX,
    VoteError,
    VoteRollError,
    VoteScopeError,
    VoteStateError,
    _now,
    _require_manage,
    _vote_for_update,
)
from gridgov.registry.models import Building, Dwelling, Estate, Ownership, Unit

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
