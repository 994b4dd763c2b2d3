"""Linking a sign-in account to its registry person (实名认证), by staff or by an SMS code.

Owners vote and residents rate their property company *as themselves* through this link, so:
- staff link only people they manage (``registry.manage_person`` over the person's area),
  after checking identity in person; one account per person and one person per account (the
  database refuses a second, also under concurrent requests);
- a resident links themselves with a 6-digit code sent to the phone the registry holds for the
  person whose name and ID number they typed. The answer to a request is the same whether or
  not that person exists, has a phone or is linked already, so the form cannot be used to find
  out who is registered (PIPL art. 51). The code is kept only as a keyed hash, expires after
  10 minutes, allows 5 tries, and an account may ask for 3 codes an hour, counted whether or
  not anything was sent;
- every link, unlink and code request is an audit row; none carries a name or a number.
"""

from __future__ import annotations

import datetime
import hmac
import logging
import re
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.core.audit import audit_record
from gridgov.core.crypto import lookup_hash
from gridgov.core.models import Notification
from gridgov.core.notifications import notify
from gridgov.registry.models import Person, PersonAccount, PersonAccountCode
from gridgov.registry.selectors.people import person_get_for_actor
from gridgov.registry.services.protection import PHONE_CONTEXT

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_VALID_FOR = datetime.timedelta(minutes=10)
MAX_TRIES = 5
MAX_REQUESTS_PER_HOUR = 3
MIN_REASON_LENGTH = 4
SMS_LANGUAGE = "zh-hans"
_SEPARATORS = re.compile(r"[\s\-()（）]")

# The one answer to every code request that passes the account's own checks (never changes
# with what the registry holds).
CODE_REQUEST_ANSWER = gettext_lazy(
    "If the name and ID number match a registered person with a phone on record, a code has "
    "been sent to that phone by SMS. It is valid for 10 minutes."
)


class PersonAccountError(ValidationError):
    """A refusal to link or unlink, with a message for the person in front of the screen."""

    default_message: Any = gettext_lazy("The account cannot be linked in this way.")
    default_code = "person_account"

    def __init__(self, message: Any = None, code: str | None = None) -> None:
        super().__init__(message or self.default_message, code=code or self.default_code)


class AccountAlreadyLinkedError(PersonAccountError):
    default_message = gettext_lazy("This account is already linked to a person.")
    default_code = "account_linked"


class PersonAlreadyLinkedError(PersonAccountError):
    default_message = gettext_lazy("This person is already linked to another account.")
    default_code = "person_linked"


class AccountNotLinkedError(PersonAccountError):
    default_message = gettext_lazy("This account is not linked to a person.")
    default_code = "not_linked"


class UnknownAccountError(PersonAccountError):
    default_message = gettext_lazy("There is no active account with this username.")
    default_code = "unknown_account"


class CodeRequestLimitError(PersonAccountError):
    default_message = gettext_lazy(
        "You have asked for 3 codes in the last hour. Please try again later."
    )
    default_code = "rate_limited"


class CodeWrongError(PersonAccountError):
    default_message = gettext_lazy("The code is wrong.")
    default_code = "wrong_code"


class CodeExpiredError(PersonAccountError):
    default_message = gettext_lazy("The code has expired. Ask for a new one.")
    default_code = "code_expired"


class CodeTriesExhaustedError(PersonAccountError):
    default_message = gettext_lazy("The code was entered wrongly too often. Ask for a new one.")
    default_code = "too_many_tries"


class NoCodeError(PersonAccountError):
    default_message = gettext_lazy("There is no code to confirm. Ask for a code first.")
    default_code = "no_code"


def _code_hash(user_id: int, code: str) -> str:
    """A keyed hash bound to the account: a code is worth nothing for another account."""
    return lookup_hash(f"registry.person_account_code:{user_id}:{code}")


def _clean_document_number(raw: str) -> str:
    """The stored form of a document number (as ``normalize_id_number`` cleans it)."""
    return _SEPARATORS.sub("", (raw or "").strip()).upper()


def _clean_name(raw: str) -> str:
    return " ".join((raw or "").split())


def _require_active_account(actor: Any) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."))


def _link_create(*, user_id: int, person: Person, method: str, verified_by: Any) -> PersonAccount:
    """Insert the link; the two one-to-one constraints refuse a second link either way."""
    if PersonAccount.objects.filter(user_id=user_id).exists():
        raise AccountAlreadyLinkedError()
    if PersonAccount.objects.filter(person_id=person.pk).exists():
        raise PersonAlreadyLinkedError()
    try:
        with transaction.atomic():
            return PersonAccount.objects.create(
                user_id=user_id, person=person, method=method, verified_by=verified_by
            )
    except IntegrityError:  # a concurrent link won the race
        if PersonAccount.objects.filter(user_id=user_id).exists():
            raise AccountAlreadyLinkedError() from None
        raise PersonAlreadyLinkedError() from None


