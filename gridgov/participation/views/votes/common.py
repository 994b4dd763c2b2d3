"""Helpers shared by the vote pages (and the API): permission gates, the vote as the actor may
see it, the choices a ballot offers, refusals as text, and downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import pgettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.participation.exports import ExportFile
from gridgov.participation.models import BallotChoice, Vote, VoteOptionsKind, VoteStatus
from gridgov.participation.selectors.votes import vote_get_for_actor

# Bootstrap tone of each status badge.
STATUS_TONES: dict[str, str] = {
    VoteStatus.DRAFT: "secondary",
    VoteStatus.OPEN: "success",
    VoteStatus.CLOSED: "dark",
}
# A vote's status in words of its own ("open" is 进行中 for a vote, not 打开 as for a file).
STATUS_LABELS: dict[str, Any] = {
    VoteStatus.DRAFT: pgettext_lazy("vote status", "Draft"),
    VoteStatus.OPEN: pgettext_lazy("vote status", "Open"),
    VoteStatus.CLOSED: pgettext_lazy("vote status", "Closed"),
}
# How often an open vote's board asks for the tally (DESIGN D9: htmx polling). The committee's
# board keeps a close watch; the owner's page (hundreds of phones on one estate) asks five times
# less often, and only while its tab is visible.
STAFF_BOARD_POLL_SECONDS = 2
OWNER_BOARD_POLL_SECONDS = 10


def status_badge(vote: Vote) -> dict[str, Any]:
    """The status badge of a vote: its value, colour and label."""
    return {
        "value": vote.status,
        "tone": STATUS_TONES.get(vote.status, "secondary"),
        "label": STATUS_LABELS.get(vote.status, vote.status),
    }


def require(request: HttpRequest, *permissions: str) -> None:
    """At least one of ``permissions`` somewhere, else 403."""
    if not any(has_permission(request.user, permission) for permission in permissions):
        raise PermissionDenied


def can_manage(request: HttpRequest, vote: Vote) -> bool:
    return has_permission(request.user, Perm.VOTE_MANAGE, cell_code=vote.cell.code)


def is_staff_viewer(request: HttpRequest, vote: Vote) -> bool:
    return has_permission(request.user, Perm.PARTICIPATION_VIEW, cell_code=vote.cell.code)


def visible_vote(request: HttpRequest, pk: int) -> Vote:
    """The vote if the actor is staff over it or an owner on its roll; 404 otherwise."""
    return vote_get_for_actor(actor=request.user, vote_id=pk)


def refusal_text(error: ValidationError) -> str:
    return " ".join(str(text) for text in error.messages)


def ballot_choices(vote: Vote) -> list[tuple[str, str]]:
    """What a ballot of ``vote`` may say, as (value, label): yes / no / abstain, or each plan
    (``option:<id>``) and abstain."""
    if vote.options_kind == VoteOptionsKind.PLANS:
        plans = [(f"option:{option.pk}", option.label) for option in vote.options.all()]
        return [*plans, (BallotChoice.ABSTAIN.value, str(BallotChoice.ABSTAIN.label))]
    return [
        (choice.value, str(choice.label))
        for choice in (BallotChoice.YES, BallotChoice.NO, BallotChoice.ABSTAIN)
    ]


def parse_choice(value: str) -> tuple[str, int | None]:
    """``option:12`` → (``option``, 12); ``yes`` → (``yes``, None)."""
    if value.startswith("option:") and value[7:].isdigit():
        return BallotChoice.OPTION.value, int(value[7:])
    return value, None


def attachment(export: ExportFile) -> HttpResponse:
    """A download; RFC 6266 keeps the Chinese file name, with an ASCII one for old clients."""
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{export.ascii_filename}"; '
        f"filename*=UTF-8''{quote(export.filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response
