"""Ballots, proxies, paper, closing and the seal: every refusal leaves the tally unchanged."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from gridgov.accounts.models import User
from gridgov.core.models import AuditEntry
from gridgov.participation.models import Ballot, Vote, Voter, VoteStatus
from gridgov.participation.selectors.votes import (
    vote_ballot_list_for_actor,
    vote_list_for_owner,
    vote_seal_verify,
    vote_tally_for_actor,
)
from gridgov.participation.services.votes import (
    DuplicateBallotError,
    NotAnOwnerError,
    ProxyNotAuthorisedError,
    VoteChoiceError,
    VoteError,
    VoteNotFoundError,
    VoteStateError,
    ballot_cast,
    ballot_verify_receipt,
    paper_ballot_record,
    proxy_record,
    vote_close,
    vote_close_due,
    vote_create,
    voter_designate,
)
from gridgov.participation.tests.factories import (
    VOTE_CLOSES,
    VOTE_DURING,
    VOTE_OPENS,
    VoteWorld,
    owned_dwelling,
    owner_person,
    resident_account,
    vote_opened,
    vote_world,
)
from gridgov.registry.models import Person
from gridgov.registry.tests.factories import BuildingFactory, DwellingFactory, OwnershipFactory


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path) -> Iterator[None]:
    """Uploads in a scratch folder; messages in the source language, as the assertions are."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


def photo(name: str = "ballot.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0 paper", content_type="image/jpeg")


@dataclass
class Scene:
    world: VoteWorld
    vote: Vote
    owners: list[Person]
    accounts: list[User]


@pytest.fixture
def scene(town) -> Scene:
    """Three owners of 100 m² each in the doorway, each with a linked account; the vote open."""
    world = vote_world(town)
    owners = [owner_person(world) for _index in range(3)]
    for owner in owners:
        owned_dwelling(world, owner)
    vote = vote_opened(world)
    accounts = [resident_account(owner, world.cell) for owner in owners]
    return Scene(world, vote, owners, accounts)


def ballots(vote: Vote) -> list[tuple[str, str]]:
    return sorted(Ballot.objects.filter(vote=vote).values_list("voter__key", "choice"))


def test_an_owner_votes_once_and_gets_an_unguessable_receipt(scene: Scene) -> None:
    ballot = ballot_cast(
        actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING
    )

    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes")]
    assert len(ballot.receipt) == 16
    assert ballot.receipt.isalnum()
    assert ballot.channel == "online"
    assert AuditEntry.objects.filter(action="participation.ballot_cast").count() == 1


def test_a_second_ballot_is_refused_and_the_first_stands(scene: Scene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    with pytest.raises(DuplicateBallotError, match="already voted online"):
        ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="no", now=VOTE_DURING)

    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes")]


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        (VOTE_OPENS - datetime.timedelta(minutes=1), "vote_not_open"),
        (VOTE_CLOSES, "vote_closed"),
        (VOTE_CLOSES + datetime.timedelta(days=1), "vote_closed"),
    ],
)
def test_a_ballot_outside_the_voting_period_is_refused(
    scene: Scene, moment: datetime.datetime, code: str
) -> None:
    with pytest.raises(VoteStateError) as refusal:
        ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=moment)

    assert refusal.value.code == code
    assert ballots(scene.vote) == []


