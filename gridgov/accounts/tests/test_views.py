from __future__ import annotations

from django.test import override_settings
from django.urls import reverse

from gridgov.accounts.models import User
from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.core.models import AuditEntry


def test_login_page_is_in_chinese_by_default(db, client):
    response = client.get(reverse("accounts:login"))

    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in content
    assert "登录" in content
    assert "用户名" in content


def test_a_wrong_password_shows_a_clear_message_and_signs_nobody_in(grid_worker_a, client):
    response = client.post(
        reverse("accounts:login"), {"username": "gridworker_a", "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert "用户名或密码不正确。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_message_follows_the_language_of_the_user(grid_worker_a, client):
    client.cookies["django_language"] = "en"

    response = client.post(
        reverse("accounts:login"), {"username": "gridworker_a", "password": "not-the-password"}
    )

    assert "The username or password is incorrect." in response.content.decode()


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_LOCKOUT_SECONDS=900)
def test_login_page_shows_the_lockout_time_left(grid_worker_a, client, clock):
    for _attempt in range(2):
        client.post(reverse("accounts:login"), {"username": "gridworker_a", "password": "bad"})

    response = client.post(
        reverse("accounts:login"), {"username": "gridworker_a", "password": TEST_PASSWORD}
    )

    assert "该账号因多次登录失败已被临时锁定，请在 15 分钟后重试。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_external_next_address_is_ignored_after_sign_in(grid_worker_a, client):
    response = client.post(
        reverse("accounts:login") + "?next=https://evil.example/steal",
        {"username": "gridworker_a", "password": TEST_PASSWORD},
    )

    assert response["Location"] == reverse("web:home")


def test_a_local_next_address_is_followed_after_sign_in(grid_worker_a, client):
    response = client.post(
        reverse("accounts:login"),
        {"username": "gridworker_a", "password": TEST_PASSWORD, "next": "/grids/tree/"},
    )

    assert response["Location"] == "/grids/tree/"


def test_logout_refuses_get_and_keeps_the_user_signed_in(grid_worker_a, client):
    client.force_login(grid_worker_a)

    response = client.get(reverse("accounts:logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(grid_worker_a.pk)
    assert not AuditEntry.objects.filter(action="accounts.logout").exists()


def test_logout_by_post_signs_out_and_is_audited(grid_worker_a, client):
    client.force_login(grid_worker_a)

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == reverse("accounts:login") + "?reason=signed_out"
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.get(action="accounts.logout").actor_id == grid_worker_a.pk


def test_password_change_refuses_a_breached_password_and_keeps_the_old_one(grid_worker_a, client):
    client.force_login(grid_worker_a)
    old_hash = User.objects.get(pk=grid_worker_a.pk).password

    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": TEST_PASSWORD,
            "new_password": "woaini1314520",
            "new_password_again": "woaini1314520",
        },
    )

    assert response.status_code == 200
    assert "该密码过于常见或已出现在泄露的密码库中，请另选一个。" in response.content.decode()
    assert User.objects.get(pk=grid_worker_a.pk).password == old_hash


def test_password_change_with_a_good_password_keeps_the_user_signed_in(grid_worker_a, client):
    client.force_login(grid_worker_a)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": TEST_PASSWORD,
            "new_password": "river-lantern-harvest-93",
            "new_password_again": "river-lantern-harvest-93",
        },
    )

    assert response["Location"] == reverse("web:home")
    grid_worker_a.refresh_from_db()
    assert grid_worker_a.check_password("river-lantern-harvest-93")
    assert client.session["_auth_user_id"] == str(grid_worker_a.pk)
    assert AuditEntry.objects.get(action="accounts.password.changed").changes == {"by": "self"}


def test_password_change_with_a_wrong_current_password_changes_nothing(grid_worker_a, client):
    client.force_login(grid_worker_a)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "current_password": "not-my-password",
            "new_password": "river-lantern-harvest-93",
            "new_password_again": "river-lantern-harvest-93",
        },
    )

    assert "当前密码不正确。" in response.content.decode()
    grid_worker_a.refresh_from_db()
    assert grid_worker_a.check_password(TEST_PASSWORD)
    assert not AuditEntry.objects.filter(action="accounts.password.changed").exists()
