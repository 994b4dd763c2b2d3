"""The tally of a 10,000-owner estate (issue: under 200 ms), on SQLite and PostgreSQL.

One estate of 10,000 flats, each owned by its own person (a tenth of them by two spouses, and
200 of the flats by the developer, who counts once), a vote opened on it (the roll built by
the same code as ``vote_open``) and 8,000 ballots. Timed: ``vote_tally`` — the live board's
figures by area and by head, per option, with the art. 278 tests — median of repeated calls;
the baseline is a plain ``COUNT`` over the vote's ballots, timed the same way in the same run.
The roll's build time is recorded too.

``task_votes_tally`` runs inside a benchmark subprocess (``python -m gridgov.demo.benchmarks
votes_tally``) with its own database settings.
"""

from __future__ import annotations

import datetime
import hashlib
import random
import statistics
import time
from typing import Any

OWNERS = 10_000
TURNOUT = 0.8
CO_OWNED_EVERY = 10
DEVELOPER_FLATS = 200
REPEATS = 31
WARMUP = 3
FLATS_PER_DOORWAY = 24
START = datetime.datetime(2026, 12, 1, 1, 0, tzinfo=datetime.UTC)


def _people(count: int, cell_id: int) -> list[int]:
    from gridgov.registry.models import Person

    rows = []
    for index in range(count):
        digest = hashlib.sha256(f"bench-vote-owner-{index}".encode()).hexdigest()
        rows.append(
            Person(
                id_type="resident_id",
                id_number_encrypted="bench",
                id_number_hash=digest,
                id_number_prefix="310112",
                id_number_last4=f"{index % 10_000:04d}",
                name=f"业主{index}",
                name_pinyin=f"yezhu{index}",
                name_initials="yz",
                cell_id=cell_id,
            )
        )
    created = Person.objects.bulk_create(rows, batch_size=2000)
    if created and created[0].pk is None:
        return list(
            Person.objects.filter(name_pinyin__startswith="yezhu")
            .order_by("id")
            .values_list("id", flat=True)
        )
    return [person.pk for person in created]


