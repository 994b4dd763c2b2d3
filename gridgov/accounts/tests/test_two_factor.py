from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from gridgov.accounts.errors import LoginLockedError, TwoFactorCodeInvalidError
from gridgov.accounts.models import LoginAttempt, User
from gridgov.accounts.services import (
    login_with_password,
    two_factor_begin_setup,
    two_factor_confirm,
    two_factor_verify,
)
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.accounts.tests.conftest import current_code, enable_two_factor
from gridgov.accounts.tests.factories import TEST_PASSWORD
from gridgov.accounts.twofactor import two_factor_required_for
from gridgov.core.crypto import decrypt_text
from gridgov.core.models import AuditEntry

IP = "10.1.2.3"


def test_two_factor_is_required_for_administrators_and_operators_not_grid_workers(
    platform_admin, operator, grid_worker_a
):
    assert two_factor_required_for(platform_admin) is True
    assert two_factor_required_for(operator) is True
    assert two_factor_required_for(grid_worker_a) is False


@override_settings(DEMO_MODE=True)
def test_demo_mode_skips_two_factor_for_operators(operator, client):
    response = client.post(
        reverse("accounts:login"), {"username": "operator", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert two_factor_required_for(operator) is False


def test_password_step_of_an_operator_without_a_device_leads_to_setup(operator, client):
    response = client.post(
        reverse("accounts:login"), {"username": "operator", "password": TEST_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_setup") + "?next=%2F"
    assert TWO_FACTOR_VERIFIED_AT not in client.session
    assert not LoginAttempt.objects.filter(outcome=LoginAttempt.Outcome.SUCCESS).exists()


def test_operator_waiting_for_the_second_factor_cannot_open_other_pages(operator, client):
    enable_two_factor(operator)
    client.post(reverse("accounts:login"), {"username": "operator", "password": TEST_PASSWORD})

    page = client.get(reverse("web:home"))
    api = client.get("/api/v1/me/")

    assert page.status_code == 302
    assert page["Location"] == reverse("accounts:two_factor_verify") + "?next=%2F"
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_required"


def test_operator_with_the_right_code_completes_sign_in_with_a_new_session_id(operator, client):
    secret = enable_two_factor(operator)
    client.post(reverse("accounts:login"), {"username": "operator", "password": TEST_PASSWORD})
    key_after_password = client.session.session_key

    response = client.post(
        reverse("accounts:two_factor_verify"), {"code": current_code(secret), "next": "/grids/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/grids/"
    assert client.session.session_key != key_after_password
    assert TWO_FACTOR_VERIFIED_AT in client.session
    assert AuditEntry.objects.filter(action="accounts.login", actor_id=operator.pk).count() == 1


def test_a_totp_code_cannot_be_replayed(operator, clock):
    secret = enable_two_factor(operator)
    code = current_code(secret, clock.now)
    two_factor_verify(user=operator, code=code, ip_address=IP)

    with pytest.raises(TwoFactorCodeInvalidError):
        two_factor_verify(user=operator, code=code, ip_address=IP)

    assert AuditEntry.objects.filter(action="accounts.login").count() == 1
    assert AuditEntry.objects.filter(action="accounts.two_factor.failed").count() == 1


def test_a_code_one_step_off_is_accepted_and_two_steps_off_is_refused(operator, clock):
    secret = enable_two_factor(operator)

    with pytest.raises(TwoFactorCodeInvalidError):
        two_factor_verify(user=operator, code=current_code(secret, offset=-2), ip_address=IP)
    two_factor_verify(user=operator, code=current_code(secret, offset=1), ip_address=IP)

    operator.refresh_from_db()
    assert operator.totp_last_used_step == int(clock.now.timestamp()) // 30 + 1


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_wrong_codes_count_towards_the_lockout(operator, clock):
    enable_two_factor(operator)
    for _attempt in range(2):
        with pytest.raises(TwoFactorCodeInvalidError):
            two_factor_verify(user=operator, code="000000", ip_address=IP)

    with pytest.raises(LoginLockedError):
        two_factor_verify(user=operator, code="000000", ip_address=IP)
    with pytest.raises(LoginLockedError):
        login_with_password(username="operator", password=TEST_PASSWORD, ip_address=IP)


def test_setup_stores_the_secret_encrypted_and_confirming_enables_it(operator, clock):
    # given
    enrolment = two_factor_begin_setup(user=operator)
    operator.refresh_from_db()
    assert enrolment.secret not in operator.totp_secret_encrypted
    assert (
        decrypt_text(
            operator.totp_secret_encrypted, associated_data=f"accounts.user.totp:{operator.pk}"
        )
        == enrolment.secret
    )
    assert operator.has_two_factor is False
    # when
    two_factor_confirm(user=operator, code=current_code(enrolment.secret), ip_address=IP)
    # then
    operator.refresh_from_db()
    assert operator.totp_confirmed_at == clock.now
    assert AuditEntry.objects.filter(
        action="accounts.two_factor.enabled", actor_id=operator.pk
    ).exists()


def test_a_wrong_confirmation_code_leaves_two_factor_disabled(operator, clock):
    enrolment = two_factor_begin_setup(user=operator)
    wrong = "111111" if current_code(enrolment.secret) != "111111" else "222222"

    with pytest.raises(TwoFactorCodeInvalidError):
        two_factor_confirm(user=operator, code=wrong, ip_address=IP)

    operator.refresh_from_db()
    assert operator.totp_confirmed_at is None
    assert not AuditEntry.objects.filter(action="accounts.two_factor.enabled").exists()


def test_setup_page_shows_an_inline_qr_code_and_the_secret(operator, client):
    client.post(reverse("accounts:login"), {"username": "operator", "password": TEST_PASSWORD})

    response = client.get(reverse("accounts:two_factor_setup"))

    operator.refresh_from_db()
    secret = decrypt_text(
        operator.totp_secret_encrypted, associated_data=f"accounts.user.totp:{operator.pk}"
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in content
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in content
    assert "http://" not in content.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )


def test_grid_worker_signs_in_without_a_second_factor(grid_worker_a, client):
    response = client.post(
        reverse("accounts:login"), {"username": "gridworker_a", "password": TEST_PASSWORD}
    )

    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("accounts:password_change")).status_code == 200
    assert User.objects.get(pk=grid_worker_a.pk).last_login is not None


def test_a_superuser_without_membership_must_also_pass_two_factor(db):
    admin = User.objects.create_superuser("root-admin", password=TEST_PASSWORD)

    assert two_factor_required_for(admin) is True
