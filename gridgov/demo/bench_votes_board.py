"""The live board under load (issue: refresh under 1 s with 500 concurrent voters).

The 10,000-owner estate of ``bench_votes`` and an open vote on it, four in five of the other
owners having voted already. 500 owners, each signed in as themselves (an account linked to
their registry person, a resident's membership, a session made directly so no password is
hashed), come within the first seconds and cast their ballot through the real ballot form
(the page, the confirmation step, the cast, the receipt page), then stay on the owner's page:
its board refreshes every 10 s, as the page's htmx poll does while the tab is visible (a tick is
skipped while a refresh is still in flight, as htmx does; every tab is taken to stay visible).
Twenty committee members (community staff of the estate) watch the staff board, refreshed
every 2 s. Meanwhile a few more clients, signed in as owners too, ask for a trivial signed-in
page every 2 s: the baseline, under the same load.

Measured as the clients see it: the board refresh latency (median, p99) of all refreshes and
of the owners' and the committee's apart, the baseline's, the cast's, and the ballots stored by
the voters (exactly one each: the database's constraint); before the load, one client alone
times the board and the baseline, unqueued.
Every request opens its own connection (``Connection: close``): a proxy in front of the web
processes multiplexes browsers the same way, and waitress accepts at most 100 connections per
process, fewer than 500 idle keep-alive browsers.

``task_votes_board`` runs inside a benchmark subprocess (``python -m gridgov.demo.benchmarks
votes_board``) and serves with ``gridgov serve`` on a free loopback port; ``board_setup`` and
``board_load`` are also run by a test, tiny, against the test database.
"""

from __future__ import annotations

import datetime
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

VOTERS = 500
# Voters arrive over the first seconds (uniformly at random); the load runs this long in all.
# 45 s: about 11 ballots a second, every voter on the page by the last quarter of the run. The
# burst variant (``GRIDGOV_BENCH_BOARD_ARRIVAL=15``, about 33 ballots a second) is measured too.
ARRIVAL_SECONDS = 45.0
BURST_ARRIVAL_SECONDS = 15.0
DURATION_SECONDS = 60.0
# As the pages poll (``participation.views.votes.common``): the owner's page every 10 s, the
# staff board every 2 s; the baseline clients every 2 s.
OWNER_POLL_SECONDS = 10.0
STAFF_POLL_SECONDS = 2.0
POLL_SECONDS = STAFF_POLL_SECONDS
STAFF_VIEWERS = 20
BASELINE_CLIENTS = 20
# The other owners who voted before the load started (as the tally benchmark's turnout).
EARLIER_TURNOUT = 0.8
# As the intake benchmark and docs/operations.md: one single-threaded process per core and one.
SERVER_WORKERS = 3
SERVER_THREADS = 1
REQUEST_TIMEOUT = 60.0
# Before the load, one client alone times the board and the baseline page (after a warm-up).
IDLE_WARMUP = 5
IDLE_REQUESTS = 20
CHOICE_WEIGHTS = (("yes", 6), ("no", 3), ("abstain", 1))
TOKEN_PATTERN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class BoardSetup:
    vote_id: int
    voter_ids: list[int]
    sessions: list[str]
    staff_sessions: list[str]
    earlier_ballots: int
    owners: int


@dataclass
class ClientRecord:
    """What one client saw: latencies in ms and statuses, per kind of request."""

    board: list[float] = field(default_factory=list)
    board_statuses: Counter[int] = field(default_factory=Counter)
    staff_board: list[float] = field(default_factory=list)
    staff_board_statuses: Counter[int] = field(default_factory=Counter)
    baseline: list[float] = field(default_factory=list)
    baseline_statuses: Counter[int] = field(default_factory=Counter)
    cast: list[float] = field(default_factory=list)
    cast_statuses: Counter[int] = field(default_factory=Counter)


# --- Setup ----------------------------------------------------------------------------------