def _estate(rng: random.Random) -> Any:
    """The estate, its flats and their owners; returns the estate."""
    from decimal import Decimal

    from gridgov.accounts.models import Organization
    from gridgov.grids.models import Cell
    from gridgov.registry.models import Building, Dwelling, Estate, Ownership, Unit

    cell, _created = Cell.objects.get_or_create(
        code="310112106998", defaults={"name": "基准小区网格", "level": "grid"}
    )
    estate = Estate.objects.create(code="BENCH-VOTE", name="基准万户小区", cell=cell)
    developer = Organization.objects.create(code="bench-developer", name="基准置业", kind="other")
    doorways = (OWNERS + DEVELOPER_FLATS) // FLATS_PER_DOORWAY + 1
    buildings = Building.objects.bulk_create(
        Building(estate=estate, label=f"{number + 1}号楼", cell=cell, sort_order=number)
        for number in range(doorways // 4 + 1)
    )
    if buildings[0].pk is None:
        buildings = list(Building.objects.filter(estate=estate).order_by("sort_order"))
    Unit.objects.bulk_create(
        Unit(building=buildings[number // 4], label=f"{number % 4 + 1}单元", sort_order=number)
        for number in range(doorways)
    )
    units = list(Unit.objects.filter(building__estate=estate).order_by("sort_order", "id"))
    dwellings = []
    for index in range(OWNERS + DEVELOPER_FLATS):
        unit = units[index // FLATS_PER_DOORWAY]
        floor, flat = divmod(index % FLATS_PER_DOORWAY, 2)
        area = Decimal(rng.randrange(4500, 16000)) / 100
        dwellings.append(
            Dwelling(building_id=unit.building_id, unit=unit, room=f"{floor + 1}0{flat + 1}",
                     floor=floor + 1, area_m2=area, cell=cell,
                     address=f"基准万户小区{unit.building_id}-{unit.pk}-{floor + 1}0{flat + 1}")
        )  # fmt: skip
    Dwelling.objects.bulk_create(dwellings, batch_size=2000)
    dwelling_ids = list(
        Dwelling.objects.filter(building__estate=estate).order_by("id").values_list("id", flat=True)
    )
    people = _people(OWNERS + OWNERS // CO_OWNED_EVERY, cell.pk)
    spouses = iter(people[OWNERS:])
    ownerships = []
    since = datetime.date(2015, 1, 1)
    for index, dwelling_id in enumerate(dwelling_ids):
        if index >= OWNERS:
            ownerships.append(Ownership(dwelling_id=dwelling_id, owner_organization=developer,
                                        started_on=since))  # fmt: skip
        elif index % CO_OWNED_EVERY == 0:
            for person_id in (people[index], next(spouses)):
                ownerships.append(Ownership(dwelling_id=dwelling_id, owner_id=person_id,
                                            share_numerator=1, share_denominator=2,
                                            started_on=since))  # fmt: skip
        else:
            ownerships.append(Ownership(dwelling_id=dwelling_id, owner_id=people[index],
                                        started_on=since))  # fmt: skip
    Ownership.objects.bulk_create(ownerships, batch_size=2000)
    return estate


def _ballots(vote: Any, rng: random.Random) -> int:
    from gridgov.participation.models import Ballot, Voter
    from gridgov.participation.services.votes import new_receipt

    voters = list(Voter.objects.filter(vote=vote).values_list("id", "area_units", "unit_count"))
    rows = []
    for offset, (voter_id, area_units, unit_count) in enumerate(voters):
        if rng.random() >= TURNOUT:
            continue
        draw = rng.random()
        choice = "yes" if draw < 0.6 else ("no" if draw < 0.9 else "abstain")
        rows.append(
            Ballot(vote=vote, voter_id=voter_id, choice=choice, channel="online",
                   area_units=area_units, unit_count=unit_count, receipt=new_receipt(),
                   created_at=START + datetime.timedelta(seconds=offset))
        )  # fmt: skip
    Ballot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _median_ms(call: Any) -> tuple[float, list[float]]:
    for _index in range(WARMUP):
        call()
    timings = []
    for _index in range(REPEATS):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), timings


def task_votes_tally() -> dict[str, Any]:
    from gridgov.demo.benchmarks import _setup_django

    _setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from gridgov.accounts.models import User
    from gridgov.participation.models import Ballot, Vote, VoteStatus
    from gridgov.participation.selectors.votes import vote_tally
    from gridgov.participation.services.votes import build_roll, write_roll

    rng = random.Random(278)
    estate = _estate(rng)
    staff = User.objects.create(username="bench-vote-staff")
    vote = Vote.objects.create(
        title="基准表决", estate=estate, matter="item5_fund_use", opens_at=START,
        closes_at=START + datetime.timedelta(days=14), cell=estate.cell, created_by=staff,
    )  # fmt: skip
    started = time.perf_counter()
    write_roll(vote, build_roll(vote, today=datetime.date(2026, 12, 1)))
    roll_seconds = time.perf_counter() - started
    vote.status = VoteStatus.OPEN
    vote.save()
    ballots = _ballots(vote, rng)
    # Live board: the vote object is fetched per refresh, as the selector does.
    tally_ms, timings = _median_ms(lambda: vote_tally(Vote.objects.get(pk=vote.pk)))
    baseline_ms, _baseline = _median_ms(lambda: Ballot.objects.filter(vote_id=vote.pk).count())
    with CaptureQueriesContext(connection) as captured:
        tally = vote_tally(Vote.objects.get(pk=vote.pk))
    return {
        "vendor": connection.vendor,
        "owners": vote.total_owners,
        "units": vote.total_units,
        "ballots": ballots,
        "tally_median_ms": tally_ms,
        "tally_max_ms": max(timings),
        "baseline_median_ms": baseline_ms,
        "queries": len(captured.captured_queries),
        "roll_seconds": roll_seconds,
        "tally_ballots": tally.ballot_count,
        "outcome": tally.decision.outcome if tally.decision else "",
    }
