"""Settings from the environment: the production profile fails fast, the checks pass."""

from __future__ import annotations

import base64
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from gridgov.config import settings as settings_module
from gridgov.config.env import ImproperlyConfiguredError, parse_field_keys

SETTINGS_FILE = settings_module.__file__
KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(32, 64))).decode()
PRODUCTION_ENV = {
    "GRIDGOV_PROFILE": "production",
    "SECRET_KEY": "p9Xr2-vQ7sL0kT4mW8zY1bN6cF3hJ5dG0aE7uI2oP9yR4tS6wQ8nM1xZ3vB5kL7j",
    "GRIDGOV_FIELD_KEYS": f"k2:{KEY_A},k1:{KEY_B}",
    "GRIDGOV_HASH_KEY": "a-long-random-hmac-key-for-lookups-0123456789",
    "ALLOWED_HOSTS": "gridgov.example.gov.cn",
}
SETTINGS_VARIABLES = [
    *PRODUCTION_ENV,
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "BROKER_URL",
    "GRIDGOV_DEMO",
    "GRIDGOV_DEBUG",
    "DJANGO_SETTINGS_MODULE",
]


def load_settings(monkeypatch, tmp_path: Path, **env: str) -> dict:
    """Execute the settings module afresh under ``env`` (nothing else of the caller's)."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRIDGOV_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(SETTINGS_FILE, run_name="gridgov_settings_probe")


def production_without(name: str) -> dict[str, str]:
    return {key: value for key, value in PRODUCTION_ENV.items() if key != name}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "GRIDGOV_FIELD_KEYS", "GRIDGOV_HASH_KEY", "ALLOWED_HOSTS"]
)
def test_production_profile_fails_fast_on_each_missing_secret(monkeypatch, tmp_path, missing):
    with pytest.raises(ImproperlyConfiguredError) as raised:
        load_settings(monkeypatch, tmp_path, **production_without(missing))

    assert str(raised.value) == f"{missing} must be set in the production profile"
    assert not (tmp_path / "var" / "secrets").exists()


def test_production_profile_loads_with_every_secret_set(monkeypatch, tmp_path):
    loaded = load_settings(monkeypatch, tmp_path, **PRODUCTION_ENV)

    assert loaded["IS_PRODUCTION"] is True
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["gridgov.example.gov.cn"]
    assert [key_id for key_id, _key in loaded["FIELD_ENCRYPTION_KEYS"]] == ["k2", "k1"]
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["EMBEDDED_WORKER"] is True
    assert not (tmp_path / "var" / "secrets").exists()


def test_no_variables_give_sqlite_under_var_embedded_work_and_generated_secrets(
    monkeypatch, tmp_path
):
    loaded = load_settings(monkeypatch, tmp_path)

    assert loaded["PROFILE"] == "development"
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DATABASES"]["default"]["NAME"] == tmp_path / "var" / "gridgov.sqlite3"
    assert loaded["EMBEDDED_WORKER"] is True
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert sorted(path.name for path in (tmp_path / "var" / "secrets").iterdir()) == [
        "field_key",
        "hash_key",
        "secret_key",
    ]


def test_development_secrets_are_stable_across_restarts(monkeypatch, tmp_path):
    first = load_settings(monkeypatch, tmp_path)
    second = load_settings(monkeypatch, tmp_path)

    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["FIELD_ENCRYPTION_KEYS"] == second["FIELD_ENCRYPTION_KEYS"]
    assert first["LOOKUP_HASH_KEY"] == second["LOOKUP_HASH_KEY"]


def test_database_and_broker_urls_switch_backends(monkeypatch, tmp_path):
    loaded = load_settings(
        monkeypatch,
        tmp_path,
        DATABASE_URL="postgres://gridgov:pw@127.0.0.1:5432/gridgov",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )

    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert loaded["DATABASES"]["default"]["NAME"] == "gridgov"
    assert loaded["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/0"
    assert loaded["EMBEDDED_WORKER"] is False
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False


def test_the_demo_switch_is_refused_in_production(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfiguredError, match="GRIDGOV_DEMO cannot be set"):
        load_settings(monkeypatch, tmp_path, GRIDGOV_DEMO="true", **PRODUCTION_ENV)


def test_an_unknown_profile_is_refused(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfiguredError, match="GRIDGOV_PROFILE must be"):
        load_settings(monkeypatch, tmp_path, GRIDGOV_PROFILE="staging")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("k1", "entries must be 'id:base64key'"),
        (f"bad$id:{KEY_A}", "entries must be 'id:base64key'"),
        ("k1:!!!not-base64!!!", "key 'k1' is not base64"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "must decode to 32 bytes"),
        (f"k1:{KEY_A},k1:{KEY_B}", "key id 'k1' is listed twice"),
        (f"k1:{KEY_A},", "entries must be 'id:base64key'"),
    ],
)
def test_malformed_field_keys_are_refused(raw, message):
    with pytest.raises(ImproperlyConfiguredError, match=message):
        parse_field_keys(raw)


def test_malformed_field_keys_stop_the_settings_from_loading(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfiguredError, match="is not base64"):
        load_settings(monkeypatch, tmp_path, GRIDGOV_FIELD_KEYS="k1:%%%")


def test_well_formed_field_keys_keep_their_order():
    assert parse_field_keys(f"new:{KEY_A}, old:{KEY_B}") == [
        ("new", bytes(range(32))),
        ("old", bytes(range(32, 64))),
    ]


def test_check_deploy_reports_no_issues_for_a_fully_configured_production(tmp_path):
    # given a production environment and nothing of the caller's settings
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in SETTINGS_VARIABLES
        and not key.startswith("GRIDGOV_")
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"  # set by the browser tests of this process
    }
    env.update(PRODUCTION_ENV, GRIDGOV_VAR_DIR=str(tmp_path / "var"))

    # when
    completed = subprocess.run(
        [sys.executable, "-m", "gridgov", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then
    assert completed.stderr == ""
    assert completed.stdout == "System check identified no issues (0 silenced).\n"
    assert completed.returncode == 0