# --- By staff --------------------------------------------------------------------------------


@transaction.atomic
def person_account_link_by_staff(*, actor: Any, user_id: int, person_id: int) -> PersonAccount:
    """Staff who checked the resident's identity in person link their account to the person.

    Needs ``registry.manage_person`` over the person's area; a person out of reach is not found.
    """
    person = person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_MANAGE)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise UnknownAccountError()
    link = _link_create(
        user_id=user.pk, person=person, method=PersonAccount.Method.STAFF, verified_by=actor
    )
    audit_record(
        actor=actor,
        action="registry.person_account.link",
        target=link,
        object_label=f"{user.get_username()} → #{person.pk}",
        changes={"user": user.pk, "person": person.pk, "method": link.method},
    )
    logger.info("account %s linked to person #%s by staff", user.pk, person.pk)
    return link


def person_account_link_by_username(*, actor: Any, username: str, person_id: int) -> PersonAccount:
    """``person_account_link_by_staff`` for the account with this username (the staff form)."""
    user = (
        get_user_model()
        .objects.filter(username__iexact=(username or "").strip(), is_active=True)
        .first()
    )
    if user is None:
        # The person's scope is checked first, so an out-of-area person stays "not found".
        person_get_for_actor(actor=actor, person_id=person_id, permission=Perm.PERSON_MANAGE)
        raise UnknownAccountError()
    return person_account_link_by_staff(actor=actor, user_id=user.pk, person_id=person_id)


@transaction.atomic
def person_account_unlink(*, actor: Any, user_id: int, reason: str) -> None:
    """End an account's link, with a stated reason: staff managing the person's area, or the
    account holder themselves. The person can then be linked again (to the right account)."""
    _require_active_account(actor)
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError(
            {"reason": [_("State why the link ends (at least 4 characters).")]},
            code="reason_required",
        )
    link = (
        PersonAccount.objects.select_for_update(of=("self",))
        .select_related("person__cell", "user")
        .filter(user_id=user_id)
        .first()
    )
    is_own = actor.pk == user_id
    if link is None:
        if is_own or has_permission(actor, Perm.PERSON_MANAGE):
            raise AccountNotLinkedError()
        raise PermissionDenied(_("You may not change this link."))
    if not is_own and not has_permission(
        actor, Perm.PERSON_MANAGE, cell_code=link.person.cell.code
    ):
        raise PermissionDenied(_("You may not change this link."))
    audit_record(
        actor=actor,
        action="registry.person_account.unlink",
        target=link,
        object_label=f"{link.user.get_username()} → #{link.person_id}",
        purpose=reason,
        changes={
            "user": link.user_id,
            "person": link.person_id,
            "method": link.method,
            "by": "self" if is_own else "staff",
        },
    )
    link.delete()
    logger.info("account %s unlinked from its person", user_id)


# --- By the resident, with a code ------------------------------------------------------------


def _matching_person(name: str, id_number: str) -> Person | None:
    """The person with this document number and exactly this name, if a code may go to them."""
    if not name or not id_number:
        return None
    person = (
        Person.objects.filter(id_number_hash=lookup_hash(id_number), is_deceased=False)
        .only("pk", "name", "phone_encrypted")
        .first()
    )
    if person is None or person.name != name or not person.phone_encrypted:
        return None
    if PersonAccount.objects.filter(person_id=person.pk).exists():
        return None
    return person


def _send_code(*, actor: Any, request_row: PersonAccountCode, person: Person, code: str) -> None:
    with translation.override(SMS_LANGUAGE):
        subject = _("[Identity check] Your code is %(code)s, valid for 10 minutes.") % {
            "code": code
        }
        body = _("If you did not ask for it, ignore this message.")
    notify(
        recipient_id=actor.pk,
        subject=subject,
        body=body,
        dedupe_key=f"registry:person_account_code:{request_row.pk}",
        sms_phone_encrypted=person.phone_encrypted,
        sms_phone_context=PHONE_CONTEXT,
        channels=(Notification.Channel.SMS,),
    )


