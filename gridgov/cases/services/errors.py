"""Refusals of the case services: each a ``ValidationError`` with a clear message and a code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _


class CaseError(ValidationError):
    """Base of every refusal. ``default_message`` and ``default_code`` name the refusal."""

    default_message: Any = _("This case cannot be changed in this way.")
    default_code = "case_error"

    def __init__(self, message: Any = None, code: str | None = None, params: Any = None) -> None:
        super().__init__(
            message or self.default_message, code=code or self.default_code, params=params
        )


class IllegalTransitionError(CaseError):
    default_message = _("This step is not possible in the case's present state.")
    default_code = "illegal_transition"


class ConcurrentChangeError(CaseError):
    default_message = _("Someone else changed this case first — reload it and try again.")
    default_code = "concurrent_change"


class NotInAnyCellError(CaseError):
    default_message = _("The location lies outside every area of the platform.")
    default_code = "not_in_any_cell"


class UnknownCategoryError(CaseError):
    default_message = _("Unknown category.")
    default_code = "unknown_category"


class MissingFieldError(CaseError):
    default_message = _("A required field is missing.")
    default_code = "missing_field"


class UploadRejectedError(CaseError):
    default_message = _("The file was refused.")
    default_code = "upload_rejected"


class NotAllowedError(CaseError):
    default_message = _("You may not do this with this case.")
    default_code = "not_allowed"


class RatingNotAllowedError(CaseError):
    default_message = _("Only the person who reported the case may rate it, once it is resolved.")
    default_code = "rating_not_allowed"


class CallbackNotAllowedError(NotAllowedError):
    """回访: the actor may not record the reporter's satisfaction for this case."""

    default_message = _("You may not record a callback for this case.")
    default_code = "callback_not_allowed"


class CaseNotFoundError(Http404):
    """An unknown case, or one outside the actor's scope (the two look the same on purpose)."""

    def __init__(self) -> None:
        super().__init__(_("This case does not exist or is outside your area of responsibility."))
