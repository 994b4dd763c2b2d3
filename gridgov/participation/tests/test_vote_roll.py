"""The roll and the certified count (法释〔2009〕7号 第8–9条): who counts once, with what area."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from gridgov.participation.models import Voter, VoteStatus
from gridgov.participation.services.votes import (
    VoteRollError,
    ballot_cast,
    paper_ballot_record,
    vote_close,
    vote_open,
)
from gridgov.participation.tests.factories import (
    VOTE_CLOSES,
    VOTE_DURING,
    VOTE_OPENS,
    developer,
    owned_dwelling,
    owner_person,
    resident_account,
    vote_created,
    vote_opened,
    vote_world,
)
from gridgov.registry.models import Dwelling


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path) -> Iterator[None]:
    """Uploads in a scratch folder; messages in the source language, as the assertions are."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def roll(vote_id: int) -> list[tuple[int, Decimal, int]]:
    """(members, area m², units) per roll entry, in a stable order."""
    return sorted(
        (voter.members.count(), voter.area_m2, voter.unit_count)
        for voter in Voter.objects.filter(vote_id=vote_id)
    )


def test_one_owner_of_several_units_counts_once_with_all_their_area(town) -> None:
    world = vote_world(town)
    many = owner_person(world)
    for _index in range(4):
        owned_dwelling(world, many, area="90.50")
    owned_dwelling(world, owner_person(world), area="60.00")

    vote = vote_opened(world)

    assert roll(vote.pk) == [(1, Decimal("60.00"), 1), (1, Decimal("362.00"), 4)]
    assert (vote.total_owners, vote.total_units) == (2, 5)
    assert vote.total_area_units * 100 // vote.area_unit_denominator == 42200


def test_the_developers_unsold_units_count_as_one_owner(town) -> None:
    world = vote_world(town)
    builder = developer()
    for _index in range(3):
        owned_dwelling(world, builder, area="100.00")
    owned_dwelling(world, owner_person(world), area="100.00")

    vote = vote_opened(world)

    organisation = Voter.objects.get(vote=vote, organization=builder)
    assert (organisation.unit_count, organisation.area_m2, organisation.key) == (
        3,
        Decimal("300.00"),
        f"o{builder.pk}",
    )
    assert vote.total_owners == 2


def test_co_owners_of_a_unit_are_one_owner_who_has_not_yet_designated_a_voter(town) -> None:
    world = vote_world(town)
    first, second = owner_person(world), owner_person(world)
    owned_dwelling(world, first, second, area="88.00")
    owned_dwelling(world, owner_person(world), area="70.00")

    vote = vote_opened(world)

    together = Voter.objects.get(vote=vote, key=f"p{first.pk}+p{second.pk}")
    assert (together.area_m2, together.unit_count, together.designated_person_id) == (
        Decimal("88.00"),
        1,
        None,
    )
    assert vote.total_owners == 2


def test_a_partial_share_counts_its_part_of_the_area_exactly(town) -> None:
    world = vote_world(town)
    owned_dwelling(world, owner_person(world), area="100.00", shares=((1, 3),))
    owned_dwelling(world, owner_person(world), area="100.00")

    vote = vote_opened(world)

    assert (vote.total_area_units, vote.area_unit_denominator) == (400, 3)  # 400/3 m²
    assert roll(vote.pk) == [(1, Decimal("33.33"), 1), (1, Decimal("100.00"), 1)]


def test_common_parts_are_left_out_and_units_without_an_owner_still_count(town) -> None:
    world = vote_world(town)
    owned_dwelling(world, owner_person(world), area="100.00")
    owned_dwelling(world, area="50.00")  # no owner on record
    owned_dwelling(world, owner_person(world), area="30.00", use=Dwelling.Use.COMMON)

    vote = vote_opened(world)

    assert roll(vote.pk) == [(0, Decimal("50.00"), 1), (1, Decimal("100.00"), 1)]
    assert vote.total_owners == 2


def test_a_vote_on_a_scope_without_ownership_data_is_refused(town) -> None:
    world = vote_world(town)
    owned_dwelling(world, area="80.00")
    vote = vote_created(world)

    with pytest.raises(VoteRollError) as refusal:
        vote_open(actor=world.staff, vote_id=vote.pk, now=VOTE_OPENS)

    assert refusal.value.code == "vote_roll"
    vote.refresh_from_db()
    assert vote.status == VoteStatus.DRAFT
    assert Voter.objects.filter(vote=vote).count() == 0


