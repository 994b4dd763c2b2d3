from __future__ import annotations

import pytest
from django.test import override_settings

from gridgov.accounts.errors import InvalidCredentialsError, LoginLockedError
from gridgov.accounts.models import LoginAttempt
from gridgov.accounts.services import login_lockout_status, login_with_password
from gridgov.accounts.tests.factories import TEST_PASSWORD, UserFactory
from gridgov.core.models import AuditEntry

IP = "10.1.2.3"


def _fail(username: str, *, ip: str = IP, clock=None) -> Exception:
    with pytest.raises((InvalidCredentialsError, LoginLockedError)) as raised:
        login_with_password(username=username, password="wrong-password-1", ip_address=ip)
    return raised.value


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=600)
def test_account_is_locked_after_the_failure_limit_and_refuses_the_right_password(db, clock):
    # given
    UserFactory(username="wangfang")
    first, second = _fail("wangfang"), _fail("wangfang")
    # when
    third = _fail("wangfang")
    # then
    assert isinstance(first, InvalidCredentialsError)
    assert isinstance(second, InvalidCredentialsError)
    assert isinstance(third, LoginLockedError)
    with pytest.raises(LoginLockedError) as refused:
        login_with_password(username="wangfang", password=TEST_PASSWORD, ip_address=IP)
    assert refused.value.message == third.message
    assert refused.value.remaining_seconds == 600
    assert not LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.SUCCESS).exists()


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=600)
def test_lockout_message_tells_the_minutes_left(db, clock, english):
    UserFactory(username="wangfang")
    for _attempt in range(3):
        _fail("wangfang")
    clock.advance(seconds=130)

    with pytest.raises(LoginLockedError) as refused:
        login_with_password(username="wangfang", password=TEST_PASSWORD, ip_address=IP)

    assert refused.value.remaining_seconds == 470
    assert refused.value.message == (
        "This account is temporarily locked after repeated failed sign-ins. Try again in 8 minutes."
    )


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_LOCKOUT_SECONDS=600)
def test_lock_ends_after_the_lockout_time_and_refused_attempts_do_not_extend_it(db, clock):
    user = UserFactory(username="wangfang")
    for _attempt in range(3):
        _fail("wangfang")
    clock.advance(seconds=300)
    _fail("wangfang")  # refused while locked
    clock.advance(seconds=301)

    step = login_with_password(username="wangfang", password=TEST_PASSWORD, ip_address=IP)

    assert step.user == user
    assert login_lockout_status(username="wangfang", ip_address=IP) == 0


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_WINDOW_SECONDS=300)
def test_failures_outside_the_window_do_not_count(db, clock):
    UserFactory(username="wangfang")
    _fail("wangfang")
    _fail("wangfang")
    clock.advance(seconds=301)

    error = _fail("wangfang")

    assert isinstance(error, InvalidCredentialsError)
    assert login_lockout_status(username="wangfang", ip_address=IP) == 0


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_a_successful_sign_in_resets_the_failure_count(db, clock):
    UserFactory(username="wangfang")
    _fail("wangfang")
    _fail("wangfang")
    login_with_password(username="wangfang", password=TEST_PASSWORD, ip_address=IP)

    error = _fail("wangfang")

    assert isinstance(error, InvalidCredentialsError)


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_usernames_share_one_counter_whatever_their_case(db, clock):
    UserFactory(username="wangfang")
    _fail("WangFang")
    _fail("WANGFANG")

    error = _fail("wangfang")

    assert isinstance(error, LoginLockedError)
    assert error.reason == "account"


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_IP_FAILURE_LIMIT=4, LOGIN_LOCKOUT_SECONDS=900)
def test_one_address_is_throttled_after_many_failures_across_usernames(db, clock):
    # given: four usernames tried once each from the same address
    UserFactory(username="innocent")
    for name in ("guess1", "guess2", "guess3"):
        assert isinstance(_fail(name), InvalidCredentialsError)
    # when
    fourth = _fail("guess4")
    # then: the address is locked, even for an account that never failed
    assert isinstance(fourth, LoginLockedError)
    assert fourth.reason == "address"
    with pytest.raises(LoginLockedError):
        login_with_password(username="innocent", password=TEST_PASSWORD, ip_address=IP)
    step = login_with_password(username="innocent", password=TEST_PASSWORD, ip_address="10.9.9.9")
    assert step.user.username == "innocent"


def test_a_failed_sign_in_is_audited_with_the_username_only(db, clock):
    UserFactory(username="wangfang")

    _fail("wangfang")

    entry = AuditEntry.objects.get(action="accounts.login.failed")
    assert (entry.actor_id, entry.object_label, entry.ip_address) == (None, "wangfang", IP)
    assert entry.changes == {}


def test_a_successful_sign_in_is_audited_and_recorded(db, clock, grid_worker_a):
    login_with_password(username="gridworker_a", password=TEST_PASSWORD, ip_address=IP)

    entry = AuditEntry.objects.get(action="accounts.login")
    assert (entry.actor_id, entry.changes, entry.ip_address) == (
        grid_worker_a.pk,
        {"method": "password"},
        IP,
    )
    attempt = LoginAttempt.objects.get()
    assert (attempt.outcome, attempt.succeeded) == (LoginAttempt.Outcome.SUCCESS, True)


@override_settings(LOGIN_FAILURE_LIMIT=2)
def test_a_lockout_is_audited(db, clock):
    UserFactory(username="wangfang")
    _fail("wangfang")
    _fail("wangfang")

    entry = AuditEntry.objects.get(action="accounts.login.locked")
    assert (entry.object_label, entry.changes) == ("wangfang", {"lock": "account", "seconds": 900})


def test_an_unknown_username_answers_like_a_wrong_password(db, clock, english):
    UserFactory(username="wangfang")

    unknown, wrong = _fail("nobody-here"), _fail("wangfang")

    assert type(unknown) is type(wrong) is InvalidCredentialsError
    assert unknown.message == wrong.message == "The username or password is incorrect."
