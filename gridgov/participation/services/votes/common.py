"""Owners' votes: limits, errors and helpers shared by the vote services."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.participation.models import (
    Vote,
    VoteStatus,
)
from gridgov.participation.services.uploads import upload_check

TITLE_MAX = 200
PLAN_MAX = 200
MAX_PLANS = 20
RECEIPT_BYTES = 10  # 80 random bits, 16 characters of base32
VOTER_KEY_MAX = 200
LABEL_ROOMS = 3

# --- Errors ------------------------------------------------------------------------------------


class VoteError(ValidationError):
    """A refusal in the vote domain, with a clear message and a code."""

    default_message: Any = gettext_lazy("This is not possible for this vote.")
    default_code = "vote_error"

    def __init__(self, message: Any = None, code: str | None = None) -> None:
        super().__init__(message or self.default_message, code=code or self.default_code)


class VoteScopeError(VoteError):
    default_message = gettext_lazy("Choose exactly one estate, building or doorway.")
    default_code = "vote_scope"


class VoteRollError(VoteError):
    default_message = gettext_lazy("The registry holds no ownership data for this scope.")
    default_code = "vote_roll"


class VoteStateError(VoteError):
    default_message = gettext_lazy("This step is not possible in the vote's present state.")
    default_code = "vote_state"


class NotAnOwnerError(VoteError):
    default_message = gettext_lazy("You are not an owner on this vote's roll.")
    default_code = "not_an_owner"


class DuplicateBallotError(VoteError):
    default_message = gettext_lazy("This owner has already voted; a ballot cannot be changed.")
    default_code = "duplicate_ballot"


class ProxyNotAuthorisedError(VoteError):
    default_message = gettext_lazy("No recorded authorisation lets you vote for this owner.")
    default_code = "proxy_not_authorised"


class VoteChoiceError(VoteError):
    default_message = gettext_lazy("Choose one of the vote's options.")
    default_code = "vote_choice"


class VoteNotFoundError(Http404):
    """An unknown vote, or one the actor may not see (the two look the same on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This vote does not exist or is outside your area."))


# --- Shared helpers ----------------------------------------------------------------------------


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _vote_for_update(vote_id: int) -> Vote:
    vote = Vote.objects.select_for_update().select_related("cell").filter(pk=vote_id).first()
    if vote is None:
        raise VoteNotFoundError()
    return vote


def _require_manage(actor: Any, vote: Vote) -> None:
    if not has_permission(actor, Perm.VOTE_MANAGE, cell_code=vote.cell.code):
        raise PermissionDenied(_("You may not manage the votes of this area."))


def _require_accepting_ballots(vote: Vote, now: datetime.datetime) -> None:
    if vote.status == VoteStatus.CLOSED or (
        vote.status == VoteStatus.OPEN and now >= vote.closes_at
    ):
        raise VoteStateError(_("The vote is closed; no more ballots are accepted."), "vote_closed")
    if vote.status != VoteStatus.OPEN or now < vote.opens_at:
        raise VoteStateError(_("The vote is not open yet."), "vote_not_open")


def _check_file(upload: File | None, *, accept_pdf: bool) -> None:
    """A ballot's photo, or a proxy's authorisation (``accept_pdf``), as ``upload_check`` says."""
    try:
        upload_check(upload, accept_pdf=accept_pdf)
    except ValidationError as refusal:
        raise VoteError(refusal.messages[0], refusal.code or "upload_invalid") from refusal


def new_receipt() -> str:
    """16 characters of base32 from 80 random bits: unguessable, easy to read out."""
    import base64

    return base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode("ascii")
