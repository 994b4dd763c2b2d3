"""200 owners voting in the same second, some twice: exactly one ballot each.

On PostgreSQL the owners are real threads released together by a barrier; SQLite serialises
writers, so there the same calls run one after another (the database constraint is the same).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections

from gridgov.accounts.models import User
from gridgov.accounts.tests.factories import UserFactory
from gridgov.participation.models import Ballot, Vote, VoteStatus
from gridgov.participation.services.votes import DuplicateBallotError, ballot_cast
from gridgov.participation.tests.factories import (
    VOTE_DURING,
    owned_dwelling,
    vote_opened,
    vote_world,
)
from gridgov.registry.models import PersonAccount
from gridgov.registry.tests.factories import PersonFactory

OWNERS = 200
TWICE = 40  # the first 40 owners press the button twice
WORKERS = 16


def _owners_with_accounts(town) -> tuple[Vote, list[User]]:
    world = vote_world(town)
    accounts = []
    for index in range(OWNERS):
        person = PersonFactory(cell=world.cell)
        owned_dwelling(world, person, room=f"{index // 10 + 1}{index % 10 + 1:02d}")
        user = UserFactory(username=f"owner-{index}")
        PersonAccount.objects.create(user=user, person=person, method=PersonAccount.Method.STAFF)
        accounts.append(user)
    return vote_opened(world), accounts


def _attempts(accounts: list[User]) -> list[User]:
    return accounts + accounts[:TWICE]


def _assert_one_ballot_each(vote: Vote, outcomes: Counter) -> None:
    assert outcomes == Counter({"cast": OWNERS, "refused": TWICE})
    per_voter = Counter(Ballot.objects.filter(vote=vote).values_list("voter_id", flat=True))
    assert len(per_voter) == OWNERS
    assert set(per_voter.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_hundred_owners_at_once_some_twice_get_exactly_one_ballot_each(
    audit_chain_genesis: None, town
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the sequential test covers it there")
    vote, accounts = _owners_with_accounts(town)
    # A connection per thread; PostgreSQL allows a bounded number, so 16 threads share the
    # 240 presses, and each owner's second press races the first from another thread.
    lanes: list[list[User]] = [[] for _lane in range(WORKERS)]
    for index, user in enumerate(accounts):
        lanes[index % WORKERS].append(user)
    for index, user in enumerate(accounts[:TWICE]):
        lanes[(index + 1) % WORKERS].insert(index // WORKERS, user)
    barrier = threading.Barrier(WORKERS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def press_all(users: list[User]) -> None:
        try:
            barrier.wait(timeout=60)
            for user in users:
                try:
                    ballot_cast(actor=user, vote_id=vote.pk, choice="yes", now=VOTE_DURING)
                    result = "cast"
                except DuplicateBallotError:
                    result = "refused"
                except Exception as error:
                    result = f"error:{type(error).__name__}:{error}"
                with lock:
                    outcomes[result] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press_all, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    _assert_one_ballot_each(vote, outcomes)


@pytest.mark.django_db
def test_two_hundred_owners_some_twice_sequentially_get_exactly_one_ballot_each(town) -> None:
    vote, accounts = _owners_with_accounts(town)
    outcomes: Counter = Counter()
    # Interleaved: each second press comes after others have voted.
    attempts = _attempts(accounts)
    for offset, user in enumerate(attempts):
        try:
            ballot_cast(
                actor=user,
                vote_id=vote.pk,
                choice="yes",
                now=VOTE_DURING + timedelta(milliseconds=offset),
            )
            outcomes["cast"] += 1
        except DuplicateBallotError:
            outcomes["refused"] += 1

    _assert_one_ballot_each(vote, outcomes)


@pytest.mark.django_db
def test_the_periodic_job_closes_due_votes(town, settings) -> None:
    from gridgov.config.celery import app as celery_app

    world = vote_world(town)
    owned_dwelling(world, PersonFactory(cell=world.cell))
    vote = vote_opened(world, closes_at=VOTE_DURING)
    entry = settings.CELERY_BEAT_SCHEDULE["participation-close-due-votes"]
    celery_app.loader.import_default_modules()
    task = celery_app.tasks[entry["task"]]

    assert task.apply().get() == 1
    assert task.apply().get() == 0
    vote.refresh_from_db()
    assert vote.status == VoteStatus.CLOSED
