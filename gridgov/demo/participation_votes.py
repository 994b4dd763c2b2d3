"""The demo town's owners' votes (业主表决), open and closed, in several estates.

Seed 000 (Pujin): owners vote online on transformer repair paid from the maintenance fund,
with a live board, and choose between design plans. Written here:

- in the estate of the demo ``resident`` (linked to an owner there who has not voted yet):
  an open transformer-repair vote (item 5, live tally) and an open vote between three design
  plans (live tally);
- a closed vote that failed its quorum (renewing the property company, item 4);
- a closed vote that passed by head but not by area, so failed (common parts let for
  advertising, item 8, against the developer's large holding);
- a closed elevator vote of one doorway (item 7) that passed.

Some estates get the developer's unsold units (the developer as owner of vacant flats);
spouses already co-own their flats in the housing data. Rolls are taken by the same code as
``vote_open``; ballots are bulk inserts; closed votes are certified and sealed like
``vote_close`` does. The generation's one audit row covers it all.
"""

from __future__ import annotations

import datetime
import random
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Role
from gridgov.participation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    MatterType,
    ResultsVisibility,
    Vote,
    VoteOption,
    VoteOptionsKind,
    Voter,
    VoterMember,
    VoteStatus,
)
from gridgov.participation.services.votes import (
    build_roll,
    new_receipt,
    vote_certify,
    write_roll,
)
from gridgov.registry.models import Dwelling, Estate, Ownership, PersonAccount, Residency, Unit

DEVELOPER_SHARE = 0.12  # of an estate's vacant flats, for the estates given a developer
PLANS = ("方案一：保留现状绿化，增设健身步道", "方案二：改造中心花园，增设儿童游乐区",
         "方案三：拓宽车行道，增设非机动车棚")  # fmt: skip


def _resident_estate(resident_id: int | None) -> Estate | None:
    """The estate of the cell the demo resident belongs to (or the first estate)."""
    estates = Estate.objects.filter(kind=Estate.Kind.ESTATE).order_by("code")
    if resident_id is not None:
        codes = list(
            Membership.objects.filter(user_id=resident_id).values_list("cell__code", flat=True)
        )
        for code in codes:
            inside = estates.filter(
                Q(cell__code__startswith=code) | Q(buildings__dwellings__cell__code=code)
            ).first()
            if inside is not None:
                return inside
    return estates.first()


def _staff_for(estate: Estate) -> User | None:
    """A community worker whose area covers the estate (they open and close its votes)."""
    code = estate.cell.code
    ancestors = [code[:length] for length in range(6, len(code) + 1, 3)]
    membership = (
        Membership.objects.filter(role=Role.COMMUNITY_STAFF, cell__code__in=ancestors)
        .select_related("user")
        .order_by("-cell__code", "id")
        .first()
    )
    return membership.user if membership else User.objects.order_by("id").first()


def _give_developer_units(estates: list[Estate], rng: random.Random) -> int:
    """Vacant flats (no one lives there) of these estates pass to the estate's developer."""
    moved = 0
    for index, estate in enumerate(estates):
        developer, _created = Organization.objects.get_or_create(
            code=f"demo-developer-{estate.code}".lower()[:50],
            defaults={"name": f"{estate.name[:8]}置业有限公司", "kind": Organization.Kind.OTHER},
        )
        lived_in = Residency.objects.filter(ended_on__isnull=True).values("dwelling_id")
        vacant = list(
            Dwelling.objects.filter(building__estate=estate)
            .exclude(use=Dwelling.Use.COMMON)
            .exclude(id__in=lived_in)
            .order_by("id")
            .values_list("id", flat=True)
        )
        share = DEVELOPER_SHARE * (3 if index == 0 else 1)
        chosen = rng.sample(vacant, k=min(len(vacant), max(2, round(len(vacant) * share))))
        moved += Ownership.objects.filter(dwelling_id__in=chosen, ended_on__isnull=True).update(
            owner=None, owner_organization=developer
        )
    return moved


def _open(vote: Vote, when: datetime.datetime) -> list[Voter]:
    write_roll(vote, build_roll(vote, today=timezone.localdate(when)))
    vote.status = VoteStatus.OPEN
    vote.opened_at = when
    vote.save()
    return list(Voter.objects.filter(vote=vote).order_by("id"))


def _vote(staff: User, scope: dict[str, Any], cell_id: int, **fields: Any) -> Vote:
    return Vote.objects.create(created_by=staff, cell_id=cell_id, **scope, **fields)


