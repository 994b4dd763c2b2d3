from __future__ import annotations

from django.test import override_settings
from rest_framework.authtoken.models import Token

from gridgov.accounts.roles import ROLE_PERMISSIONS, Role
from gridgov.accounts.tests.conftest import current_code, enable_two_factor
from gridgov.accounts.tests.factories import TEST_PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def test_grid_worker_gets_a_token_with_password_only(grid_worker_a, client):
    response = client.post(
        TOKEN_URL, {"username": "gridworker_a", "password": TEST_PASSWORD}, "application/json"
    )

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=grid_worker_a).key}


def test_operator_without_totp_gets_no_token(operator, client):
    enable_two_factor(operator)

    response = client.post(
        TOKEN_URL, {"username": "operator", "password": TEST_PASSWORD}, "application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "totp_required"
    assert not Token.objects.filter(user=operator).exists()


def test_operator_with_a_valid_totp_gets_a_token(operator, client):
    secret = enable_two_factor(operator)

    response = client.post(
        TOKEN_URL,
        {"username": "operator", "password": TEST_PASSWORD, "totp": current_code(secret)},
        "application/json",
    )

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=operator).key


def test_operator_who_never_set_up_two_factor_is_told_to_do_so_on_the_web(operator, client):
    response = client.post(
        TOKEN_URL,
        {"username": "operator", "password": TEST_PASSWORD, "totp": "123456"},
        "application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "totp_setup_required"
    assert not Token.objects.exists()


def test_a_wrong_password_answers_json_with_code_and_message(grid_worker_a, client):
    response = client.post(
        TOKEN_URL,
        {"username": "gridworker_a", "password": "wrong"},
        "application/json",
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_credentials",
        "message": "The username or password is incorrect.",
    }


@override_settings(LOGIN_FAILURE_LIMIT=2, LOGIN_LOCKOUT_SECONDS=900)
def test_the_token_endpoint_applies_the_same_lockout(grid_worker_a, client, clock):
    for _attempt in range(2):
        client.post(TOKEN_URL, {"username": "gridworker_a", "password": "x"}, "application/json")

    response = client.post(
        TOKEN_URL, {"username": "gridworker_a", "password": TEST_PASSWORD}, "application/json"
    )

    assert response.status_code == 429
    assert response.json()["code"] == "login_locked"
    assert response["Retry-After"] == "900"
    assert not Token.objects.exists()


def test_me_lists_roles_permissions_and_cells_in_scope(grid_worker_a, town, client):
    token = Token.objects.create(user=grid_worker_a)

    response = client.get("/api/v1/me/", headers={"Authorization": f"Token {token.key}"})

    assert response.status_code == 200
    assert response.json() == {
        "username": "gridworker_a",
        "display_name": grid_worker_a.display_name,
        "roles": ["grid_worker"],
        "permissions": sorted(ROLE_PERMISSIONS[Role.GRID_WORKER]),
        "is_global": False,
        "cells": [{"code": town.grid_a.code, "name": town.grid_a.name, "level": "grid"}],
        "two_factor_enabled": False,
    }


def test_me_without_credentials_answers_401_json(db, client):
    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_openapi_schema_describes_the_token_and_me_endpoints(db, client, grid_worker_a):
    client.force_login(grid_worker_a)

    response = client.get("/api/schema/", headers={"Accept": "application/json"})

    paths = response.json()["paths"]
    assert set(paths["/api/v1/auth/token/"]) == {"post"}
    token_request = paths["/api/v1/auth/token/"]["post"]["requestBody"]["content"]
    assert "application/json" in token_request
    assert "200" in paths["/api/v1/me/"]["get"]["responses"]
