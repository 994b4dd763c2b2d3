"""A household's members rating at the same moment (PostgreSQL: real threads)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from gridgov.participation.models import RatingAnswer, RatingResponse
from gridgov.participation.services.ratings import rating_submit
from gridgov.participation.tests.factories import all_stars, resident_account, supervision_world
from gridgov.registry.models import Residency
from gridgov.registry.tests.factories import PersonFactory

THREADS = 6


@pytest.mark.django_db(transaction=True)
def test_household_members_rating_at_once_leave_exactly_one_response(audit_chain_genesis, town):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the sequential refusal tests cover it there")
    world = supervision_world(town)
    dwelling = world.a.dwellings[0]
    accounts = [world.resident]
    for index in range(THREADS - 1):
        member = PersonFactory(cell=town.grid_a)
        Residency.objects.create(
            person=member,
            dwelling=dwelling,
            role=Residency.Role.FAMILY,
            started_on=datetime.date(2022, 1, 1),
        )
        accounts.append(resident_account(member, town.grid_a, f"member{index}"))
    stars = all_stars(world.survey, 4)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def rate(account: object) -> None:
        try:
            barrier.wait()
            rating_submit(actor=account, survey=world.survey, stars=stars)  # type: ignore[arg-type]
            outcomes.append("recorded")
        except ValidationError as error:
            outcomes.append(str(error.code))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already_rated"] * (THREADS - 1) + ["recorded"]
    assert RatingResponse.objects.filter(dwelling=dwelling).count() == 1
    assert RatingAnswer.objects.count() == 3