def test_a_vote_on_a_scope_with_units_without_registered_area_is_refused(town) -> None:
    world = vote_world(town)
    owned_dwelling(world, owner_person(world), area="")
    vote = vote_created(world)

    with pytest.raises(VoteRollError, match="1 exclusive units of this scope have no"):
        vote_open(actor=world.staff, vote_id=vote.pk, now=VOTE_OPENS)

    assert Voter.objects.filter(vote=vote).count() == 0


# --- End to end: the roll decides the outcome ------------------------------------------------


def _cast_online(vote_id: int, people: list, choice: str = "yes") -> None:
    for person in people:
        user = resident_account(person, person.cell)
        ballot_cast(actor=user, vote_id=vote_id, choice=choice, now=VOTE_DURING)


def _build(world, layout: list[tuple[str, int, str]]) -> dict[str, object]:
    """``layout``: (owner name, units, area per unit); the name "dev" is the developer."""
    owners: dict[str, object] = {}
    for name, units, area in layout:
        owner = developer() if name == "dev" else owner_person(world)
        owners[name] = owner
        for _index in range(units):
            owned_dwelling(world, owner, area=area)
    return owners


@pytest.mark.parametrize(
    ("layout", "voting_yes", "outcome", "roll_owners"),
    [
        pytest.param(
            # A holds 6 of 9 units: 2/3 of the area, but one owner of 4: no quorum by head.
            [("A", 6, "100.00"), ("B", 1, "100.00"), ("C", 1, "100.00"), ("D", 1, "100.00")],
            ["A", "B"],
            "failed_quorum",
            4,
            id="one-owner-with-many-units",
        ),
        pytest.param(
            # The developer's 5 unsold units are one owner; three owners of four take part.
            [("dev", 5, "100.00"), ("B", 1, "100.00"), ("C", 1, "100.00"), ("D", 1, "100.00")],
            ["B", "C", "D"],
            "failed_quorum",  # 3/4 of the owners, but only 300/800 of the area
            4,
            id="developers-units-count-as-one",
        ),
        pytest.param(
            # Small flats vote yes, the large ones do not vote: 3 of 4 owners, 2/3 of the area.
            [("A", 1, "100.00"), ("B", 1, "50.00"), ("C", 1, "50.00"), ("D", 1, "100.00")],
            ["A", "B", "C"],
            "passed",  # area 200/300: exactly 2/3 is enough
            4,
            id="exactly-two-thirds-of-the-area",
        ),
        pytest.param(
            [("A", 1, "100.00"), ("B", 1, "50.00"), ("C", 1, "49.00"), ("D", 1, "101.00")],
            ["A", "B", "C"],
            "failed_quorum",  # area 199/300: one square metre short
            4,
            id="one-square-metre-short",
        ),
        pytest.param(
            # Everyone votes (below, the rest vote no): yes by 3 of 5 owners but 150 of 400 m².
            [
                ("A", 1, "200.00"),
                ("B", 1, "50.00"),
                ("C", 1, "50.00"),
                ("D", 1, "50.00"),
                ("E", 1, "50.00"),
            ],
            ["B", "C", "D"],
            "failed_approval",
            5,
            id="passes-by-head-not-by-area",
        ),
        pytest.param(
            [
                ("A", 1, "200.00"),
                ("B", 1, "50.00"),
                ("C", 1, "50.00"),
                ("D", 1, "50.00"),
                ("E", 1, "50.00"),
            ],
            ["A", "B"],
            "failed_approval",  # 250/400 of the area, 2 of 5 owners
            5,
            id="passes-by-area-not-by-head",
        ),
    ],
)
def test_the_roll_decides_the_certified_outcome(
    town, layout, voting_yes, outcome, roll_owners
) -> None:
    world = vote_world(town)
    owners = _build(world, layout)
    vote = vote_opened(world)
    people = [owners[name] for name in voting_yes if name != "dev"]
    _cast_online(vote.pk, people)
    if outcome == "failed_approval":
        others = [owner for name, owner in owners.items() if name not in voting_yes]
        _cast_online(vote.pk, others, choice="no")
    if "dev" in voting_yes:
        voter = Voter.objects.get(vote=vote, organization=owners["dev"])
        paper_ballot_record(
            actor=world.staff, vote_id=vote.pk, voter_id=voter.pk, choice="yes",
            photo=_photo(), now=VOTE_DURING,
        )  # fmt: skip

    closed = vote_close(actor=None, vote_id=vote.pk, now=VOTE_CLOSES)

    assert closed.total_owners == roll_owners
    assert closed.result["outcome"] == outcome


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("ballot.jpg", b"\xff\xd8\xff\xe0 paper", content_type="image/jpeg")
