"""The live-board benchmark's setup and load, tiny, against the test database (never timed):
a handful of signed-in owners cast through the ballot form and refresh the board."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from gridgov.demo import bench_votes
from gridgov.demo.bench_votes_board import board_ballots, board_load, board_setup
from gridgov.participation.models import Ballot, Vote

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]


class _OneRequestAtATime(WSGIServer):
    """The test database may be one in-memory SQLite connection, shared with this thread:
    requests are served one after the other, never two on that connection at once."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class _ServerThread(LiveServerThread):
    server_class = _OneRequestAtATime  # type: ignore[assignment]


@pytest.fixture
def server_port(transactional_db: None) -> Iterator[int]:
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()  # type: ignore[attr-defined]
    }
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = _ServerThread("127.0.0.1", _StaticFilesHandler, connections_override=shared)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    try:
        yield thread.port
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def small_estate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_votes, "OWNERS", 60)
    monkeypatch.setattr(bench_votes, "DEVELOPER_FLATS", 4)


@pytest.mark.usefixtures("small_estate")
def test_board_benchmark_voters_cast_one_ballot_each_and_refresh_the_board(
    server_port: int,
) -> None:
    # given: an open vote on the estate, five signed-in owners who have not voted and two
    # committee members
    setup = board_setup(voters=5, staff=2)
    vote = Vote.objects.get(pk=setup.vote_id)
    assert vote.total_owners == 61  # 60 flats of people (spouses count once), the developer
    assert Ballot.objects.filter(vote=vote).count() == setup.earlier_ballots
    assert Ballot.objects.filter(vote=vote, voter_id__in=setup.voter_ids).count() == 0
    # when
    figures = board_load(
        port=server_port,
        setup=setup,
        duration=2.0,
        arrival=0.2,
        owner_poll=1.0,
        poll=0.5,
        baseline_clients=2,
    )
    # then
    assert figures["cast"]["statuses"] == {"302": 5}
    assert board_ballots(setup) == {
        "voter_ballots": 5,
        "voters_with_ballot": 5,
        "ballots_total": setup.earlier_ballots + 5,
    }
    board = figures["board"]
    assert board["requests"] >= 5
    assert board["statuses"] == {"200": board["requests"]}
    assert 0 < board["median_ms"] <= board["p99_ms"] <= board["max_ms"]
    owners, staff = figures["owners_board"], figures["staff_board"]
    assert owners["requests"] >= 5
    assert staff["requests"] >= 2
    assert owners["requests"] + staff["requests"] == board["requests"]
    assert staff["statuses"] == {"200": staff["requests"]}
    baseline = figures["baseline"]
    assert baseline["requests"] >= 2
    assert baseline["statuses"] == {"200": baseline["requests"]}
    assert figures["board_idle_median_ms"] > 0
    assert figures["baseline_idle_median_ms"] > 0
