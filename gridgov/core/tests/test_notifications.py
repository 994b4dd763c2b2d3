"""Notifications: once per key, SMS through the gateway, never a number in clear in a log."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404

from gridgov.core.crypto import encrypt_text
from gridgov.core.models import Notification
from gridgov.core.notifications import (
    ConsoleSmsBackend,
    deliver_pending,
    notification_mark_read,
    notifications_for_user,
    notify,
)

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def _phone() -> str:
    return encrypt_text(PHONE, associated_data="registry.phone")


def test_in_app_once_per_key_and_readable_only_by_the_recipient() -> None:
    user_model = get_user_model()
    alice = user_model.objects.create(username="alice")
    bob = user_model.objects.create(username="bob")
    first = notify(recipient_id=alice.pk, subject="新工单", dedupe_key="k1")
    again = notify(recipient_id=alice.pk, subject="新工单", dedupe_key="k1")
    assert len(first) == 1
    assert again == []
    assert notifications_for_user(actor=alice, unread_only=True).count() == 1
    assert notifications_for_user(actor=bob).count() == 0
    with pytest.raises(Http404):
        notification_mark_read(actor=bob, notification_id=first[0].pk)
    notification_mark_read(actor=alice, notification_id=first[0].pk)
    assert notifications_for_user(actor=alice, unread_only=True).count() == 0


def test_sms_through_the_console_backend_masks_the_number(caplog: pytest.LogCaptureFixture) -> None:
    ConsoleSmsBackend.sent.clear()
    rows = notify(
        recipient_id=None,
        subject="您的工单已办结",
        dedupe_key="resolved-1",
        sms_phone_encrypted=_phone(),
        channels=("in_app", "sms"),
    )
    assert [row.channel for row in rows] == ["sms"]  # no recipient: no in-app message
    assert PHONE not in rows[0].phone_encrypted
    with caplog.at_level(logging.INFO):
        assert deliver_pending() == 1
        assert deliver_pending() == 0  # sent once only
    assert PHONE not in caplog.text
    assert "138****5678" in caplog.text
    assert ConsoleSmsBackend.sent[-1][0] == "138****5678"
    assert Notification.objects.get(pk=rows[0].pk).status == Notification.Status.SENT


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict[str, str]] = []
    answer = 200

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        _Gateway.received.append(
            {**json.loads(self.rfile.read(length)), "auth": self.headers.get("Authorization", "")}
        )
        self.send_response(_Gateway.answer)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GRIDGOV_SMS_BACKEND = "http"
    settings.GRIDGOV_SMS_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.GRIDGOV_SMS_TOKEN = "secret-token"
    _Gateway.received = []
    _Gateway.answer = 200
    yield _Gateway
    server.shutdown()
    server.server_close()


def test_sms_through_the_http_gateway(gateway) -> None:
    notify(
        recipient_id=None,
        subject="办结",
        dedupe_key="h1",
        sms_phone_encrypted=_phone(),
        channels=("sms",),
    )
    assert deliver_pending() == 1
    assert gateway.received == [{"phone": PHONE, "text": "办结", "auth": "Bearer secret-token"}]


def test_a_refusing_gateway_leaves_the_message_pending(gateway, caplog) -> None:
    gateway.answer = 503
    [row] = notify(
        recipient_id=None,
        subject="办结",
        dedupe_key="h2",
        sms_phone_encrypted=_phone(),
        channels=("sms",),
    )
    assert deliver_pending() == 0
    row.refresh_from_db()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "503" in row.error
    assert PHONE not in caplog.text
    gateway.answer = 200
    assert deliver_pending() == 1
