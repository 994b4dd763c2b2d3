"""The demo town's owners' votes (``gridgov.demo.participation_votes``): open ones for the demo
resident, closed ones certified and sealed."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.demo.services import demo_town_generate
from gridgov.participation.models import Ballot, Vote, VoteStatus
from gridgov.participation.selectors.votes import vote_list_for_owner, vote_seal_verify
from gridgov.participation.services.votes import seal_digest
from gridgov.registry.models import PersonAccount


@pytest.fixture
def small_town(db):
    return demo_town_generate(profile="small", seed=5)


def test_the_demo_resident_is_an_owner_who_has_not_yet_voted_in_two_open_votes(small_town):
    resident = User.objects.get(username="resident")

    rows = [row for row in vote_list_for_owner(actor=resident) if row.vote.status == "open"]

    assert PersonAccount.objects.filter(user=resident).count() == 1
    assert sorted((row.vote.options_kind, row.has_ballot, row.can_cast) for row in rows) == [
        ("plans", False, True),
        ("yes_no", False, True),
    ]
    assert {row.vote.visibility for row in rows} == {"live"}


def test_the_demo_closed_votes_are_certified_and_their_seals_hold(small_town):
    admin = User.objects.get(username="admin")
    closed = list(Vote.objects.filter(status=VoteStatus.CLOSED).order_by("id"))

    assert small_town.counts["votes"] == Vote.objects.count() == 5
    assert len(closed) == 3
    for vote in closed:
        assert vote.result["seal_hash"] == vote.seal_hash == seal_digest(vote)
        assert vote.result["ballot_count"] == Ballot.objects.filter(vote=vote).count()
        assert vote_seal_verify(actor=admin, vote_id=vote.pk).is_intact is True
    elevator = next(vote for vote in closed if vote.is_elevator)
    assert elevator.result["outcome"] == "passed"
    assert elevator.unit_id is not None
    renewal = next(vote for vote in closed if vote.matter == "item4_property_manager")
    assert renewal.result["outcome"] == "failed_quorum"