def _open_vote(estate: Any, *, now: datetime.datetime) -> Any:
    from gridgov.accounts.models import User
    from gridgov.participation.models import Vote, VoteStatus
    from gridgov.participation.services.votes import build_roll, write_roll

    staff = User.objects.create(username="bench-board-staff")
    vote = Vote.objects.create(
        title="基准实时计票", estate=estate, matter="item5_fund_use",
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=7),
        cell=estate.cell, created_by=staff,
    )  # fmt: skip
    write_roll(vote, build_roll(vote, today=now.date()))
    vote.status = VoteStatus.OPEN
    vote.opened_at = now
    # As ``vote_open`` saves it (the roll's totals were set by ``write_roll``).
    vote.save(
        update_fields=["status", "opened_at", "area_unit_denominator", "total_area_units",
                       "total_owners", "total_units"]
    )  # fmt: skip
    return vote


def _pick_voters(vote: Any, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """(voter id, person id) of ``count`` owners who own alone (one member on the roll)."""
    from django.db.models import Count

    from gridgov.participation.models import Voter, VoterMember

    single = (
        Voter.objects.filter(vote=vote, organization__isnull=True)
        .annotate(member_count=Count("members"))
        .filter(member_count=1)
        .values_list("id", flat=True)
    )
    chosen = sorted(rng.sample(sorted(single), count))
    people = dict(
        VoterMember.objects.filter(voter_id__in=chosen).values_list("voter_id", "person_id")
    )
    return [(voter_id, people[voter_id]) for voter_id in chosen]


def _earlier_ballots(vote: Any, excluded: set[int], rng: random.Random,
                     now: datetime.datetime) -> int:  # fmt: skip
    from gridgov.participation.models import Ballot, Voter
    from gridgov.participation.services.votes import new_receipt

    rows = []
    voters = Voter.objects.filter(vote=vote, members__isnull=False).distinct()
    for voter_id, area_units, unit_count in voters.values_list("id", "area_units", "unit_count"):
        if voter_id in excluded or rng.random() >= EARLIER_TURNOUT:
            continue
        choice = rng.choices([c for c, _w in CHOICE_WEIGHTS], [w for _c, w in CHOICE_WEIGHTS])[0]
        rows.append(
            Ballot(vote=vote, voter_id=voter_id, choice=choice, channel="online",
                   area_units=area_units, unit_count=unit_count, receipt=new_receipt(),
                   created_at=now - datetime.timedelta(minutes=30))
        )  # fmt: skip
    Ballot.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _owner_accounts(cell: Any, people: list[int]) -> list[Any]:
    """One signed-up resident per owner, linked to their registry person (实名认证)."""
    from django.contrib.auth.hashers import make_password

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role
    from gridgov.registry.models import PersonAccount

    unusable = make_password(None)
    User.objects.bulk_create(
        User(username=f"bench-owner-{index}", password=unusable, display_name=f"业主{index}")
        for index in range(len(people))
    )
    users = list(User.objects.filter(username__startswith="bench-owner-").order_by("id"))
    users.sort(key=lambda user: int(user.username.rsplit("-", 1)[1]))
    Membership.objects.bulk_create(
        Membership(user=user, cell=cell, role=Role.RESIDENT) for user in users
    )
    PersonAccount.objects.bulk_create(
        PersonAccount(user=user, person_id=person_id, method=PersonAccount.Method.STAFF)
        for user, person_id in zip(users, people, strict=True)
    )
    return users


def _committee_accounts(cell: Any, count: int) -> list[Any]:
    """Community staff of the estate's area, who watch the staff board."""
    from django.contrib.auth.hashers import make_password

    from gridgov.accounts.models import Membership, User
    from gridgov.accounts.roles import Role

    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"bench-committee-{index}", password=unusable, display_name=f"委员{index}")
        for index in range(count)
    )
    users = list(User.objects.filter(username__startswith="bench-committee-").order_by("id"))
    Membership.objects.bulk_create(
        Membership(user=user, cell=cell, role=Role.COMMUNITY_STAFF) for user in users
    )
    return users


