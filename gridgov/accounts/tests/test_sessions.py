from __future__ import annotations

from django.contrib.sessions.models import Session
from django.test import override_settings
from django.urls import reverse

from gridgov.accounts.tasks import expire_stale_sessions
from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.core.models import AuditEntry

IDLE, ABSOLUTE = 600, 3600


def _sign_in(client, username: str = "gridworker_a") -> None:
    response = client.post(
        reverse("accounts:login"), {"username": username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE, SESSION_ABSOLUTE_TIMEOUT_SECONDS=ABSOLUTE)
def test_an_idle_session_is_ended_with_a_clear_message(grid_worker_a, client, clock):
    # given
    _sign_in(client)
    clock.advance(seconds=IDLE + 1)
    # when
    response = client.get(reverse("accounts:password_change"))
    # then
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("accounts:login") + "?reason=expired&next=%2Faccounts%2Fpassword%2F"
    )
    assert "_auth_user_id" not in client.session
    entry = AuditEntry.objects.get(action="accounts.session.expired")
    assert (entry.actor_id, entry.changes) == (grid_worker_a.pk, {"reason": "idle"})
    login_page = client.get(response["Location"])
    assert "您的会话已超时，请重新登录。" in login_page.content.decode()


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE, SESSION_ABSOLUTE_TIMEOUT_SECONDS=ABSOLUTE)
def test_activity_within_the_idle_time_keeps_the_session(grid_worker_a, client, clock):
    _sign_in(client)
    for _request in range(3):
        clock.advance(seconds=IDLE - 60)
        assert client.get(reverse("accounts:password_change")).status_code == 200

    assert not AuditEntry.objects.filter(action="accounts.session.expired").exists()


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE, SESSION_ABSOLUTE_TIMEOUT_SECONDS=ABSOLUTE)
def test_a_busy_session_still_ends_at_the_absolute_time_out(grid_worker_a, client, clock):
    _sign_in(client)
    for _request in range(ABSOLUTE // 300):
        clock.advance(seconds=300)
        assert client.get(reverse("accounts:password_change")).status_code == 200

    clock.advance(seconds=301)
    response = client.get(reverse("accounts:password_change"))

    assert response.status_code == 302
    assert AuditEntry.objects.get(action="accounts.session.expired").changes == {
        "reason": "absolute"
    }


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE)
def test_an_expired_htmx_request_is_told_to_reload_the_login_page(grid_worker_a, client, clock):
    _sign_in(client)
    clock.advance(seconds=IDLE + 1)

    response = client.get(reverse("accounts:password_change"), headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("accounts:login") + "?reason=expired"


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE)
def test_an_expired_api_session_answers_json_401(grid_worker_a, client, clock):
    _sign_in(client)
    clock.advance(seconds=IDLE + 1)

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_the_session_id_changes_at_sign_in(grid_worker_a, client):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key

    _sign_in(client)

    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


@override_settings(SESSION_IDLE_TIMEOUT_SECONDS=IDLE)
def test_the_periodic_sweep_deletes_idle_sessions_only(grid_worker_a, operator, client, clock):
    # given: one session left idle, then another signed in later
    _sign_in(client)
    clock.advance(seconds=IDLE + 120)
    client.logout()
    other = client.__class__()
    _sign_in(other, "operator")
    # when
    removed = expire_stale_sessions.delay().get()
    again = expire_stale_sessions()
    # then
    assert (removed, again) == (1, 0)
    assert Session.objects.count() == 1
    assert AuditEntry.objects.get(action="accounts.session.swept").changes == {"removed": 1}