@transaction.atomic
def person_account_code_request(*, actor: Any, name: str, id_number: str) -> str:
    """Ask for a code to the phone of the person with this name and ID number.

    Returns ``CODE_REQUEST_ANSWER`` whatever the registry holds; refuses only what concerns
    the account itself (already linked, more than 3 requests in the last hour).
    """
    _require_active_account(actor)
    if not has_permission(actor, Perm.PARTICIPATION_TAKE_PART):
        raise PermissionDenied(_("Your account may not link itself to a person."))
    name = _clean_name(name)
    id_number = _clean_document_number(id_number)
    if not name or not id_number:
        raise ValidationError(
            _("Enter your name and your ID number as registered."), code="required"
        )
    # Serialises the requests of one account, so two at once cannot pass the hourly limit.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    if PersonAccount.objects.filter(user_id=actor.pk).exists():
        raise AccountAlreadyLinkedError()
    now = timezone.now()
    recent = PersonAccountCode.objects.filter(
        user_id=actor.pk, requested_at__gt=now - datetime.timedelta(hours=1)
    ).count()
    if recent >= MAX_REQUESTS_PER_HOUR:
        raise CodeRequestLimitError()
    person = _matching_person(name, id_number)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}" if person else ""
    request_row = PersonAccountCode.objects.create(
        user_id=actor.pk,
        person=person,
        code_hash=_code_hash(actor.pk, code) if person else "",
        requested_at=now,
        expires_at=now + CODE_VALID_FOR,
    )
    if person is not None:
        _send_code(actor=actor, request_row=request_row, person=person, code=code)
    audit_record(
        actor=actor,
        action="registry.person_account.code_request",
        target=request_row,
        # Staff reading the trail may learn whether it matched; the requester never does.
        changes={"matched": person is not None},
    )
    return str(CODE_REQUEST_ANSWER)


def _confirm_step(actor: Any, code: str) -> tuple[PersonAccount | None, PersonAccountError | None]:
    """Check the code against the account's latest request; a wrong try is counted (and kept
    even though the caller then raises)."""
    request_row = (
        PersonAccountCode.objects.select_for_update()
        .filter(user_id=actor.pk)
        .order_by("-requested_at", "-id")
        .first()
    )
    if request_row is None or request_row.confirmed_at is not None:
        return None, NoCodeError()
    if timezone.now() >= request_row.expires_at:
        return None, CodeExpiredError()
    if request_row.attempts >= MAX_TRIES:
        return None, CodeTriesExhaustedError()
    PersonAccountCode.objects.filter(pk=request_row.pk).update(attempts=request_row.attempts + 1)
    expected = request_row.code_hash or _code_hash(actor.pk, "no-code")
    if request_row.person_id is None or not hmac.compare_digest(
        expected, _code_hash(actor.pk, code)
    ):
        audit_record(
            actor=actor,
            action="registry.person_account.code_wrong",
            target=request_row,
            changes={"tries": request_row.attempts + 1},
        )
        if request_row.attempts + 1 >= MAX_TRIES:
            return None, CodeTriesExhaustedError()
        return None, CodeWrongError()
    person = Person.objects.get(pk=request_row.person_id)
    link = _link_create(
        user_id=actor.pk, person=person, method=PersonAccount.Method.SMS_CODE, verified_by=None
    )
    PersonAccountCode.objects.filter(pk=request_row.pk).update(confirmed_at=timezone.now())
    audit_record(
        actor=actor,
        action="registry.person_account.link",
        target=link,
        object_label=f"{actor.get_username()} → #{person.pk}",
        changes={"user": actor.pk, "person": person.pk, "method": link.method},
    )
    return link, None


def person_account_code_confirm(*, actor: Any, code: str) -> PersonAccount:
    """Link the account to the person its latest code was sent for, if ``code`` is right,
    in time and within the tries."""
    _require_active_account(actor)
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise ValidationError(
            {"code": [_("Enter the 6-digit code from the SMS.")]}, code="code_format"
        )
    if PersonAccount.objects.filter(user_id=actor.pk).exists():
        raise AccountAlreadyLinkedError()
    with transaction.atomic():
        link, error = _confirm_step(actor, code)
    if link is None:
        raise error or NoCodeError()
    logger.info("account %s linked to its person by SMS code", actor.pk)
    return link


__all__ = [
    "CODE_REQUEST_ANSWER",
    "AccountAlreadyLinkedError",
    "AccountNotLinkedError",
    "CodeExpiredError",
    "CodeRequestLimitError",
    "CodeTriesExhaustedError",
    "CodeWrongError",
    "NoCodeError",
    "PersonAccountError",
    "PersonAlreadyLinkedError",
    "UnknownAccountError",
    "person_account_code_confirm",
    "person_account_code_request",
    "person_account_link_by_staff",
    "person_account_link_by_username",
    "person_account_unlink",
]
