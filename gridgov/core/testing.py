"""Helpers for tests that talk to real services (PostgreSQL, Redis, MQTT).

Outside CI a missing service skips the test with the reason; under ``CI=true`` it fails it,
so a CI run can never pass by silently skipping the service-backed tests.
"""

from __future__ import annotations

import os
import socket


def running_under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_is_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(host: str, port: int, name: str) -> None:
    """Skip (or, under CI, fail) the calling test unless ``name`` answers at host:port."""
    import pytest

    if service_is_reachable(host, port):
        return
    reason = f"{name} is not reachable at {host}:{port}"
    if running_under_ci():
        pytest.fail(f"{reason}; CI=true requires every service-backed test to run")
    pytest.skip(f"{reason} (start it to run this test; under CI=true this fails)")
