"""Files attached to participation records: a paper ballot's photo, a proxy's written
authorisation, a project stage's documents.

A file is recognised by its first bytes with the cases module's sniffer (``sniff``; a PDF by its
``%PDF-`` signature), never by its declared type; its name must agree with what it is, and its
size stays within ``GRIDGOV_UPLOAD_MAX_BYTES``. Refusals carry the codes the API documents:
``upload_required``, ``upload_empty``, ``upload_too_large``, ``upload_not_image``,
``upload_not_document``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from gridgov.cases.services.attachments import max_upload_bytes, sniff

PDF_SIGNATURE = b"%PDF-"
# The names a file of each recognised type may carry.
NAME_EXTENSIONS = {
    "jpg": frozenset({"jpg", "jpeg"}),
    "png": frozenset({"png"}),
    "webp": frozenset({"webp"}),
    "pdf": frozenset({"pdf"}),
}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int


def upload_limit_megabytes() -> int:
    """The largest file accepted, in whole MB (for the forms' hints)."""
    return max_upload_bytes() // (1024 * 1024)


def _head(upload: Any) -> bytes:
    upload.seek(0)
    head = bytes(upload.read(16))
    upload.seek(0)
    return head


def _recognised(head: bytes, *, accept_pdf: bool) -> tuple[str, str] | None:
    if accept_pdf and head.startswith(PDF_SIGNATURE):
        return "application/pdf", "pdf"
    found = sniff(head)
    if found is None or not found[1].startswith("image/"):
        return None
    return found[1], found[2]


def upload_check(upload: Any, *, accept_pdf: bool) -> CheckedFile:
    """``upload`` as a photo (JPEG, PNG, WebP) or, with ``accept_pdf``, also a PDF scan; else a
    ``ValidationError`` saying what is wrong. Nothing is stored here."""
    code = "upload_not_document" if accept_pdf else "upload_not_image"
    name = str(getattr(upload, "name", "") or "") if upload is not None else ""
    if not name:
        raise ValidationError(_("Attach the file."), code="upload_required")
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise ValidationError(_("The file is empty."), code="upload_empty")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
            code="upload_too_large",
        )
    found = _recognised(_head(upload), accept_pdf=accept_pdf)
    if found is None:
        message = (
            _("The file must be a PDF or a JPEG, PNG or WebP image.")
            if accept_pdf
            else _("The photo must be a JPEG, PNG or WebP image.")
        )
        raise ValidationError(message, code=code)
    content_type, extension = found
    named = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if named not in NAME_EXTENSIONS[extension]:
        raise ValidationError(_("The file's content is not the type its name says."), code=code)
    return CheckedFile(content_type=content_type, extension=extension, size=size)
