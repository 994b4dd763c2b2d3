"""The live board (实时计票): the tally by area and by head, per option, and the participation
toward the quorum with the thresholds drawn — or, for a vote sealed until its close, only the
number of ballots. Polled by htmx every few seconds; one read of the vote and one aggregate
over its ballots per refresh, rendered without the page shell."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gridgov.participation import rules
from gridgov.participation.models import Vote, VoteStatus
from gridgov.participation.selectors.votes import Tally, vote_board_get_for_actor, vote_tally
from gridgov.participation.views.votes.board_cache import shared_board
from gridgov.participation.views.votes.common import (
    OWNER_BOARD_POLL_SECONDS,
    STAFF_BOARD_POLL_SECONDS,
)

BOARD_TEMPLATE = "participation/votes/_board.html"
# ``?for=owner`` on the board's URL: the owner's page, which polls less often (see common.py).
FOR_OWNER = "owner"
# htmx skips a tick while the tab is hidden, and refreshes once when it is shown again.
_VISIBLE = "[document.visibilityState === 'visible']"


def _percent(ratio: Fraction) -> str:
    return rules.percent_text(ratio)


def _share(part: Fraction | int, whole: Fraction | int) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _test_row(test: rules.Test, *, label: str, is_area: bool) -> dict[str, Any]:
    """One bar of the board: a share, the threshold it must reach, and whether it does."""
    return {
        "code": test.code,
        "label": label,
        "part": rules.decimal_m2(Fraction(test.part)) if is_area else test.part,
        "whole": rules.decimal_m2(Fraction(test.whole)) if is_area else test.whole,
        "is_area": is_area,
        "percent": _percent(test.ratio),
        "threshold": str(test.threshold),
        "threshold_percent": _percent(test.threshold.fraction),
        "passed": test.passed,
    }


def _tests(tally: Tally) -> dict[str, list[dict[str, Any]]]:
    if tally.decision is None:
        return {"quorum": [], "approval": []}
    by_code = {test.code: test for test in tally.decision.tests}
    return {
        "quorum": [
            _test_row(by_code["quorum_area"], label=pgettext("vote", "By area"), is_area=True),
            _test_row(by_code["quorum_heads"], label=pgettext("vote", "By head"), is_area=False),
        ],
        "approval": [
            _test_row(by_code["approval_area"], label=pgettext("vote", "By area"), is_area=True),
            _test_row(by_code["approval_heads"], label=pgettext("vote", "By head"), is_area=False),
        ],
    }


def _options(tally: Tally) -> list[dict[str, Any]]:
    if tally.options is None or tally.participating is None:
        return []
    participating = tally.participating
    return [
        {
            "key": option.key,
            "label": option.label,
            "heads": option.heads,
            "area_m2": option.area_m2,
            "area_percent": _percent(_share(option.area, participating.area)),
            "heads_percent": _percent(_share(option.heads, participating.heads)),
            "is_winner": option.key == tally.winner,
        }
        for option in tally.options
    ]


def _chart(
    tally: Tally, tests: dict[str, list[dict[str, Any]]], options: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Plain numbers for ECharts (percentages; the exact fractions are in the table)."""
    if tally.decision is None:
        return None
    quorum = tests["quorum"]
    approval = tests["approval"]
    return {
        "quorum": {
            "labels": [row["label"] for row in quorum],
            "values": [float(row["percent"]) for row in quorum],
            "threshold": float(quorum[0]["threshold_percent"]),
            "threshold_label": quorum[0]["threshold"],
        },
        "options": {
            "labels": [row["label"] for row in options],
            "area": [float(row["area_percent"]) for row in options],
            "heads": [float(row["heads_percent"]) for row in options],
            "threshold": float(approval[0]["threshold_percent"]),
            "threshold_label": approval[0]["threshold"],
        },
        "names": {
            "quorum": _("Participation toward the quorum (%)"),
            "options": _("Share of the participating owners (%)"),
            "area": pgettext("vote", "By area"),
            "heads": pgettext("vote", "By head"),
            "threshold": _("Threshold"),
        },
    }


def _poll(vote: Vote, *, for_owner: bool) -> dict[str, Any]:
    """The board's own URL and htmx trigger: every 2 s on the staff page; every 10 s on the
    owner's page, only while it is visible."""
    url = reverse("participation:vote_board", args=[vote.pk])
    if not for_owner:
        seconds = STAFF_BOARD_POLL_SECONDS
        return {"board_url": url, "poll_seconds": seconds, "poll_trigger": f"every {seconds}s"}
    seconds = OWNER_BOARD_POLL_SECONDS
    return {
        "board_url": f"{url}?for={FOR_OWNER}",
        "poll_seconds": seconds,
        "poll_trigger": f"every {seconds}s {_VISIBLE}, visibilitychange from:document {_VISIBLE}",
    }


def board_context(vote: Vote, tally: Tally, *, for_owner: bool = False) -> dict[str, Any]:
    """What the board shows of ``tally`` (of ``vote``, which the actor may see); nothing of the
    viewer, so the same board serves everyone who may see it."""
    tests = _tests(tally)
    options = _options(tally)
    is_closed = vote.status == VoteStatus.CLOSED
    return {
        "board_vote": vote,
        "tally": tally,
        "is_live": vote.status == VoteStatus.OPEN,
        "is_closed": is_closed,
        "heads_label": _("households")
        if tally.rule.head_basis == rules.HEADS_UNITS
        else _("owners"),
        "quorum_rows": tests["quorum"],
        "approval_rows": tests["approval"],
        "option_rows": options,
        "chart": _chart(tally, tests, options),
        **_poll(vote, for_owner=for_owner),
    }


def board_for(request: HttpRequest, vote: Vote) -> dict[str, Any]:
    """The staff page's board of a vote already fetched for the actor, counted afresh."""
    return board_context(vote, vote_tally(vote))


def board_html(vote: Vote, *, for_owner: bool) -> SafeString:
    """The board of a vote the actor may see, as HTML shared by all its viewers for about a
    second (``board_cache``): the owner's page and every poll."""
    return shared_board(
        vote,
        page=FOR_OWNER if for_owner else "staff",
        render=lambda: render_to_string(
            BOARD_TEMPLATE, board_context(vote, vote_tally(vote), for_owner=for_owner)
        ),
    )


@login_required
@never_cache
@require_GET
def vote_board(request: HttpRequest, pk: int) -> HttpResponse:
    """The board alone (the htmx poll), for staff of the area and the owners on the roll.

    Rendered without the page's context processors (navigation, user chip). A refresh costs
    the session and one query for the vote with the actor's access; the tally's aggregate and
    the rendering are shared by every viewer for about a second."""
    vote = vote_board_get_for_actor(actor=request.user, vote_id=pk)
    return HttpResponse(board_html(vote, for_owner=request.GET.get("for") == FOR_OWNER))
