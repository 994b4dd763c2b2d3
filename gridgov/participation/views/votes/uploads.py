"""Uploaded files as checked input: a paper ballot's photo and a proxy's written authorisation
are recognised by their first bytes (the declared name and type are not trusted) and refused
when empty or over ``GRIDGOV_UPLOAD_MAX_BYTES``, before anything is stored."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from gridgov.cases.services.attachments import max_upload_bytes, sniff

# What an authorisation document may be: a scan (PDF) or a photo.
PDF_MAGIC = b"%PDF-"


def _size_refusal(upload: UploadedFile) -> ValidationError | None:
    limit = max_upload_bytes()
    if not upload.size:
        return ValidationError(_("The file is empty."), code="upload_empty")
    if upload.size > limit:
        return ValidationError(
            _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)},
            code="upload_too_large",
        )
    return None


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return bytes(head)


def checked_photo(upload: UploadedFile) -> UploadedFile:
    """A photo of a paper ballot: JPEG, PNG or WebP by its first bytes, within the size limit."""
    if error := _size_refusal(upload):
        raise error
    found = sniff(_head(upload))
    if found is None or not found[1].startswith("image/"):
        raise ValidationError(
            _("The photo must be a JPEG, PNG or WebP image."), code="upload_not_image"
        )
    return upload


def checked_document(upload: UploadedFile) -> UploadedFile:
    """An authorisation document: a PDF scan or a photo, within the size limit."""
    if error := _size_refusal(upload):
        raise error
    head = _head(upload)
    found = sniff(head)
    if not head.startswith(PDF_MAGIC) and (found is None or not found[1].startswith("image/")):
        raise ValidationError(
            _("The authorisation must be a PDF or a JPEG, PNG or WebP image."),
            code="upload_not_document",
        )
    return upload