def _sessions(users: list[Any], *, now: datetime.datetime) -> list[str]:
    """A signed-in session per account, made as ``login()`` makes it, without a password."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from gridgov.accounts.sessions import session_start

    engine = import_module(settings.SESSION_ENGINE)
    keys = []
    for user in users:
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session_start(session, now=now, two_factor_verified=False)
        session.create()
        keys.append(session.session_key)
    return keys


def board_setup(*, voters: int, staff: int = STAFF_VIEWERS, seed: int = 278) -> BoardSetup:
    """The estate of ``bench_votes``, an open vote on it with earlier ballots, ``voters``
    signed-in owners who have not voted yet and ``staff`` signed-in committee members."""
    from django.utils import timezone

    from gridgov.demo.bench_votes import _estate

    rng = random.Random(seed)
    now = timezone.now()
    estate = _estate(rng)
    vote = _open_vote(estate, now=now)
    picked = _pick_voters(vote, voters, rng)
    earlier = _earlier_ballots(vote, {voter_id for voter_id, _p in picked}, rng, now)
    users = _owner_accounts(estate.cell, [person_id for _v, person_id in picked])
    committee = _committee_accounts(estate.cell, staff)
    return BoardSetup(
        vote_id=vote.pk,
        voter_ids=[voter_id for voter_id, _p in picked],
        sessions=_sessions(users, now=now),
        staff_sessions=_sessions(committee, now=now),
        earlier_ballots=earlier,
        owners=vote.total_owners,
    )


# --- The clients ----------------------------------------------------------------------------


@dataclass
class Browser:
    """One owner's browser: its cookies, one fresh connection per request."""

    port: int
    cookies: dict[str, str]

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> tuple[float, int, bytes, str]:  # fmt: skip
        """(ms, status, body, Location); status 0 when the connection failed."""
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Connection": "close", **(headers or {})}  # fmt: skip
        body = None
        if form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            content = response.read()
            status, location = response.status, response.getheader("Location", "")
            for header in response.headers.get_all("Set-Cookie") or []:
                self.cookies.update({k: m.value for k, m in SimpleCookie(header).items()})
        except OSError:
            status, content, location = 0, b"", ""
        finally:
            connection.close()
        return (time.perf_counter() - started) * 1000, status, content, location


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _ticks(first: float, end: float, poll: float) -> Iterator[float]:
    """htmx's ``every 2s``: a tick that comes while a refresh is in flight is dropped."""
    tick = first
    while tick < end:
        _sleep_until(tick)
        yield tick
        now = time.monotonic()
        while tick <= now:
            tick += poll


def _cast(browser: Browser, page: str, choice: str, record: ClientRecord) -> None:
    """The ballot form as a phone sends it: the page, the confirmation step, the cast."""
    _ms, _status, content, _location = browser.request("GET", page)
    found = TOKEN_PATTERN.search(content)
    token = found.group(1).decode() if found else ""
    form = {"csrfmiddlewaretoken": token, "choice": choice, "step": "confirm"}
    browser.request("POST", page, form=form, headers={"Referer": page})
    elapsed, status, _content, location = browser.request(
        "POST", page, form={**form, "step": "cast"}, headers={"Referer": page}
    )
    record.cast.append(elapsed)
    record.cast_statuses[status] += 1
    if location:
        browser.request("GET", urlsplit(location).path)  # the receipt


def _voter(port: int, session: str, pages: dict[str, str], arrive: float, end: float,
           poll: float, rng: random.Random) -> ClientRecord:  # fmt: skip
    from django.conf import settings

    record = ClientRecord()
    browser = Browser(port=port, cookies={settings.SESSION_COOKIE_NAME: session})
    _sleep_until(arrive)
    choice = rng.choices([c for c, _w in CHOICE_WEIGHTS], [w for _c, w in CHOICE_WEIGHTS])[0]
    _cast(browser, pages["vote"], choice, record)
    # The board stays open at least one refresh, however late the voter came.
    first = min(time.monotonic() + poll, end - poll / 2)
    for _tick in _ticks(first, end, poll):
        elapsed, status, _content, _location = browser.request(
            "GET", pages["board"], headers={"HX-Request": "true"}
        )
        record.board.append(elapsed)
        record.board_statuses[status] += 1
    return record


