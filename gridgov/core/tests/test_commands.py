"""``gridgov`` command line: the hyphen form, serve, worker, beat and ``audit verify``."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from gridgov.cli import normalise_arguments
from gridgov.core.audit import audit_record
from gridgov.core.management.commands import serve as serve_command
from gridgov.core.models import AuditEntry


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def raw_sql(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=AuditEntry._meta.db_table), params)


# --- the gridgov entry point ----------------------------------------------------------------


def test_hyphenated_command_names_map_to_their_modules():
    assert normalise_arguments(["/usr/bin/gridgov", "demo-data", "--profile", "small"]) == [
        "gridgov",
        "demo_data",
        "--profile",
        "small",
    ]
    assert normalise_arguments(["x", "import-cells", "a-b.geojson"]) == [
        "gridgov",
        "import_cells",
        "a-b.geojson",
    ]
    assert normalise_arguments(["x", "help", "demo-data"]) == ["gridgov", "help", "demo_data"]


def test_options_and_plain_names_pass_through_unchanged():
    assert normalise_arguments(["x", "--version"]) == ["gridgov", "--version"]
    assert normalise_arguments(["x", "check", "--deploy"]) == ["gridgov", "check", "--deploy"]
    assert normalise_arguments(["x"]) == ["gridgov"]


# --- audit verify -----------------------------------------------------------------------------


def test_audit_verify_reports_an_intact_chain_and_exits_zero(db):
    # given
    for index in range(3):
        audit_record(actor=None, action="test.write", object_id=str(index))

    # when
    out, err = run("audit", "verify")

    # then
    assert out == "Audit trail intact: 3 entries checked.\n"
    assert err == ""


def test_audit_verify_detects_a_changed_row(db):
    # given
    entries = [audit_record(actor=None, action="test.write", object_id=str(i)) for i in range(3)]
    raw_sql("UPDATE {table} SET object_id = %s WHERE id = %s", ["99", entries[1].pk])
    err = io.StringIO()

    # when
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)

    # then
    assert raised.value.returncode == 1
    assert str(raised.value) == "Audit trail BROKEN: 1 problems in 3 entries checked."
    assert err.getvalue() == f"entry #{entries[1].pk}: content does not match its hash (changed)\n"


def test_audit_verify_detects_a_deleted_row_in_the_middle(db):
    # given
    entries = [audit_record(actor=None, action="test.write", object_id=str(i)) for i in range(4)]
    raw_sql("DELETE FROM {table} WHERE id = %s", [entries[1].pk])
    err = io.StringIO()

    # when
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)

    # then
    assert raised.value.returncode == 1
    assert err.getvalue().splitlines() == [
        f"entry #{entries[2].pk}: link to the previous entry is broken "
        "(a row before it was deleted, inserted or changed)",
        "chain head counts 4 entries, found 3",
    ]


def test_audit_verify_detects_a_deleted_newest_row(db):
    # given
    entries = [audit_record(actor=None, action="test.write", object_id=str(i)) for i in range(3)]
    raw_sql("DELETE FROM {table} WHERE id = %s", [entries[2].pk])
    err = io.StringIO()

    # when
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=err)

    # then
    assert raised.value.returncode == 1
    assert err.getvalue().splitlines() == [
        f"chain head expects entry #{entries[2].pk} last, found #{entries[1].pk} "
        "(newest rows were deleted or appended outside the application)",
        "chain head counts 3 entries, found 2",
    ]


def test_audit_rows_refuse_changes_and_deletes_through_the_orm(db):
    # given
    entry = audit_record(actor=None, action="test.write", object_id="1")

    # when / then
    with pytest.raises(RuntimeError, match="cannot be changed"):
        entry.save()
    with pytest.raises(RuntimeError, match="cannot be deleted"):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).object_id == "1"


# --- worker and beat --------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_worker_and_beat_refuse_to_start_without_a_broker(settings, command):
    # given
    settings.CELERY_BROKER_URL = None

    # when / then
    with pytest.raises(CommandError, match=f"nothing for `gridgov {command}` to do"):
        run(command)


def test_worker_runs_celery_for_the_gridgov_app_when_a_broker_is_configured(settings, monkeypatch):
    # given
    from gridgov.config.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    started: list[list[str]] = []
    monkeypatch.setattr(app, "worker_main", started.append)

    # when
    run("worker", "--concurrency", "2", "--queues", "default", "--", "--autoscale", "8,2")

    # then
    assert started == [
        ["worker", "--loglevel=INFO", "--concurrency=2", "--queues=default", "--autoscale", "8,2"]
    ]


def test_beat_runs_celery_beat_with_its_state_file_under_var(settings, monkeypatch, tmp_path):
    # given
    from gridgov.config.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    started: list[list[str]] = []
    monkeypatch.setattr(app, "start", started.append)

    # when
    run("beat", "--schedule", str(tmp_path / "beat-state"))

    # then
    assert started == [["beat", "--loglevel=INFO", f"--schedule={tmp_path / 'beat-state'}"]]


# --- serve ------------------------------------------------------------------------------------


class FakeScheduler:
    instances: list[FakeScheduler] = []

    def __init__(self) -> None:
        self.events: list[str] = []
        FakeScheduler.instances.append(self)

    def start(self) -> None:
        self.events.append("start")

    def stop(self) -> None:
        self.events.append("stop")


@pytest.fixture
def served(monkeypatch):
    calls: list[dict] = []
    FakeScheduler.instances = []
    monkeypatch.setattr(serve_command, "EmbeddedScheduler", FakeScheduler)
    monkeypatch.setattr(
        serve_command.Command, "_serve", lambda self, **kwargs: calls.append(kwargs)
    )
    return calls


def test_serve_without_a_broker_runs_the_scheduler_around_the_server(db, settings, served):
    # given
    settings.EMBEDDED_WORKER = True

    # when
    out, _err = run("serve", "--addr", "127.0.0.1:8765", "--threads", "4")

    # then
    assert served == [{"host": "127.0.0.1", "port": 8765, "threads": 4}]
    assert [scheduler.events for scheduler in FakeScheduler.instances] == [["start", "stop"]]
    assert "GridGov is running at http://127.0.0.1:8765/" in out
    assert "background and periodic jobs run in this process" in out


def test_serve_with_a_broker_leaves_periodic_work_to_beat(db, settings, served):
    # given
    settings.EMBEDDED_WORKER = False

    # when
    out, _err = run("serve", "--addr", "[::1]:8766")

    # then
    assert served == [{"host": "::1", "port": 8766, "threads": 8}]
    assert FakeScheduler.instances == []
    assert "http://[::1]:8766/" in out


def test_serve_stops_the_scheduler_when_the_server_fails(db, settings, monkeypatch):
    # given
    settings.EMBEDDED_WORKER = True
    FakeScheduler.instances = []
    monkeypatch.setattr(serve_command, "EmbeddedScheduler", FakeScheduler)

    def crash(self, **kwargs):
        raise OSError("address already in use")

    monkeypatch.setattr(serve_command.Command, "_serve", crash)

    # when
    with pytest.raises(OSError, match="address already in use"):
        run("serve", "--addr", "127.0.0.1:8767")

    # then
    assert [scheduler.events for scheduler in FakeScheduler.instances] == [["start", "stop"]]


def test_serve_refuses_unapplied_migrations_and_says_what_to_run(db, served, monkeypatch):
    # given
    monkeypatch.setattr(serve_command, "unapplied_migrations", lambda: ["grids.0002_more"])

    # when
    with pytest.raises(CommandError) as raised:
        run("serve", "--addr", "127.0.0.1:8768")

    # then
    assert str(raised.value) == (
        "The database has 1 unapplied migrations (first: grids.0002_more). "
        "Run `gridgov migrate` first."
    )
    assert served == []
    assert FakeScheduler.instances == []


def test_a_migrated_test_database_has_no_unapplied_migrations(db):
    assert serve_command.unapplied_migrations() == []


@pytest.mark.parametrize("addr", ["8000", "localhost", "127.0.0.1:http", ":8000", "h:70000"])
def test_serve_refuses_a_malformed_address(addr, served):
    with pytest.raises(CommandError, match="--addr must be host:port"):
        run("serve", "--addr", addr)
    assert served == []


def test_command_messages_are_in_chinese_by_default(db):
    with translation.override("zh-hans"):
        out, _err = run("audit", "verify")

    assert out == "审计日志完整：已校验 0 条记录。\n"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _get(port: int, path: str = "/accounts/login/") -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    status = connection.getresponse().status
    connection.close()
    return status


def _wait_until(check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="needs fork")
def test_serve_with_two_workers_shares_one_socket_replaces_a_dead_worker_and_stops(tmp_path):
    # given: a migrated SQLite database of its own, and a free port
    env = {
        **os.environ,
        "GRIDGOV_VAR_DIR": str(tmp_path),
        "GRIDGOV_PROFILE": "development",
        "DATABASE_URL": "",
    }
    gridgov = [sys.executable, "-m", "gridgov"]
    subprocess.run([*gridgov, "migrate", "--noinput"], env=env, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    # when
    server = subprocess.Popen(
        [*gridgov, "serve", "--addr", f"127.0.0.1:{port}", "--workers", "2", "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until(lambda: _get(port) == 200)
        first = _children(server.pid)

        # then: two workers answer on the one port
        assert len(first) == 2
        assert [_get(port) for _ in range(6)] == [200] * 6

        # a worker killed outright is replaced
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        _wait_until(lambda: len(_children(server.pid) - {victim}) == 2)
        assert _get(port) == 200
        workers = _children(server.pid)

        # SIGTERM stops the whole server, workers included
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert [pid for pid in workers if Path(f"/proc/{pid}").exists()] == []
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


@pytest.mark.django_db
def test_warm_up_runs_the_registered_loaders() -> None:
    from gridgov.core.warmup import warm_up

    done = warm_up()
    assert {"cell_index", "case_categories"} <= set(done)
