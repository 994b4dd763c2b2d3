"""``require_service``: skip outside CI, fail under ``CI=true`` when a service is down."""

from __future__ import annotations

import socket

import pytest

from gridgov.core.testing import require_service


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def open_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()[1]


def test_a_missing_service_skips_the_test_outside_ci(monkeypatch, closed_port):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(
        pytest.skip.Exception, match=f"Redis is not reachable at 127.0.0.1:{closed_port}"
    ):
        require_service("127.0.0.1", closed_port, "Redis")


def test_a_missing_service_fails_the_test_under_ci(monkeypatch, closed_port):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="CI=true requires every service-backed test"):
        require_service("127.0.0.1", closed_port, "Redis")


def test_a_reachable_service_lets_the_test_run(monkeypatch, open_port):
    monkeypatch.setenv("CI", "true")

    assert require_service("127.0.0.1", open_port, "Redis") is None
