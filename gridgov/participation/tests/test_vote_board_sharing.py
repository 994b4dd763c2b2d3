"""The live board under load: the owner's page polls less often than the committee's board, and
the rendered board is shared by all the viewers of a vote for about a second while each request
still passes its own access check. The shared copy's clock is set by the tests, never waited for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.participation.services.votes import ballot_cast, vote_close
from gridgov.participation.tests.factories import VotePagesScene, vote_pages_scene
from gridgov.participation.views.votes import board_cache

pytestmark = pytest.mark.django_db

VISIBLE = "[document.visibilityState === &#x27;visible&#x27;]"


class Clock:
    """The shared board's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(board_cache, "_now", moved)
    return moved


@pytest.fixture
def scene(town) -> VotePagesScene:
    return vote_pages_scene(town)


def client_for(user) -> Client:
    client = sign_in_as(Client(), user)
    client.cookies["django_language"] = "en"
    return client


def board_url(vote_id: int, *, for_owner: bool = False) -> str:
    url = reverse("participation:vote_board", args=[vote_id])
    return f"{url}?for=owner" if for_owner else url


def ballots_shown(html: str) -> str:
    start = html.index('data-figure="ballots">') + len('data-figure="ballots">')
    return html[start : html.index("<", start)]


# --- how often the board is refreshed ----------------------------------------------------------


def test_the_committee_board_polls_every_two_seconds(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    page = client.get(reverse("participation:vote_detail", args=[scene.vote.pk]))
    poll = client.get(board_url(scene.vote.pk))

    for html in (page.content.decode(), poll.content.decode()):
        assert f'hx-get="{board_url(scene.vote.pk)}" hx-trigger="every 2s"' in html


def test_the_owner_page_polls_every_ten_seconds_and_only_while_the_tab_is_visible(
    scene: VotePagesScene,
) -> None:
    client = client_for(scene.accounts[0])
    trigger = f"every 10s {VISIBLE}, visibilitychange from:document {VISIBLE}"
    owner_board = board_url(scene.vote.pk, for_owner=True)

    page = client.get(reverse("participation:my_vote", args=[scene.vote.pk]))
    poll = client.get(owner_board)

    assert page.status_code == 200
    assert poll.status_code == 200
    for html in (page.content.decode(), poll.content.decode()):
        assert f'hx-get="{owner_board}" hx-trigger="{trigger}"' in html
        assert "Updated every 10 s" in html


# --- the shared board --------------------------------------------------------------------------


def test_viewers_share_one_board_and_a_new_ballot_shows_once_it_is_a_second_old(
    scene: VotePagesScene, clock: Clock
) -> None:
    # given the committee's board, rendered with no ballot yet
    staff = client_for(scene.world.staff)
    assert ballots_shown(staff.get(board_url(scene.vote.pk)).content.decode()) == "0"
    # when an owner votes within the board's lifetime
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    clock.now += board_cache.BOARD_SHARED_SECONDS / 2
    # then every viewer of that board still gets the same copy
    shared = client_for(scene.world.viewer).get(board_url(scene.vote.pk)).content.decode()
    assert ballots_shown(shared) == "0"
    # and once the copy is as old as its lifetime, the ballot shows
    clock.now += board_cache.BOARD_SHARED_SECONDS / 2
    fresh = staff.get(board_url(scene.vote.pk)).content.decode()
    assert ballots_shown(fresh) == "1"
    assert 'data-option="yes"' in fresh


def test_people_who_may_not_see_the_vote_are_refused_the_board_others_are_sharing(
    scene: VotePagesScene, clock: Clock
) -> None:
    # given the board shared by the committee and an owner on the roll, on both kinds of page
    for client, for_owner in ((client_for(scene.world.staff), False),
                              (client_for(scene.accounts[0]), True)):  # fmt: skip
        assert client.get(board_url(scene.vote.pk, for_owner=for_owner)).status_code == 200
    # when a resident who owns nothing here, and staff of another community, ask for it
    answers = [
        client_for(user).get(board_url(scene.vote.pk, for_owner=for_owner))
        for user in (scene.stranger, scene.world.outsider)
        for for_owner in (False, True)
    ]
    # then each is refused, and shown nothing of the tally
    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert all(b"gg-vote-board" not in answer.content for answer in answers)


def test_a_sealed_vote_stays_sealed_on_the_shared_board_until_it_closes(town, clock: Clock) -> None:
    # given a vote sealed until its close, with one ballot, its board shared by the committee
    scene = vote_pages_scene(town, visibility="sealed")
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    staff = client_for(scene.world.staff)
    staff_board = staff.get(board_url(scene.vote.pk)).content.decode()
    # when an owner looks, on the poll and on the owner's page
    owner = client_for(scene.accounts[1])
    owner_board = owner.get(board_url(scene.vote.pk, for_owner=True)).content.decode()
    owner_page = owner.get(reverse("participation:my_vote", args=[scene.vote.pk])).content
    # then everyone sees the number of ballots only
    for html in (staff_board, owner_board, owner_page.decode()):
        assert 'data-board="sealed"' in html
        assert ballots_shown(html) == "1"
        assert 'data-option="yes"' not in html
    # and once the vote closes, the final count shows at once, not the sealed copy
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    closed = owner.get(board_url(scene.vote.pk, for_owner=True)).content.decode()
    assert 'data-board="sealed"' not in closed
    assert "Final count" in closed
    assert 'data-option="yes"' in closed
    assert "hx-trigger" not in closed


def test_a_refresh_from_the_shared_board_reads_the_vote_and_the_access_in_one_query(
    scene: VotePagesScene, clock: Clock, django_assert_num_queries
) -> None:
    client = client_for(scene.accounts[0])
    client.get(board_url(scene.vote.pk, for_owner=True))  # the session warms up; board shared

    # the session, its user, the user's memberships, and the vote with the access check
    with django_assert_num_queries(4):
        answer = client.get(board_url(scene.vote.pk, for_owner=True))

    assert answer.status_code == 200
    assert ballots_shown(answer.content.decode()) == "0"