def _prober(port: int, session: str, pages: dict[str, str], first: float, end: float,
            poll: float) -> ClientRecord:  # fmt: skip
    from django.conf import settings

    record = ClientRecord()
    browser = Browser(port=port, cookies={settings.SESSION_COOKIE_NAME: session})
    for _tick in _ticks(first, end, poll):
        elapsed, status, _content, _location = browser.request("GET", pages["baseline"])
        record.baseline.append(elapsed)
        record.baseline_statuses[status] += 1
    return record


def _committee_member(port: int, session: str, pages: dict[str, str], first: float, end: float,
                      poll: float) -> ClientRecord:  # fmt: skip
    """A committee member with the staff board open for the whole run."""
    from django.conf import settings

    record = ClientRecord()
    browser = Browser(port=port, cookies={settings.SESSION_COOKIE_NAME: session})
    for _tick in _ticks(first, end, poll):
        elapsed, status, _content, _location = browser.request(
            "GET", pages["staff_board"], headers={"HX-Request": "true"}
        )
        record.staff_board.append(elapsed)
        record.staff_board_statuses[status] += 1
    return record


def _pages(vote_id: int) -> dict[str, str]:
    from django.urls import reverse

    from gridgov.demo.benchmarks import _baseline_url

    board = reverse("participation:vote_board", args=[vote_id])
    return {
        "vote": reverse("participation:my_vote", args=[vote_id]),
        "board": f"{board}?for=owner",  # the owner's page's board
        "staff_board": board,
        "baseline": _baseline_url(),
    }


def _idle(port: int, session: str, pages: dict[str, str]) -> dict[str, float]:
    """One client alone, before the load: what a refresh and the baseline cost unqueued."""
    from django.conf import settings

    browser = Browser(port=port, cookies={settings.SESSION_COOKIE_NAME: session})
    timings: dict[str, list[float]] = {"board": [], "baseline": []}
    for round_ in range(IDLE_WARMUP + IDLE_REQUESTS):
        for kind, headers in (("board", {"HX-Request": "true"}), ("baseline", {})):
            elapsed, _status, _content, _location = browser.request(
                "GET", pages[kind], headers=headers
            )
            if round_ >= IDLE_WARMUP:
                timings[kind].append(elapsed)
    return {f"{kind}_idle_median_ms": statistics.median(values)
            for kind, values in timings.items()}  # fmt: skip


def _summary(values: list[float]) -> dict[str, float]:
    from gridgov.demo.benchmarks import percentile

    if not values:
        return {"median_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {"median_ms": statistics.median(values), "p99_ms": percentile(values, 0.99),
            "max_ms": max(values)}  # fmt: skip


def _figures(values: list[float], statuses: Counter[int]) -> dict[str, Any]:
    return {**_summary(values), "requests": len(values),
            "statuses": {str(k): v for k, v in statuses.items()}}  # fmt: skip


