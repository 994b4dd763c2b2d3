"""Receipts: a voter checks that their ballot is in the count; masked names for public lists."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gridgov.participation.models import (
    Ballot,
    BallotChannel,
    BallotChoice,
    ResultsVisibility,
    VoteStatus,
)
from gridgov.participation.services.votes.common import (
    VoteError,
)
from gridgov.registry.services.protection import mask_name

# --- Receipts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptCheck:
    """``is_found``: the ballot is recorded; ``is_counted``: it is in the closed, sealed count."""

    is_found: bool
    is_counted: bool = False
    cast_at: datetime.datetime | None = None
    channel: str = ""
    choice_label: str = ""
    voter_label: str = ""


def ballot_verify_receipt(*, actor: Any, vote_id: int, receipt: str) -> ReceiptCheck:
    """A voter checks that the ballot with their receipt code is in the vote (and, after the
    close, in the sealed count). Open to anyone who may see the vote; a read, not audited."""
    from gridgov.participation.selectors.votes import vote_get_for_actor

    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    code = "".join((receipt or "").split()).upper().replace("-", "")
    if not code:
        raise VoteError(_("Enter the receipt code."), "receipt")
    ballot = (
        Ballot.objects.select_related("voter", "option").filter(vote=vote, receipt=code).first()
    )
    if ballot is None:
        return ReceiptCheck(is_found=False)
    # Ballots enter only while the vote is open, under the lock the close takes: every ballot
    # found in a closed vote is in its sealed count.
    is_counted = vote.status == VoteStatus.CLOSED
    is_sealed = vote.visibility == ResultsVisibility.SEALED_UNTIL_CLOSE
    label = ballot.option.label if ballot.option else str(BallotChoice(ballot.choice).label)
    return ReceiptCheck(
        is_found=True,
        is_counted=is_counted,
        cast_at=ballot.created_at,
        channel=str(BallotChannel(ballot.channel).label),
        choice_label="" if is_sealed and vote.status != VoteStatus.CLOSED else label,
        voter_label=ballot.voter.label,
    )


def masked_names(names: Sequence[str]) -> str:
    return "、".join(mask_name(name) for name in names)
