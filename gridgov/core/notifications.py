"""Notifications to people: in-app messages and SMS through a configurable gateway.

``notify`` records what is to be said, once per ``dedupe_key`` and channel, so that a job run
twice tells nobody twice. In-app messages are readable at once; SMS rows wait for
``deliver_pending``, which hands them to the gateway named by ``GRIDGOV_SMS_BACKEND``:

* ``console`` (default): the message is written to the log, the number masked;
* ``http``: a JSON ``POST`` to ``GRIDGOV_SMS_URL`` (``{"phone": …, "text": …}``) with the bearer
  token ``GRIDGOV_SMS_TOKEN``; any 2xx answer counts as accepted.

Numbers are stored encrypted and never appear in clear in a log line or an error.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import decrypt_text, encrypt_text
from gridgov.core.models import Notification

logger = logging.getLogger(__name__)

# Associated data of the SMS numbers kept on notifications.
SMS_PHONE_CONTEXT = "core.sms_phone"
# The context under which the people-and-housing domain encrypts phone numbers.
DEFAULT_SOURCE_PHONE_CONTEXT = "registry.phone"
MAX_ATTEMPTS = 5


class SmsDeliveryError(RuntimeError):
    """The gateway did not accept the message."""


class SmsBackend(Protocol):
    def send(self, *, phone: str, text: str) -> None: ...


def masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


class ConsoleSmsBackend:
    """Writes each message to the log (development, demo, tests)."""

    # The latest messages (masked number, text), for the demo console and tests.
    sent: deque[tuple[str, str]] = deque(maxlen=200)

    def send(self, *, phone: str, text: str) -> None:
        logger.info("sms to %s: %s", masked(phone), text)
        ConsoleSmsBackend.sent.append((masked(phone), text))


class HttpSmsBackend:
    """Posts each message as JSON to an SMS gateway."""

    def __init__(self, *, url: str, token: str = "", timeout: float = 10.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, *, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsDeliveryError(f"gateway answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise SmsDeliveryError(f"gateway unreachable: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise SmsDeliveryError(f"gateway answered {status}")


def sms_backend() -> SmsBackend:
    name = getattr(settings, "GRIDGOV_SMS_BACKEND", "console") or "console"
    if name == "http":
        url = getattr(settings, "GRIDGOV_SMS_URL", "") or ""
        if not url:
            raise SmsDeliveryError("GRIDGOV_SMS_URL is not set")
        return HttpSmsBackend(url=url, token=getattr(settings, "GRIDGOV_SMS_TOKEN", "") or "")
    return ConsoleSmsBackend()


def notify(
    *,
    recipient_id: int | None,
    subject: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
    sms_phone_encrypted: str = "",
    sms_phone_context: str = DEFAULT_SOURCE_PHONE_CONTEXT,
    channels: Sequence[str] = (Notification.Channel.IN_APP,),
) -> list[Notification]:
    """Record one message per channel; a ``dedupe_key`` already used returns nothing new.

    In-app needs a recipient, SMS needs ``sms_phone_encrypted`` (encrypted under
    ``sms_phone_context``); a channel whose addressee is missing is skipped.
    """
    created: list[Notification] = []
    now = timezone.now()
    for channel in channels:
        row = Notification(
            recipient_id=recipient_id,
            channel=channel,
            subject=str(subject)[:200],
            body=str(body),
            url=url[:300],
            dedupe_key=f"{dedupe_key}:{channel}"[:200],
        )
        if channel == Notification.Channel.IN_APP:
            if recipient_id is None:
                continue
            row.status = Notification.Status.SENT
            row.sent_at = now
        elif channel == Notification.Channel.SMS:
            if not sms_phone_encrypted:
                continue
            phone = decrypt_text(sms_phone_encrypted, associated_data=sms_phone_context)
            row.phone_encrypted = encrypt_text(phone, associated_data=SMS_PHONE_CONTEXT)
        else:
            raise ValueError(f"unknown channel {channel!r}")
        try:  # the unique dedupe key refuses a message recorded before
            with transaction.atomic():
                row.save()
        except IntegrityError:
            continue  # recorded before, or by a concurrent run just now
        created.append(row)
    return created


def _claim(notification: Notification) -> bool:
    """Take one pending SMS for sending; a second process claiming it at once gets nothing."""
    claimed = Notification.objects.filter(
        pk=notification.pk,
        status=Notification.Status.PENDING,
        attempts=notification.attempts,
    ).update(attempts=models.F("attempts") + 1)
    return claimed == 1


def deliver_pending(*, limit: int = 500) -> int:
    """Send pending SMS through the gateway; returns how many were accepted."""
    pending = list(
        Notification.objects.filter(
            status=Notification.Status.PENDING,
            channel=Notification.Channel.SMS,
            attempts__lt=MAX_ATTEMPTS,
        ).order_by("id")[:limit]
    )
    if not pending:
        return 0
    backend = sms_backend()
    sent = 0
    for notification in pending:
        if not _claim(notification):
            continue
        attempts = notification.attempts + 1
        try:
            phone = decrypt_text(notification.phone_encrypted, associated_data=SMS_PHONE_CONTEXT)
            text = f"{notification.subject} {notification.body}".strip()
            backend.send(phone=phone, text=text)
        except Exception as error:
            message = (
                str(error)[:300] if isinstance(error, SmsDeliveryError) else type(error).__name__
            )
            Notification.objects.filter(pk=notification.pk).update(
                error=message,
                status=(
                    Notification.Status.FAILED
                    if attempts >= MAX_ATTEMPTS
                    else Notification.Status.PENDING
                ),
            )
            logger.warning("sms notification %s not delivered: %s", notification.pk, message)
            continue
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), error=""
        )
        sent += 1
    return sent


def notifications_for_user(*, actor: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The actor's own in-app messages, newest first."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    queryset = Notification.objects.filter(
        recipient_id=actor.pk, channel=Notification.Channel.IN_APP
    )
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return queryset.order_by("-created_at", "-id")


def notification_mark_read(*, actor: Any, notification_id: int) -> None:
    """Mark one of the actor's messages read; another person's message is not found."""
    mine = notifications_for_user(actor=actor).filter(pk=notification_id)
    if not mine.exists():
        raise Http404(_("This message does not exist."))
    mine.filter(read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_all_read(*, actor: Any) -> int:
    return notifications_for_user(actor=actor, unread_only=True).update(read_at=timezone.now())