def board_load(*, port: int, setup: BoardSetup, duration: float = DURATION_SECONDS,
               arrival: float = ARRIVAL_SECONDS, owner_poll: float = OWNER_POLL_SECONDS,
               poll: float = POLL_SECONDS,
               baseline_clients: int = BASELINE_CLIENTS) -> dict[str, Any]:  # fmt: skip
    """Play the voters (their board every ``owner_poll``), the committee and the baseline
    clients (every ``poll``) against the server on ``port``; the figures."""
    pages = _pages(setup.vote_id)
    idle = _idle(port, setup.sessions[0], pages)
    rng = random.Random(6)
    start = time.monotonic() + 0.5
    end = start + duration
    arrivals = [start + rng.uniform(0, arrival) for _session in setup.sessions]
    probes = min(baseline_clients, len(setup.sessions))
    started = time.perf_counter()
    staff = len(setup.staff_sessions)
    with ThreadPoolExecutor(max_workers=len(setup.sessions) + staff + probes) as pool:
        voters = [
            pool.submit(_voter, port, session, pages, arrive, end, owner_poll, random.Random(index))
            for index, (session, arrive) in enumerate(zip(setup.sessions, arrivals, strict=True))
        ]
        probers = [
            pool.submit(_prober, port, setup.sessions[index], pages,
                        start + poll * index / probes, end, poll)
            for index in range(probes)
        ]  # fmt: skip
        committee = [
            pool.submit(_committee_member, port, session, pages,
                        start + poll * index / max(staff, 1), end, poll)
            for index, session in enumerate(setup.staff_sessions)
        ]  # fmt: skip
        records = [future.result() for future in voters + probers + committee]
    elapsed = time.perf_counter() - started
    merged = ClientRecord()
    for record in records:
        merged.board += record.board
        merged.staff_board += record.staff_board
        merged.baseline += record.baseline
        merged.cast += record.cast
        merged.board_statuses.update(record.board_statuses)
        merged.staff_board_statuses.update(record.staff_board_statuses)
        merged.baseline_statuses.update(record.baseline_statuses)
        merged.cast_statuses.update(record.cast_statuses)
    every_board = merged.board + merged.staff_board
    return {
        "board": _figures(every_board, merged.board_statuses + merged.staff_board_statuses),
        "owners_board": _figures(merged.board, merged.board_statuses),
        "staff_board": _figures(merged.staff_board, merged.staff_board_statuses),
        "baseline": {**_summary(merged.baseline), "requests": len(merged.baseline),
                     "statuses": {str(k): v for k, v in merged.baseline_statuses.items()},
                     "url": pages["baseline"]},
        "cast": {**_summary(merged.cast), "requests": len(merged.cast),
                 "statuses": {str(k): v for k, v in merged.cast_statuses.items()}},
        **idle,
        "seconds": elapsed,
        "board_per_second": len(every_board) / elapsed if elapsed else 0.0,
    }  # fmt: skip


def board_ballots(setup: BoardSetup) -> dict[str, int]:
    """The ballots stored: by the load's voters (distinct voters too), and in all."""
    from gridgov.participation.models import Ballot

    ballots = Ballot.objects.filter(vote_id=setup.vote_id)
    mine = ballots.filter(voter_id__in=setup.voter_ids)
    return {
        "voter_ballots": mine.count(),
        "voters_with_ballot": mine.values("voter_id").distinct().count(),
        "ballots_total": ballots.count(),
    }


# --- The benchmark task ---------------------------------------------------------------------


def _serve(port: int, log_path: Path) -> tuple[subprocess.Popen[bytes], Any]:
    server_log = log_path.open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gridgov", "serve", "--addr", f"127.0.0.1:{port}",
         "--workers", str(SERVER_WORKERS), "--threads", str(SERVER_THREADS), "--no-scheduler"],
        stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    return server, server_log


def task_votes_board() -> dict[str, Any]:
    from gridgov.demo.benchmarks import _free_port, _settle, _setup_django, _wait_for_server

    _setup_django()
    from django.db import connection

    # 500 client threads and three web processes on few cores: switch threads less eagerly.
    sys.setswitchinterval(0.01)
    arrival = float(os.environ.get("GRIDGOV_BENCH_BOARD_ARRIVAL", ARRIVAL_SECONDS))
    prepared = time.perf_counter()
    setup = board_setup(voters=VOTERS)
    setup_seconds = time.perf_counter() - prepared
    vendor = connection.vendor
    if vendor == "postgresql":
        _settle(connection, "VACUUM ANALYZE")
    connection.close()
    port = _free_port()
    log_path = Path(os.environ.get("GRIDGOV_VAR_DIR", tempfile.gettempdir())) / "serve-board.log"
    server, server_log = _serve(port, log_path)
    try:
        _wait_for_server(port, server)
        figures = board_load(port=port, setup=setup, arrival=arrival)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    return {
        "vendor": vendor, "voters": VOTERS, "owners": setup.owners,
        "earlier_ballots": setup.earlier_ballots, "setup_seconds": setup_seconds,
        "duration_seconds": DURATION_SECONDS, "arrival_seconds": arrival,
        "poll_seconds": POLL_SECONDS, "owner_poll_seconds": OWNER_POLL_SECONDS,
        "staff_viewers": len(setup.staff_sessions), "baseline_clients": BASELINE_CLIENTS,
        "workers": SERVER_WORKERS, "threads": SERVER_THREADS,
        **figures, **board_ballots(setup),
    }  # fmt: skip
