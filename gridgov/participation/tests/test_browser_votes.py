"""Owners' votes in Debian's chromium: an owner on a phone-sized screen opens their vote, chooses,
confirms and casts a ballot and sees the receipt code; the committee's live board, open in
another browser, shows the new ballot without a reload. Screenshots of each page on the way
(set GRIDGOV_SCREENSHOTS to a folder to keep them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from gridgov.cases.tests.helpers_pages import sign_in_as
from gridgov.participation.models import Ballot
from gridgov.participation.services.votes import ballot_cast, vote_close
from gridgov.participation.tests.factories import vote_pages_scene

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("audit_chain_genesis"),
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SHOTS = os.environ.get("GRIDGOV_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(SHOTS) / f"{name}.png"), full_page=True, animations="disabled"
        )


def _page_for(browser: Any, live_server: Any, user: Any, *, phone: bool = False) -> Any:
    """A page in a browser context already signed in as ``user`` (second factor passed)."""
    client = sign_in_as(Client(), user)
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP, locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def test_an_owner_votes_from_a_phone_and_the_board_shows_it_without_a_reload(
    chromium_browser, live_server, town, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # given an open vote with a live board watched by the committee, and one ballot already in
    scene = vote_pages_scene(town)
    ballot_cast(actor=scene.accounts[1], vote_id=scene.vote.pk, choice="no")
    board = _page_for(chromium_browser, live_server, scene.world.staff)
    board.goto(f"{live_server.url}{reverse('participation:vote_detail', args=[scene.vote.pk])}")
    board.wait_for_selector("#gg-vote-board[data-ballots='1']")
    board.wait_for_selector("#gg-vote-chart[data-drawn='1']")
    board.evaluate("window.ggLoadedOnce = true")
    _shot(board, "vote-board-before-desktop")

    # when the owner opens their votes on a phone, picks the vote and chooses "yes"
    phone = _page_for(chromium_browser, live_server, scene.accounts[0], phone=True)
    phone.goto(f"{live_server.url}{reverse('participation:my_votes')}")
    phone.wait_for_selector(f"#gg-my-votes [data-vote='{scene.vote.pk}'] [data-can-vote]")
    _shot(phone, "vote-my-votes-phone")
    phone.click(f"#gg-my-votes [data-vote='{scene.vote.pk}']")
    phone.wait_for_selector("#gg-ballot-form")
    _shot(phone, "vote-ballot-phone")
    phone.check("#gg-ballot-form input[value='yes']")
    phone.click("#gg-ballot-next")

    # then a confirmation step shows the choice, and nothing is cast yet
    phone.wait_for_selector("#gg-ballot-confirm [data-chosen='yes']")
    assert Ballot.objects.filter(vote=scene.vote).count() == 1
    _shot(phone, "vote-confirm-phone")

    # when the owner casts it
    phone.click("#gg-ballot-cast")

    # then the receipt code shows, and it is the ballot's
    code = phone.wait_for_selector("#gg-receipt-code")
    ballot = Ballot.objects.get(vote=scene.vote, cast_by=scene.accounts[0])
    assert code.get_attribute("data-receipt") == ballot.receipt
    assert code.inner_text().replace(" ", "") == ballot.receipt
    assert phone.query_selector("#gg-ballot-form") is None
    # the page fits the phone: nothing wider than the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(phone, "vote-receipt-phone")

    # and the committee's board shows two ballots without a reload
    board.wait_for_selector("#gg-vote-board[data-ballots='2']")
    assert board.evaluate("window.ggLoadedOnce") is True
    assert board.inner_text("[data-figure=ballots]") == "2"
    assert board.inner_text("#gg-vote-options [data-option='yes'] [data-heads]") == "1"
    board.wait_for_selector("#gg-vote-chart[data-drawn='1']")
    _shot(board, "vote-board-after-desktop")

    # the owner's own page also carries the board, and the result once the vote is closed
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    phone.goto(f"{live_server.url}{reverse('participation:vote_result', args=[scene.vote.pk])}")
    phone.wait_for_selector("#gg-verdict")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(phone, "vote-result-phone")


def test_the_new_vote_form_shows_the_rule_of_the_matter_and_narrows_the_scope(
    chromium_browser, live_server, town, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    scene = vote_pages_scene(town)
    page = _page_for(chromium_browser, live_server, scene.world.staff)
    page.goto(f"{live_server.url}{reverse('participation:vote_create')}")
    page.wait_for_selector("#gg-vote-rule [data-threshold='approval_area']")
    assert page.inner_text("#gg-vote-rule [data-threshold='approval_area']") == "> 1/2"
    # the plans field shows only for a choice between plans
    assert page.is_hidden("[data-plans]")

    # when an alteration of the building for an elevator is chosen, the rule follows
    page.select_option("#id_matter", "item7_alteration")
    page.check("#id_is_elevator")
    page.wait_for_function(
        "document.querySelector(\"#gg-vote-rule [data-threshold='approval_area']\")"
        ".textContent === '≥ 3/4'"
    )
    page.select_option("#id_rule_set", "local_elevator_two_thirds")
    page.wait_for_function(
        "document.querySelector(\"#gg-vote-rule [data-threshold='approval_area']\")"
        ".textContent === '≥ 2/3'"
    )

    # and choosing the estate, then the building, lists that building's doorways
    page.select_option("#id_estate", str(scene.world.estate.pk))
    page.wait_for_selector(
        f"#id_building option[value='{scene.world.building.pk}']", state="attached"
    )
    page.select_option("#id_building", str(scene.world.building.pk))
    page.wait_for_selector(f"#id_unit option[value='{scene.world.unit.pk}']", state="attached")
    page.check("#id_options_kind_1")
    assert page.is_visible("[data-plans]")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "vote-create-desktop")

    phone = _page_for(chromium_browser, live_server, scene.world.staff, phone=True)
    phone.goto(f"{live_server.url}{reverse('participation:vote_record', args=[scene.vote.pk])}")
    phone.wait_for_selector("#gg-paper-form")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(phone, "vote-record-phone")