def _ballots(
    vote: Vote,
    picks: list[tuple[Voter, str, int | None]],
    rng: random.Random,
    start: datetime.datetime,
    end: datetime.datetime,
    staff: User,
) -> int:
    """Bulk ballots: most online (the owners' own, brought in), some on paper by staff."""
    persons = dict(
        VoterMember.objects.filter(vote=vote)
        .order_by("person_id")
        .values_list("voter_id", "person_id")
    )
    span = max(int((end - start).total_seconds()), 1)
    rows = []
    for voter, choice, option_id in picks:
        online = voter.pk in persons and rng.random() < 0.8
        rows.append(
            Ballot(
                vote=vote,
                voter=voter,
                choice=choice,
                option_id=option_id,
                channel=BallotChannel.ONLINE if online else BallotChannel.PAPER,
                cast_by=None if online else staff,
                cast_by_person_id=persons.get(voter.pk) if online else None,
                area_units=voter.area_units,
                unit_count=voter.unit_count,
                receipt=new_receipt(),
                created_at=start + datetime.timedelta(seconds=rng.randrange(span)),
            )
        )
    Ballot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _counted(voters: list[Voter]) -> list[Voter]:
    """Owners who can vote: people or an organisation (not units without an owner on record)."""
    return [voter for voter in voters if not voter.key.startswith("d")]


def _yes_no(voters: list[Voter], rng: random.Random, turnout: float, yes: float) -> list:
    picks = []
    for voter in _counted(voters):
        if rng.random() < turnout:
            draw = rng.random()
            choice = BallotChoice.YES if draw < yes else (
                BallotChoice.NO if draw < yes + (1 - yes) * 0.7 else BallotChoice.ABSTAIN
            )  # fmt: skip
            picks.append((voter, choice, None))
    return picks


def _by_head_not_by_area(voters: list[Voter]) -> list:
    """Everyone with a small holding votes yes, the large holdings (the developer's among
    them) vote no: well over half the owners, well under the area needed."""
    counted = sorted(_counted(voters), key=lambda voter: (voter.area_units, voter.pk))
    total = sum(voter.area_units for voter in counted)
    picks, yes_area = [], 0
    heads_needed = len(counted) * 3 // 4 + 1
    for index, voter in enumerate(counted):
        is_yes = index < heads_needed and Fraction(yes_area + voter.area_units, total) < Fraction(
            3, 4
        )
        yes_area += voter.area_units if is_yes else 0
        picks.append((voter, BallotChoice.YES if is_yes else BallotChoice.NO, None))
    return picks


def _resident_owner(estate: Estate, taken: set[int]) -> int | None:
    """An owner in the estate who holds one flat alone and lives in it, not yet linked."""
    sole = (
        Ownership.objects.filter(
            dwelling__building__estate=estate,
            ended_on__isnull=True,
            owner__isnull=False,
            share_numerator=1,
            share_denominator=1,
        )
        .exclude(owner_id__in=taken)
        .values("owner_id")
        .annotate(flats=Count("id"))
        .filter(flats=1)
        .order_by("owner_id")
    )
    for row in sole[:50]:
        if Residency.objects.filter(person_id=row["owner_id"], ended_on__isnull=True).exists():
            return int(row["owner_id"])
    first = sole.first()
    if first is not None:
        return int(first["owner_id"])
    # A small town may have only co-owners (spouses): either of them may vote for the flat.
    anyone = (
        Ownership.objects.filter(
            dwelling__building__estate=estate, ended_on__isnull=True, owner__isnull=False
        )
        .exclude(owner_id__in=taken)
        .order_by("owner_id")
        .values_list("owner_id", flat=True)
        .first()
    )
    return int(anyone) if anyone else None


def _link_resident(user_id: int | None, estate: Estate) -> bool:
    if user_id is None or PersonAccount.objects.filter(user_id=user_id).exists():
        return False
    taken = set(PersonAccount.objects.values_list("person_id", flat=True))
    person_id = _resident_owner(estate, taken)
    if person_id is None:
        return False
    PersonAccount.objects.create(
        user_id=user_id, person_id=person_id, method=PersonAccount.Method.STAFF
    )
    return True


def _linked_voters(vote: Vote) -> set[int]:
    """Roll entries of owners with a sign-in account (the demo resident): left to vote."""
    linked = PersonAccount.objects.values("person_id")
    return set(
        VoterMember.objects.filter(vote=vote, person_id__in=linked).values_list(
            "voter_id", flat=True
        )
    )


def _elevator_doorway(estate: Estate) -> Unit | None:
    return (
        Unit.objects.filter(building__estate=estate)
        .annotate(flats=Count("dwellings"))
        .filter(flats__gte=6)
        .order_by("building__sort_order", "sort_order", "id")
        .first()
    )