def test_a_ballot_after_the_close_is_refused_and_the_result_stays(scene: Scene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk, now=VOTE_DURING)

    with pytest.raises(VoteStateError, match="closed"):
        ballot_cast(actor=scene.accounts[1], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    scene.vote.refresh_from_db()
    assert scene.vote.ballot_count_at_close == 1
    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes")]


def test_a_person_who_owns_nothing_cannot_vote(scene: Scene) -> None:
    stranger = resident_account(owner_person(scene.world), scene.world.cell)

    with pytest.raises(NotAnOwnerError) as refusal:
        ballot_cast(actor=stranger, vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    assert refusal.value.code == "not_an_owner"
    assert ballots(scene.vote) == []


def test_an_owner_outside_the_scope_cannot_vote(scene: Scene) -> None:
    elsewhere = owner_person(scene.world)
    other_building = BuildingFactory(estate=scene.world.estate, cell=scene.world.cell)
    OwnershipFactory(dwelling=DwellingFactory(building=other_building), owner=elsewhere)
    account = resident_account(elsewhere, scene.world.cell)

    with pytest.raises(NotAnOwnerError) as refusal:
        ballot_cast(actor=account, vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    assert refusal.value.code == "outside_scope"
    assert ballots(scene.vote) == []


def test_an_account_not_linked_to_a_person_cannot_vote(scene: Scene) -> None:
    with pytest.raises(NotAnOwnerError) as refusal:
        ballot_cast(actor=scene.world.staff, vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    assert refusal.value.code == "not_linked"
    assert ballots(scene.vote) == []


def test_a_choice_that_is_not_an_option_is_refused(scene: Scene) -> None:
    with pytest.raises(VoteChoiceError):
        ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="maybe", now=VOTE_DURING)

    assert ballots(scene.vote) == []


def test_a_proxy_without_a_recorded_authorisation_is_refused(scene: Scene) -> None:
    owner_voter = Voter.objects.get(vote=scene.vote, key=f"p{scene.owners[1].pk}")

    with pytest.raises(ProxyNotAuthorisedError):
        ballot_cast(
            actor=scene.accounts[0],
            vote_id=scene.vote.pk,
            choice="yes",
            voter_id=owner_voter.pk,
            now=VOTE_DURING,
        )

    assert ballots(scene.vote) == []


def test_a_recorded_proxy_votes_for_the_owner_who_authorised_them(scene: Scene) -> None:
    proxy_person = owner_person(scene.world)
    proxy_account = resident_account(proxy_person, scene.world.cell)
    owner_voter = Voter.objects.get(vote=scene.vote, key=f"p{scene.owners[1].pk}")
    document = SimpleUploadedFile("authorisation.pdf", b"%PDF-1.4 letter")
    proxy_record(
        actor=scene.world.staff,
        vote_id=scene.vote.pk,
        voter_id=owner_voter.pk,
        reference="委托书 2026-07",
        document=document,
        proxy_person_id=proxy_person.pk,
    )

    ballot = ballot_cast(
        actor=proxy_account,
        vote_id=scene.vote.pk,
        choice="no",
        voter_id=owner_voter.pk,
        now=VOTE_DURING,
    )

    assert (ballot.channel, ballot.voter_id, ballot.proxy.reference) == (
        "proxy",
        owner_voter.pk,
        "委托书 2026-07",
    )
    with pytest.raises(DuplicateBallotError):
        ballot_cast(actor=scene.accounts[1], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)
    assert ballots(scene.vote) == [(f"p{scene.owners[1].pk}", "no")]


def test_a_paper_ballot_for_an_owner_who_voted_online_is_refused(scene: Scene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)
    voter = Voter.objects.get(vote=scene.vote, key=f"p{scene.owners[0].pk}")

    with pytest.raises(DuplicateBallotError, match="already voted online"):
        paper_ballot_record(
            actor=scene.world.staff,
            vote_id=scene.vote.pk,
            voter_id=voter.pk,
            choice="no",
            photo=photo(),
            now=VOTE_DURING,
        )

    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes")]


def test_a_paper_ballot_needs_a_photo_of_the_paper(scene: Scene) -> None:
    voter = Voter.objects.get(vote=scene.vote, key=f"p{scene.owners[0].pk}")

    with pytest.raises(VoteError) as refusal:
        paper_ballot_record(
            actor=scene.world.staff,
            vote_id=scene.vote.pk,
            voter_id=voter.pk,
            choice="yes",
            photo=photo("ballot.exe"),
            now=VOTE_DURING,
        )

    assert refusal.value.code == "upload_not_image"
    assert ballots(scene.vote) == []


def test_staff_outside_the_area_cannot_record_paper_ballots_or_close(scene: Scene) -> None:
    voter = Voter.objects.get(vote=scene.vote, key=f"p{scene.owners[0].pk}")

    with pytest.raises(PermissionDenied):
        paper_ballot_record(
            actor=scene.world.outsider,
            vote_id=scene.vote.pk,
            voter_id=voter.pk,
            choice="yes",
            photo=photo(),
            now=VOTE_DURING,
        )
    with pytest.raises(PermissionDenied):
        vote_close(actor=scene.world.viewer, vote_id=scene.vote.pk, now=VOTE_DURING)

    scene.vote.refresh_from_db()
    assert scene.vote.status == VoteStatus.OPEN
    assert ballots(scene.vote) == []


def test_staff_outside_the_area_cannot_create_a_vote(scene: Scene) -> None:
    with pytest.raises(PermissionDenied):
        vote_create(
            actor=scene.world.outsider,
            title="外区表决",
            matter="item5_fund_use",
            opens_at=VOTE_OPENS,
            closes_at=VOTE_CLOSES,
            unit_id=scene.world.unit.pk,
        )

    assert Vote.objects.count() == 1


def test_an_elevator_vote_must_be_an_alteration(scene: Scene) -> None:
    with pytest.raises(VoteError, match="item 7"):
        vote_create(
            actor=scene.world.staff,
            title="加装电梯",
            matter="item5_fund_use",
            is_elevator=True,
            opens_at=VOTE_OPENS,
            closes_at=VOTE_CLOSES,
            unit_id=scene.world.unit.pk,
        )

    assert Vote.objects.count() == 1


def test_co_owners_vote_through_the_one_they_designate(town) -> None:
    world = vote_world(town)
    first, second = owner_person(world), owner_person(world)
    owned_dwelling(world, first, second)
    vote = vote_opened(world)
    voter = Voter.objects.get(vote=vote)
    voter_designate(actor=world.staff, vote_id=vote.pk, voter_id=voter.pk, person_id=second.pk)

    with pytest.raises(NotAnOwnerError) as refusal:
        ballot_cast(
            actor=resident_account(first, world.cell),
            vote_id=vote.pk,
            choice="yes",
            now=VOTE_DURING,
        )
    assert refusal.value.code == "not_designated"
    assert ballots(vote) == []

    ballot_cast(
        actor=resident_account(second, world.cell), vote_id=vote.pk, choice="yes", now=VOTE_DURING
    )
    assert ballots(vote) == [(f"p{first.pk}+p{second.pk}", "yes")]


def test_the_system_closes_only_votes_past_their_deadline(scene: Scene) -> None:
    assert vote_close_due(now=VOTE_DURING) == 0
    with pytest.raises(VoteStateError):
        vote_close(actor=None, vote_id=scene.vote.pk, now=VOTE_DURING)

    assert vote_close_due(now=VOTE_CLOSES) == 1
    assert vote_close_due(now=VOTE_CLOSES) == 0
    scene.vote.refresh_from_db()
    assert (scene.vote.status, scene.vote.closed_by_id) == (VoteStatus.CLOSED, None)
    assert scene.vote.result["outcome"] == "failed_quorum"


def test_the_certified_result_carries_the_rule_the_figures_and_the_seal(scene: Scene) -> None:
    for account, choice in zip(scene.accounts, ["yes", "yes", "no"], strict=True):
        ballot_cast(actor=account, vote_id=scene.vote.pk, choice=choice, now=VOTE_DURING)

    vote = vote_close(actor=scene.world.staff, vote_id=scene.vote.pk, now=VOTE_CLOSES)

    result = vote.result
    assert (result["outcome"], result["winner"]) == ("passed", "yes")
    assert result["rule"]["code"] == "civil_code_2021"
    assert result["rule"]["approval_area"] == "> 1/2"
    assert result["roll"] == {
        "owners": 3,
        "units": 3,
        "heads": 3,
        "area": "300",
        "area_m2": "300.00",
    }
    assert [
        (t["code"], t["numerator"], t["denominator"], t["passed"]) for t in result["tests"]
    ] == [
        ("quorum_area", "300", "300", True),
        ("quorum_heads", "3", "3", True),
        ("approval_area", "200", "300", True),
        ("approval_heads", "2", "3", True),
    ]
    assert [(o["key"], o["owners"]) for o in result["options"]] == [
        ("yes", 2),
        ("no", 1),
        ("abstain", 0),
    ]
    assert result["seal_hash"] == vote.seal_hash
    assert len(vote.seal_hash) == 64
    assert vote_seal_verify(actor=scene.world.staff, vote_id=vote.pk).is_intact is True


def test_a_ballot_changed_after_the_close_breaks_the_seal(scene: Scene) -> None:
    ballot = ballot_cast(
        actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING
    )
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk, now=VOTE_CLOSES)

    Ballot.objects.filter(pk=ballot.pk).update(choice="no")  # tampering behind the services

    check = vote_seal_verify(actor=scene.world.staff, vote_id=scene.vote.pk)
    assert check.is_intact is False
    assert check.recorded != check.recomputed


def test_a_voter_checks_their_receipt(scene: Scene) -> None:
    ballot = ballot_cast(
        actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING
    )

    during = ballot_verify_receipt(
        actor=scene.accounts[0], vote_id=scene.vote.pk, receipt=ballot.receipt.lower()
    )
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk, now=VOTE_CLOSES)
    after = ballot_verify_receipt(
        actor=scene.accounts[0], vote_id=scene.vote.pk, receipt=ballot.receipt
    )
    unknown = ballot_verify_receipt(
        actor=scene.accounts[0], vote_id=scene.vote.pk, receipt="AAAAAAAAAAAAAAAA"
    )

    assert (during.is_found, during.is_counted, during.choice_label) == (True, False, "Yes")
    assert (after.is_found, after.is_counted) == (True, True)
    assert unknown.is_found is False


def test_a_sealed_vote_shows_only_the_number_of_ballots_until_the_close(town) -> None:
    world = vote_world(town)
    owner = owner_person(world)
    owned_dwelling(world, owner)
    vote = vote_opened(world, visibility="sealed")
    account = resident_account(owner, world.cell)
    ballot_cast(actor=account, vote_id=vote.pk, choice="no", now=VOTE_DURING)

    sealed = vote_tally_for_actor(actor=world.staff, vote_id=vote.pk)
    rows = vote_ballot_list_for_actor(actor=account, vote_id=vote.pk)
    vote_close(actor=world.staff, vote_id=vote.pk, now=VOTE_CLOSES)
    opened = vote_tally_for_actor(actor=world.staff, vote_id=vote.pk)

    assert (sealed.is_sealed, sealed.ballot_count, sealed.options, sealed.decision) == (
        True,
        1,
        None,
        None,
    )
    assert rows[0].choice_label is None
    assert opened.is_sealed is False
    assert [(option.key, option.owners) for option in opened.options or []] == [
        ("yes", 0),
        ("no", 1),
        ("abstain", 0),
    ]


def test_the_ballot_list_masks_names_and_is_open_to_the_owners_of_the_scope(
    scene: Scene,
) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    rows = vote_ballot_list_for_actor(actor=scene.accounts[1], vote_id=scene.vote.pk)

    name = scene.owners[0].name
    assert len(rows) == 1
    assert rows[0].masked_name == name[0] + "*" * (len(name) - 1)
    assert rows[0].choice_label == "Yes"
    assert rows[0].rooms.startswith("3号楼1单元")
    with pytest.raises(VoteNotFoundError):
        vote_ballot_list_for_actor(actor=scene.world.outsider, vote_id=scene.vote.pk)


def test_an_owner_sees_the_votes_they_can_take_part_in(scene: Scene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes", now=VOTE_DURING)

    voted = vote_list_for_owner(actor=scene.accounts[0], now=VOTE_DURING)
    not_yet = vote_list_for_owner(actor=scene.accounts[1], now=VOTE_DURING)

    assert [(row.vote.pk, row.has_ballot, row.can_cast) for row in voted] == [
        (scene.vote.pk, True, False)
    ]
    assert [(row.vote.pk, row.has_ballot, row.can_cast) for row in not_yet] == [
        (scene.vote.pk, False, True)
    ]
    assert vote_list_for_owner(actor=scene.world.staff) == []


def test_a_plan_vote_is_won_by_the_plan_that_meets_the_approval(town) -> None:
    world = vote_world(town)
    owners = [owner_person(world) for _index in range(4)]
    for owner in owners:
        owned_dwelling(world, owner)
    vote = vote_opened(
        world,
        title="小区景观改造设计方案",
        matter="item9_other_major",
        options_kind="plans",
        plans=["方案一", "方案二", "方案三"],
    )
    plans = list(vote.options.order_by("sort_order"))
    for owner, plan in zip(owners, [plans[1], plans[1], plans[1], plans[0]], strict=True):
        ballot_cast(
            actor=resident_account(owner, world.cell),
            vote_id=vote.pk,
            choice="option",
            option_id=plan.pk,
            now=VOTE_DURING,
        )

    closed = vote_close(actor=world.staff, vote_id=vote.pk, now=VOTE_CLOSES)

    assert (closed.result["winner_label"], closed.result["outcome"]) == ("方案二", "passed")
    assert [(o["label"], o["owners"]) for o in closed.result["options"]] == [
        ("方案一", 1),
        ("方案二", 3),
        ("方案三", 0),
        ("Abstain", 0),
    ]
