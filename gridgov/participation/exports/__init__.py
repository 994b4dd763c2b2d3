"""Exports of the participation app: the certified result of an owners' vote as PDF and Excel.

Each export reads through the vote selectors with the acting user (who may export exactly what
they may read: staff of the area, or an owner on the roll), masks names as the pages do, and
leaves one audit row saying who exported what (DESIGN D6, D8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.participation.models import Vote
from gridgov.participation.selectors.votes import (
    BallotRow,
    vote_ballot_list_for_actor,
    vote_get_for_actor,
    vote_result_for_actor,
)
from gridgov.participation.services.votes import VoteStateError


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    ascii_filename: str
    content_type: str
    row_count: int


@dataclass(frozen=True)
class ResultDocument:
    """Everything a certificate prints: the stored result, the masked ballots, and the stamp."""

    vote: Vote
    result: dict[str, Any]
    ballots: list[BallotRow]
    exported_at: datetime
    stamp: str


def result_document(*, actor: Any, vote_id: int) -> ResultDocument:
    """The certified result of a closed vote the actor may see; refused before the close."""
    vote = vote_get_for_actor(actor=actor, vote_id=vote_id)
    result = vote_result_for_actor(actor=actor, vote_id=vote.pk)
    if result is None:
        raise VoteStateError(
            _("The vote has not closed yet; its result is certified at the close."),
            "vote_not_closed",
        )
    now = timezone.localtime(timezone.now())
    name = getattr(actor, "display_name", "") or actor.get_username()
    stamp = _("Exported by %(name)s (%(username)s) on %(time)s") % {
        "name": name,
        "username": actor.get_username(),
        "time": now.strftime("%Y-%m-%d %H:%M"),
    }
    return ResultDocument(
        vote=vote,
        result=result,
        ballots=vote_ballot_list_for_actor(actor=actor, vote_id=vote.pk),
        exported_at=now,
        stamp=stamp,
    )


def export_audited(
    *, actor: Any, document: ResultDocument, file_format: str, content: bytes
) -> None:
    """One audit row per export: who, which vote, which format, how many ballots."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="participation.vote_result_export",
            target=document.vote,
            object_label=document.vote.title,
            changes={
                "format": file_format,
                "ballots": len(document.ballots),
                "bytes": len(content),
                "seal": document.result.get("seal_hash", ""),
            },
        )


def filenames(document: ResultDocument, extension: str) -> tuple[str, str]:
    """A readable (Chinese) file name and an ASCII fallback for old clients."""
    moment = document.exported_at.strftime("%Y%m%d-%H%M")
    title = "".join(ch for ch in document.vote.title if ch not in '\\/:*?"<>|')[:40]
    readable = f"{_('Vote result')}-{title}-{moment}.{extension}"
    return readable, f"vote-{document.vote.pk}-result-{moment}.{extension}"


def local_time_text(value: str | None) -> str:
    """An ISO time from the result, in the local time zone, to the second."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