def demo_votes_write(*, seed: int, resident_id: int | None, now: datetime.datetime) -> int:
    """Write the demo votes; returns the number of votes."""
    rng = random.Random(f"{seed}:votes")
    estates = list(Estate.objects.filter(kind=Estate.Kind.ESTATE).order_by("code"))
    home = _resident_estate(resident_id)
    if home is None or not estates:
        return 0
    others = [estate for estate in estates if estate.pk != home.pk]
    quorum_estate, head_estate, elevator_estate = (others + [home] * 3)[:3]
    _give_developer_units([head_estate, home], rng)
    _link_resident(resident_id, home)
    written = 0
    live_start = now - datetime.timedelta(days=5)
    past_open = now - datetime.timedelta(days=75)
    past_close = now - datetime.timedelta(days=60)

    # 1. Open: the transformer, paid from the maintenance fund (第278条 item 5), live board.
    staff = _staff_for(home)
    if staff is not None:
        transformer = _vote(
            staff,
            {"estate": home},
            home.cell_id,
            title=f"{home.name}更换老旧变压器（使用专项维修资金）",
            description="小区2号变压器已运行二十余年，拟使用专项维修资金更换，预算约38万元。",
            matter=MatterType.FUND_USE,
            opens_at=live_start,
            closes_at=now + datetime.timedelta(days=9),
            visibility=ResultsVisibility.LIVE,
        )
        voters = _open(transformer, live_start)
        waiting = _linked_voters(transformer)
        picks = _yes_no([v for v in voters if v.pk not in waiting], rng, 0.45, 0.8)
        _ballots(transformer, picks, rng, live_start, now, staff)
        written += 1

        # 2. Open: three design plans (Pujin), live board.
        design = _vote(
            staff,
            {"estate": home},
            home.cell_id,
            title=f"{home.name}公共区域改造设计方案（三选一）",
            description="设计单位提交三套方案，请业主选择其一。",
            matter=MatterType.OTHER_MAJOR,
            options_kind=VoteOptionsKind.PLANS,
            opens_at=live_start,
            closes_at=now + datetime.timedelta(days=12),
            visibility=ResultsVisibility.LIVE,
        )
        VoteOption.objects.bulk_create(
            VoteOption(vote=design, label=label, sort_order=index)
            for index, label in enumerate(PLANS)
        )
        option_ids = [option.pk for option in VoteOption.objects.filter(vote=design)]
        voters = _open(design, live_start)
        waiting = _linked_voters(design)
        picks = []
        for voter in _counted(voters):
            if voter.pk in waiting or rng.random() > 0.35:
                continue
            draw = rng.random()
            if draw < 0.05:
                picks.append((voter, BallotChoice.ABSTAIN, None))
            else:
                plan = option_ids[0 if draw < 0.3 else (1 if draw < 0.8 else 2)]
                picks.append((voter, BallotChoice.OPTION, plan))
        _ballots(design, picks, rng, live_start, now, staff)
        written += 1

    # 3. Closed: the property company's renewal, which failed its quorum.
    staff = _staff_for(quorum_estate)
    if staff is not None:
        renewal = _vote(
            staff,
            {"estate": quorum_estate},
            quorum_estate.cell_id,
            title=f"{quorum_estate.name}续聘物业服务企业",
            matter=MatterType.PROPERTY_MANAGER,
            opens_at=past_open,
            closes_at=past_close,
            visibility=ResultsVisibility.SEALED_UNTIL_CLOSE,
        )
        voters = _open(renewal, past_open)
        _ballots(renewal, _yes_no(voters, rng, 0.5, 0.7), rng, past_open, past_close, staff)
        vote_certify(renewal, now=past_close, closed_by=None)
        written += 1

    # 4. Closed: advertising on common parts (item 8) — passed by head, not by area.
    staff = _staff_for(head_estate)
    if staff is not None:
        adverts = _vote(
            staff,
            {"estate": head_estate},
            head_estate.cell_id,
            title=f"{head_estate.name}利用电梯轿厢及公共部位设置广告位",
            matter=MatterType.COMMON_PART_USE,
            opens_at=past_open,
            closes_at=past_close,
        )
        voters = _open(adverts, past_open)
        _ballots(adverts, _by_head_not_by_area(voters), rng, past_open, past_close, staff)
        vote_certify(adverts, now=past_close, closed_by=None)
        written += 1

    # 5. Closed: an elevator for one doorway (item 7), passed.
    staff = _staff_for(elevator_estate)
    doorway = _elevator_doorway(elevator_estate)
    if staff is not None and doorway is not None:
        elevator = _vote(
            staff,
            {"unit": doorway},
            elevator_estate.cell_id,
            title=f"{doorway}加装电梯",
            matter=MatterType.ALTERATION,
            is_elevator=True,
            opens_at=past_open,
            closes_at=past_close,
        )
        voters = _open(elevator, past_open)
        picks = [(voter, BallotChoice.YES, None) for voter in _counted(voters)]
        if len(picks) > 8:
            picks[-1] = (picks[-1][0], BallotChoice.NO, None)
        _ballots(elevator, picks, rng, past_open, past_close, staff)
        vote_certify(elevator, now=past_close, closed_by=None)
        written += 1
    return written


def demo_votes_step(context: Any) -> int:
    """The generation step (after housing): the demo votes; their number."""
    resident_id = context.user_ids.get("resident")
    count = demo_votes_write(seed=context.seed, resident_id=resident_id, now=timezone.now())
    context.counts["ballots"] = Ballot.objects.count()
    return count
