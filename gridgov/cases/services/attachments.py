"""Uploads on cases and visits: photos and voice recordings, recognised by their content.

The declared name and content type are not trusted: the first bytes decide what a file is
(JPEG, PNG, WebP photos; WebM, Ogg, MP4/M4A, MP3, WAV recordings). Anything else, an empty
file or one over ``GRIDGOV_UPLOAD_MAX_BYTES`` is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Attachment, Case, CaseEvent, Visit
from gridgov.cases.services.errors import UploadRejectedError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 9


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received: its name, declared type and bytes."""

    name: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CheckedUpload:
    upload: Upload
    kind: str
    content_type: str
    extension: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "GRIDGOV_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(data: bytes) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from the file's first bytes, or ``None``."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return Attachment.Kind.PHOTO, "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Attachment.Kind.PHOTO, "image/png", "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Attachment.Kind.PHOTO, "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Attachment.Kind.VOICE, "audio/wav", "wav"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Attachment.Kind.VOICE, "audio/webm", "webm"
    if head.startswith(b"OggS"):
        return Attachment.Kind.VOICE, "audio/ogg", "ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"M4A"):
            return Attachment.Kind.VOICE, "audio/mp4", "m4a"
        return Attachment.Kind.VOICE, "audio/mp4", "mp4"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Attachment.Kind.VOICE, "audio/mpeg", "mp3"
    return None


def uploads_check(
    uploads: Sequence[Upload],
    *,
    kinds: Sequence[str] = (Attachment.Kind.PHOTO, Attachment.Kind.VOICE),
) -> list[CheckedUpload]:
    """Every upload recognised and within the limits, or ``UploadRejectedError`` for the first not."""
    if len(uploads) > MAX_FILES:
        raise UploadRejectedError(
            _("At most %(count)d files may be attached at once."),
            code="too_many_files",
            params={"count": MAX_FILES},
        )
    limit = max_upload_bytes()
    checked: list[CheckedUpload] = []
    for upload in uploads:
        name = (upload.name or "")[:200]
        if not upload.data:
            raise UploadRejectedError(
                _("The file “%(name)s” is empty."), code="empty_file", params={"name": name}
            )
        if len(upload.data) > limit:
            raise UploadRejectedError(
                _("The file “%(name)s” is larger than %(limit)s."),
                code="file_too_large",
                params={"name": name, "limit": filesizeformat(limit)},
            )
        found = sniff(upload.data)
        if found is None or found[0] not in kinds:
            raise UploadRejectedError(
                _(
                    "The file “%(name)s” is not a photo (JPEG, PNG, WebP) or a voice recording "
                    "(WebM, Ogg, MP4/M4A, MP3, WAV)."
                ),
                code="file_type",
                params={"name": name},
            )
        kind, content_type, extension = found
        checked.append(CheckedUpload(upload, kind, content_type, extension))
    return checked


def attachments_store(
    checked: Sequence[CheckedUpload],
    *,
    actor: Any,
    now: datetime,
    case: Case | None = None,
    event: CaseEvent | None = None,
    visit: Visit | None = None,
) -> list[Attachment]:
    stored: list[Attachment] = []
    for item in checked:
        attachment = Attachment(
            case=case,
            event=event,
            visit=visit,
            kind=item.kind,
            content_type=item.content_type,
            size=len(item.upload.data),
            original_name=(item.upload.name or "")[:200],
            uploaded_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        attachment.file.save(f"upload.{item.extension}", ContentFile(item.upload.data), save=False)
        attachment.save()
        stored.append(attachment)
    return stored
