"""``gridgov bench``: the performance figures, measured, never asserted in tests.

Each figure comes with a baseline measured in the same run, because this machine is noisy:

* ``demo_generation_maqiao`` — median of 3 generations into fresh SQLite databases;
  baseline: a fixed pure-Python calibration workload.
* ``home_page_<db>`` / ``area_tree_<db>`` — p95 over ≥ 200 requests through the test client
  for an operator of the whole Maqiao town, on SQLite and (when reachable) PostgreSQL;
  baseline: a trivial signed-in page. Query counts are recorded too.
* ``cell_locate_sanjiang`` — point → cell lookups per second with ``grids.geo.CellIndex``
  over the 1,623 Sanjiang micro-grids; baseline: a naive scan with shapely ``contains``.

Database benchmarks run in a subprocess each (``python -m gridgov.demo.benchmarks <task>``)
with their own ``GRIDGOV_VAR_DIR``/``GRIDGOV_SQLITE_NAME``/``DATABASE_URL``, so that settings
are read afresh for every database.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

GENERATION_RUNS = 3
PAGE_REQUESTS = 200
PAGE_WARMUP = 10
LOCATE_POINTS = 100_000
NAIVE_POINTS = 1_000
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/gridgov_bench"
GROUPS = (
    "generation", "pages", "locate", "registry", "excel", "cases", "sensing", "participation",
)  # fmt: skip
EXCEL_ROWS = 120_000

Entry = dict[str, Any]


def calibration_seconds() -> float:
    """A fixed pure-Python workload (integer arithmetic, dicts, sorting): the yardstick
    the generation time is divided by."""
    rng = random.Random(42)
    started = time.perf_counter()
    values = [rng.random() for _ in range(300_000)]
    values.sort()
    table: dict[int, int] = {}
    for number in range(600_000):
        table[number % 1009] = table.get(number % 1009, 0) + number * number % 7
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _entry(value: float, unit: str, target: str, baseline: float, **extra: Any) -> Entry:
    ratio = value / baseline if baseline else None
    return {
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "baseline": round(baseline, 4),
        "ratio": round(ratio, 2) if ratio is not None else None,
        **extra,
    }


# --- Subprocess tasks (run with a fresh environment each) ------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def task_generate() -> dict[str, Any]:
    _setup_django()
    from gridgov.demo.services import demo_town_generate

    started = time.perf_counter()
    demo_town_generate(profile="maqiao")
    return {"seconds": time.perf_counter() - started}


def _time_requests(client: Any, url: str, count: int) -> tuple[list[float], int]:
    for _ in range(PAGE_WARMUP):
        client.get(url)
    timings = []
    status = 0
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return timings, status


def _query_count(client: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return len(captured.captured_queries)


def _baseline_url() -> str:
    from django.urls import NoReverseMatch, reverse

    for name in ("web:health", "accounts:password_change"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return reverse("web:home")


def task_pages() -> dict[str, Any]:
    _setup_django()
    from django.test import Client
    from django.urls import reverse

    from gridgov.accounts.models import User
    from gridgov.demo.services import demo_town_generate

    demo_town_generate(profile="maqiao")
    client = Client()
    client.force_login(User.objects.get(username="operator"))
    results: dict[str, Any] = {}
    for name, url in (
        ("baseline", _baseline_url()),
        ("home_page", reverse("web:home")),
        ("area_tree", reverse("grids:tree")),
    ):
        timings, status = _time_requests(client, url, PAGE_REQUESTS)
        results[name] = {
            "url": url,
            "status": status,
            "p95_ms": percentile(timings, 0.95),
            "median_ms": statistics.median(timings),
            "queries": _query_count(client, url),
            "requests": len(timings),
        }
    return results


SEARCH_QUERIES = ("zhang", "zs", "王", "1234", "飞碟苑", "wangwei", "lj", "5678")


def task_registry() -> dict[str, Any]:
    """Search p95 through ``person_list_for_actor`` (first page of 50) on the Maqiao data, and
    the people list and household file pages."""
    _setup_django()
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from gridgov.accounts.models import User
    from gridgov.demo.services import demo_town_generate
    from gridgov.registry.models import Dwelling

    demo_town_generate(profile="maqiao")
    operator = User.objects.get(username="operator")
    timings, baseline = _search_timings(operator, 25)
    results: dict[str, Any] = {
        "search": {"p95_ms": percentile(timings, 0.95), "median_ms": statistics.median(timings),
                   "requests": len(timings), "baseline_p95_ms": percentile(baseline, 0.95)},
    }  # fmt: skip
    client = Client()
    client.force_login(operator)
    dwelling = Dwelling.objects.filter(residencies__ended_on__isnull=True).first()
    assert dwelling is not None  # the Maqiao town has inhabited dwellings
    for name, args in (("registry:person_list", []), ("registry:dwelling_detail", [dwelling.pk])):
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        page_timings, status = _time_requests(client, url, PAGE_REQUESTS)
        results[name.split(":")[1]] = {"url": url, "status": status,
                                       "p95_ms": percentile(page_timings, 0.95),
                                       "queries": _query_count(client, url)}  # fmt: skip
    return results


MILLION = 1_000_000
FILL_CHUNK = 100_000
# Eight rounds, the first one a warm-up: 7 × 8 = 56 timed searches, enough for the p95 to be
# more than the slowest search or two.
MILLION_ROUNDS = 8


def _filler_people(
    count: int, cells: list[str], rng: random.Random, used: dict[tuple[str, Any], int]
) -> list[dict[str, Any]]:
    """``count`` more valid residents for the million-person search bench: names, ID numbers
    (serials from 500 up, so they never meet the demo town's), phones, spread over ``cells``."""
    import datetime

    from stdnum.cn import ric

    from gridgov.demo import people

    today = datetime.date.today()
    rows = []
    for index in range(count):
        sex = "M" if rng.random() < 0.5 else "F"
        migrant = rng.random() < 0.6
        born = today - datetime.timedelta(days=1 + int(rng.random() * 90 * 365))
        division = people.division_for(rng, born, is_migrant=migrant)
        serial = used.get((division, born), 0)
        used[(division, born)] = serial + 1
        body = f"{division}{born:%Y%m%d}{500 + 2 * serial + (sex == 'M'):03d}"
        rows.append({
            "id": index + 1, "id_number": body + ric.calc_check_digit(body + "0"),
            "name": people.resident_name(rng, sex), "sex": sex, "birth": born,
            "phone": people.mobile_number(rng), "ethnicity": "汉族",
            "hukou": people.place_name(division) if migrant else "上海市闵行区马桥镇",
            "migrant": migrant, "contact_name": "", "contact_phone": "",
            "cell": cells[index % len(cells)], "verified_days": 1 + int(rng.random() * 170),
        })  # fmt: skip
    return rows


def _fill_to_million() -> int:
    """Add generated residents until the registry holds 1,000,000 people (COPY on PostgreSQL)."""
    from django.db import connection, transaction

    from gridgov.demo.bulkload import bulk_load
    from gridgov.demo.housing_plan import HousingPlan
    from gridgov.demo.housing_write import _Writer
    from gridgov.grids.models import Cell, LevelKind
    from gridgov.registry.models import Person

    cell_ids = dict(Cell.objects.values_list("code", "id"))
    leaves = sorted(
        Cell.objects.filter(level__in=[LevelKind.GRID, LevelKind.MICRO_GRID]).values_list(
            "code", flat=True
        )
    )
    rng = random.Random(1_000_000)
    missing = MILLION - Person.objects.count()
    used: dict[tuple[str, Any], int] = {}  # ID serials per division and birth date
    with transaction.atomic(), bulk_load([Person]):
        while missing > 0:
            chunk = _filler_people(min(FILL_CHUNK, missing), leaves, rng, used)
            _Writer(HousingPlan(people=chunk), cell_ids, lambda *_args: None).people()
            missing -= len(chunk)
    if connection.vendor == "postgresql":
        _settle(connection, "ANALYZE")
    return Person.objects.count()


def _settle(connection: Any, maintenance: str) -> None:
    """Run ``maintenance`` (``ANALYZE``, ``VACUUM ANALYZE …``), then write out what a fill left in
    the buffers, so that a checkpoint does not fall into the timed part."""
    from django.db import DatabaseError

    with connection.cursor() as cursor:
        cursor.execute(maintenance)
        with contextlib.suppress(DatabaseError):  # needs a superuser or pg_checkpoint
            cursor.execute("CHECKPOINT")


def _search_timings(operator: Any, rounds: int) -> tuple[list[float], list[float]]:
    from gridgov.accounts.models import User
    from gridgov.registry.selectors.people import person_list_for_actor

    timings: list[float] = []
    for round_index in range(rounds):
        for query in SEARCH_QUERIES:
            started = time.perf_counter()
            list(person_list_for_actor(actor=operator, query=query)[:50])
            if round_index:
                timings.append((time.perf_counter() - started) * 1000)
    baseline: list[float] = []
    for _ in range(200):
        started = time.perf_counter()
        list(User.objects.filter(username="operator")[:1])
        baseline.append((time.perf_counter() - started) * 1000)
    return timings, baseline


def task_registry_million() -> dict[str, Any]:
    """Search p95 on 1,000,000 people: the Maqiao town plus generated residents."""
    _setup_django()
    from gridgov.accounts.models import User
    from gridgov.demo.services import demo_town_generate

    started = time.perf_counter()
    demo_town_generate(profile="maqiao")
    people = _fill_to_million()
    fill_seconds = time.perf_counter() - started
    timings, baseline = _search_timings(User.objects.get(username="operator"), MILLION_ROUNDS)
    return {"people": people, "fill_seconds": fill_seconds,
            "p95_ms": percentile(timings, 0.95), "median_ms": statistics.median(timings),
            "requests": len(timings), "baseline_p95_ms": percentile(baseline, 0.95)}  # fmt: skip


# --- Cases: intake over HTTP, statistics and the deadline scan on a million cases ---------------

INTAKE_CLIENTS = 50
INTAKE_REQUESTS_PER_CLIENT = 20
# Each client thinks 0.5–1.5 s between two reports (locust's ``between(0.5, 1.5)``).
INTAKE_THINK_SECONDS = (0.5, 1.5)
# One single-threaded web process per core and one more, as docs/operations.md recommends.
INTAKE_WORKERS = 3
INTAKE_THREADS = 1
# The load is played three times; the figure is the median of the three p95s (the machine is noisy).
INTAKE_ROUNDS = 3
INTAKE_CATEGORIES = ("noise", "illegal-parking", "street-light", "property-service", "consultation")
CASE_MILLION = 1_000_000
FIGURE_RUNS = 3
SCAN_RUNS = 5


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_server(port: int, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server stopped before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer in time")


Request = tuple[str, str, bytes | None]


def _client_run(port: int, token: str, requests: list[Request],
                seed: int, think: bool) -> tuple[list[float], list[int]]:  # fmt: skip
    """One client on one keep-alive connection: its requests in order, timed."""
    import http.client

    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    timings: list[float] = []
    statuses: list[int] = []
    for method, path, body in requests:
        if think:
            time.sleep(rng.uniform(*INTAKE_THINK_SECONDS))
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:  # counted as a failure (status 0), on a fresh connection
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status = 0
        timings.append((time.perf_counter() - started) * 1000)
        statuses.append(status)
    connection.close()
    return timings, statuses


def _clients(port: int, token: str, plans: list[list[Request]],
             think: bool) -> tuple[list[float], Counter[int], float]:  # fmt: skip
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:
        results = list(pool.map(lambda i: _client_run(port, token, plans[i], i, think),
                                range(len(plans))))  # fmt: skip
    elapsed = time.perf_counter() - started
    timings = [t for client, _s in results for t in client]
    statuses: Counter[int] = Counter(code for _t, client in results for code in client)
    return timings, statuses, elapsed


def _report_bodies(round_: int, client: int, count: int,
                   places: list[tuple[float, float]]) -> list[bytes]:  # fmt: skip
    rng = random.Random(round_ * 1000 + client)
    bodies = []
    for index in range(count):
        lat, lng = places[rng.randrange(len(places))]
        bodies.append(json.dumps({
            "channel": "hotline", "category_code": rng.choice(INTAKE_CATEGORIES),
            "description": "来电反映：楼下夜间噪声扰民，请尽快处理。", "lat": lat, "lng": lng,
            "reporter_name": "王女士", "reporter_phone": f"139{client:04d}{index:04d}",
            "submission_key": f"bench-{round_}-{client}-{index}",
        }, ensure_ascii=False).encode())  # fmt: skip
    return bodies


def task_cases_intake() -> dict[str, Any]:
    """``POST /api/v1/cases/`` from 50 concurrent clients against ``gridgov serve`` on loopback
    (the Maqiao town); baseline: ``GET /api/v1/case-categories/`` by the same clients."""
    _setup_django()
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from gridgov.accounts.models import User
    from gridgov.cases.models import Case
    from gridgov.demo.services import demo_town_generate
    from gridgov.registry.models import Building

    demo_town_generate(profile="maqiao")
    token = Token.objects.get_or_create(user=User.objects.get(username="operator"))[0].key
    located = Building.objects.exclude(lat=None).exclude(lng=None).order_by("id")
    places = [
        (float(lat), float(lng))
        for lat, lng in located.values_list("lat", "lng")[:400]
        if lat is not None and lng is not None
    ]
    before = Case.objects.count()
    if connection.vendor == "postgresql":
        # A town that has run for a while has had its tables vacuumed and analysed; the freshly
        # generated one has not, and autovacuum would otherwise do it during the first round.
        _settle(connection, "VACUUM ANALYZE")
    connection.close()
    port = _free_port()
    # The server's log goes to a file: a pipe nobody reads would fill up and stall it.
    server_log = (
        Path(os.environ.get("GRIDGOV_VAR_DIR", tempfile.gettempdir())) / "serve.log"
    ).open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gridgov", "serve", "--addr", f"127.0.0.1:{port}",
         "--workers", str(INTAKE_WORKERS), "--threads", str(INTAKE_THREADS), "--no-scheduler"],
        stdout=server_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for_server(port, server)
        per_client = INTAKE_REQUESTS_PER_CLIENT
        reads: list[list[Request]] = [[("GET", "/api/v1/case-categories/", None)] * per_client
                 for _client in range(INTAKE_CLIENTS)]  # fmt: skip
        _clients(port, token, [plan[:2] for plan in reads], think=False)  # warm up
        baseline, _codes, _elapsed = _clients(port, token, reads, think=True)
        rounds = []
        for round_ in range(INTAKE_ROUNDS):
            posts: list[list[Request]] = [[("POST", "/api/v1/cases/", body)
                      for body in _report_bodies(round_, client, per_client, places)]
                     for client in range(INTAKE_CLIENTS)]  # fmt: skip
            rounds.append(_clients(port, token, posts, think=True))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        server_log.close()
    created = Case.objects.count() - before
    round_p95s = [percentile(timings, 0.95) for timings, _codes, _elapsed in rounds]
    statuses: Counter[int] = Counter()
    for _timings, codes, _elapsed in rounds:
        statuses.update(codes)
    requests = sum(len(timings) for timings, _codes, _elapsed in rounds)
    return {"p95_ms": statistics.median(round_p95s), "round_p95_ms": round_p95s,
            "median_ms": statistics.median([t for timings, _c, _e in rounds for t in timings]),
            "requests": requests, "statuses": {str(k): v for k, v in statuses.items()},
            "created": created, "per_second": requests / sum(e for _t, _c, e in rounds),
            "baseline_p95_ms": percentile(baseline, 0.95)}  # fmt: skip


def _fill_cases_sql() -> str:
    """One INSERT … SELECT over ``generate_series``: a year of mostly closed cases, 5% still
    being worked on (deadlines from a month ago to a month ahead) and 0.2% not yet accepted,
    with the flags the deadline scan would already have set (so a run sees only new work)."""
    return """
    WITH r AS (
        SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
               random() AS r5, random() AS r6, random() AS r7,
               %(start)s::timestamptz + random() * interval '364 days' AS created
        FROM generate_series(1, %(count)s) AS g
    ), d AS (
        SELECT r.*, 1 + floor(r1 * %(categories)s)::int AS k,
               CASE WHEN r2 < 0.05 THEN 'in_progress' WHEN r2 < 0.052 THEN 'new'
                    ELSE 'closed' END AS status,
               %(now)s::timestamptz + (r3 * 60 - 30) * interval '1 day' AS running_due,
               %(now)s::timestamptz + (r3 * 48 - 46) * interval '1 hour' AS new_due
        FROM r
    ), c AS (
        SELECT d.*,
               CASE status WHEN 'in_progress' THEN running_due - interval '5 days'
                           WHEN 'new' THEN new_due - interval '2 hours'
                           ELSE created END AS at
        FROM d
    )
    INSERT INTO cases_case (
        id, number, token, channel, status, category_id, title, description, attributes,
        cell_id, handling_cell_id, address, reporter_name, reporter_phone_encrypted,
        reporter_phone_prefix, reporter_phone_last4, source_ref, department_id,
        property_company_id, created_at, accept_due_at, resolve_due_at, accepted_at,
        resolved_at, closed_at, status_before_suspension, updated_at, accept_reminded_at,
        resolve_reminded_at, is_overdue, overdue_at, accepted_late, resolved_late,
        escalation_count, reopen_count, is_whistled, rating, rating_comment, rated_at, version
    )
    SELECT
        %(base)s + g, 'B' || lpad(g::text, 13, '0'), md5('bench' || g)::uuid,
        (%(channels)s::text[])[1 + floor(r4 * 6)::int], status,
        (%(category_ids)s::int[])[k], 'bench', 'bench', '{}'::jsonb,
        (%(cell_ids)s::int[])[1 + floor(r5 * %(cells)s)::int],
        (%(cell_ids)s::int[])[1 + floor(r5 * %(cells)s)::int], '', '', '', '', '', '',
        NULLIF((%(department_ids)s::int[])[k], 0),
        CASE WHEN (%(property)s::bool[])[k]
             THEN (%(company_ids)s::int[])[1 + floor(r6 * %(companies)s)::int] END,
        at, at + interval '2 hours',
        CASE status WHEN 'in_progress' THEN running_due ELSE at + interval '5 days' END,
        CASE WHEN status = 'new' THEN NULL
             WHEN r7 < 0.015 THEN at + interval '3 hours'
             ELSE at + r7 * interval '100 minutes' END,
        CASE WHEN status = 'closed'
             THEN at + (CASE WHEN r6 < 0.02 THEN 5.5 + r3 ELSE r3 * 4.8 END) * interval '1 day' END,
        CASE WHEN status = 'closed'
             THEN at + (CASE WHEN r6 < 0.02 THEN 6.5 + r3 ELSE 1 + r3 * 4.8 END) * interval '1 day' END,
        '', at,
        CASE WHEN status = 'new' AND new_due <= %(now)s::timestamptz + interval '4 hours'
             THEN new_due - interval '4 hours' END,
        CASE WHEN status = 'in_progress' AND running_due <= %(now)s::timestamptz + interval '4 hours'
             THEN running_due - interval '4 hours' END,
        (status = 'in_progress' AND running_due <= %(now)s) OR (status = 'new' AND new_due <= %(now)s),
        CASE WHEN status = 'in_progress' AND running_due <= %(now)s THEN running_due
             WHEN status = 'new' AND new_due <= %(now)s THEN new_due END,
        status <> 'new' AND r7 < 0.015, status = 'closed' AND r6 < 0.02,
        0, CASE WHEN r4 > 0.98 THEN 1 ELSE 0 END, r5 > 0.99,
        CASE WHEN status = 'closed' AND r2 < 0.8
             THEN CASE WHEN r3 < 0.62 THEN 5 WHEN r3 < 0.87 THEN 4 WHEN r3 < 0.94 THEN 3
                       WHEN r3 < 0.97 THEN 2 ELSE 1 END END,
        '', NULL, 5
    FROM c
    """


def _fill_cases_to_million(now: Any) -> int:
    import datetime

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from gridgov.accounts.models import Organization
    from gridgov.cases.models import Case, Category
    from gridgov.demo.bulkload import bulk_load
    from gridgov.grids.models import Cell, LevelKind

    leaves = list(Category.objects.filter(children__isnull=True).order_by("id"))
    cells = list(
        Cell.objects.filter(level=LevelKind.MICRO_GRID).order_by("id").values_list("id", flat=True)
    )
    companies = list(
        Organization.objects.filter(kind=Organization.Kind.PROPERTY_COMPANY)
        .order_by("id").values_list("id", flat=True)
    )  # fmt: skip
    missing = CASE_MILLION - Case.objects.count()
    company_ids: list[int | None] = [*companies] or [None]
    params = {
        "start": now - datetime.timedelta(days=365), "now": now, "count": missing,
        "base": int(Case.objects.aggregate(top=Max("id"))["top"] or 0),
        "categories": len(leaves), "category_ids": [c.pk for c in leaves],
        "department_ids": [c.department_id or 0 for c in leaves],
        "property": [c.is_property_matter for c in leaves],
        "cell_ids": cells, "cells": len(cells), "company_ids": company_ids,
        "companies": max(len(companies), 1),
        "channels": ["resident", "hotline", "visit", "system", "open311", "staff"],
    }  # fmt: skip
    # Indexes rebuilt once at the end, foreign keys checked once (``demo.bulkload``).
    with transaction.atomic(), bulk_load([Case]), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(_fill_cases_sql(), params)
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case]):
            cursor.execute(statement)
    _settle(connection, "VACUUM ANALYZE cases_case")
    return Case.objects.count()


def _timed(call: Callable[[], Any], runs: int = FIGURE_RUNS) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def task_cases_million() -> dict[str, Any]:
    """Every figure of the statistics page, and the deadline scan, over 1,000,000 cases."""
    _setup_django()
    import datetime

    from django.db import connection
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.cases.selectors import statistics as figures
    from gridgov.cases.services.deadlines import deadline_scan
    from gridgov.demo.services import demo_town_generate

    demo_town_generate(profile="maqiao")
    now = timezone.now()
    started = time.perf_counter()
    count = _fill_cases_to_million(now)
    fill_seconds = time.perf_counter() - started
    operator = User.objects.get(username="operator")
    query = figures.statistics_query()
    calls: dict[str, Callable[[], Any]] = {
        "summary": lambda: figures.statistics_summary(actor=operator, query=query, now=now)
    }
    for by in figures.BREAKDOWNS:
        calls[f"by_{by}"] = functools.partial(
            figures.statistics_breakdown, actor=operator, query=query, by=by, now=now
        )
    for kind in figures.RANKINGS:
        calls[f"ranking_{kind}"] = functools.partial(
            figures.statistics_ranking, actor=operator, query=query, kind=kind, now=now
        )
    figure_ms = {name: _timed(call) for name, call in calls.items()}

    def bare_count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM cases_case")
            cursor.fetchone()

    baseline_ms = _timed(bare_count)
    # The scan runs in a worker or a served process, which loaded the URL map (the notices'
    # links) when it started; this process has to do it once before the scan is timed.
    from gridgov.core.warmup import warm_up

    warm_up()
    scans = []
    work = []
    for minute in range(SCAN_RUNS):
        at = now + datetime.timedelta(minutes=minute)
        started = time.perf_counter()
        result = deadline_scan(now=at)
        scans.append((time.perf_counter() - started) * 1000)
        work.append(result.total + result.escalated)
    return {"cases": count, "fill_seconds": fill_seconds, "figures_ms": figure_ms,
            "baseline_ms": baseline_ms, "scan_ms": scans, "scan_work": work,
            "report_ms": _timed(lambda: figures.statistics_report(actor=operator, query=query,
                                                                  now=now), runs=1)}  # fmt: skip


def task_sensing_mqtt() -> dict[str, Any]:
    from gridgov.demo.bench_sensing import task_sensing_mqtt as task

    return task()


def task_sensing_rules() -> dict[str, Any]:
    from gridgov.demo.bench_rules import task_sensing_rules as task

    return task()


def task_sensing_absence() -> dict[str, Any]:
    from gridgov.demo.bench_access import task_absence_scan

    return task_absence_scan()


def task_votes_tally() -> dict[str, Any]:
    from gridgov.demo.bench_votes import task_votes_tally as task

    return task()


def task_votes_board() -> dict[str, Any]:
    from gridgov.demo.bench_votes_board import task_votes_board as task

    return task()


TASKS: dict[str, Callable[[], dict[str, Any]]] = {
    "generate": task_generate,
    "pages": task_pages,
    "registry": task_registry,
    "registry_million": task_registry_million,
    "cases_intake": task_cases_intake,
    "cases_million": task_cases_million,
    "sensing_mqtt": task_sensing_mqtt,
    "sensing_rules": task_sensing_rules,
    "sensing_absence": task_sensing_absence,
    "votes_tally": task_votes_tally,
    "votes_board": task_votes_board,
}


def _run_task(task: str, env_overrides: dict[str, str]) -> dict[str, Any]:
    env = {**os.environ, **env_overrides}
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "gridgov.demo.benchmarks", task],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr else task)
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _sqlite_env(directory: str) -> dict[str, str]:
    return {
        "GRIDGOV_VAR_DIR": directory,
        "GRIDGOV_SQLITE_NAME": "bench.sqlite3",
        "DATABASE_URL": "",
        "GRIDGOV_DEMO": "true",
        "GRIDGOV_PROFILE": "development",
    }


# --- The benchmarks -------------------------------------------------------------------------


def bench_generation(log: Callable[[str], None]) -> dict[str, Entry]:
    seconds: list[float] = []
    calibrations: list[float] = []
    for run in range(1, GENERATION_RUNS + 1):
        calibrations.append(calibration_seconds())
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
            seconds.append(_run_task("generate", _sqlite_env(directory))["seconds"])
        log(f"  generation run {run}: {seconds[-1]:.2f} s")
    median = statistics.median(seconds)
    return {
        "demo_generation_maqiao": _entry(
            median,
            "s",
            "< 60 s",
            statistics.median(calibrations),
            runs=[round(value, 3) for value in seconds],
        )
    }


def _page_entries(database: str, result: dict[str, Any]) -> dict[str, Entry]:
    baseline = result["baseline"]
    entries = {}
    for name in ("home_page", "area_tree"):
        page = result[name]
        entries[f"{name}_{database}"] = _entry(
            page["p95_ms"],
            "ms (p95)",
            "< 150 ms",
            baseline["p95_ms"],
            median=round(page["median_ms"], 2),
            queries=page["queries"],
            requests=page["requests"],
            status=page["status"],
            baseline_url=baseline["url"],
        )
    return entries


def _postgres_ready(url: str) -> bool:
    """Create (or re-create) the benchmark database; ``False`` when PostgreSQL is away."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        return False
    return True


def bench_pages(log: Callable[[str], None]) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        entries.update(_page_entries("sqlite", _run_task("pages", _sqlite_env(directory))))
        log("  pages on SQLite: done")
        postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        if _postgres_ready(postgres_url):
            env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
            entries.update(_page_entries("postgresql", _run_task("pages", env)))
            log("  pages on PostgreSQL: done")
        else:
            log("  PostgreSQL is not reachable: skipped")
    return entries


def bench_locate(log: Callable[[str], None]) -> dict[str, Entry]:
    from shapely import contains_xy
    from shapely.geometry import shape

    from gridgov.demo.plan import plan_cells
    from gridgov.grids.geo import CellIndex
    from gridgov.grids.models import LevelKind

    tree = plan_cells("sanjiang")
    micro = [(c.code, c.boundary) for c in tree.cells if c.level == LevelKind.MICRO_GRID]
    index = CellIndex.build(micro)
    min_lng, min_lat, max_lng, max_lat = tree.geometries[tree.cells[0].code].bounds
    rng = random.Random(7)
    points = [
        (rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat)) for _ in range(LOCATE_POINTS)
    ]
    started = time.perf_counter()
    found = sum(1 for lng, lat in points if index.locate(lng, lat) is not None)
    indexed_rate = LOCATE_POINTS / (time.perf_counter() - started)
    shapes = [(code, shape(boundary)) for code, boundary in micro]
    started = time.perf_counter()
    for lng, lat in points[:NAIVE_POINTS]:
        next((code for code, geometry in shapes if contains_xy(geometry, lng, lat)), None)
    naive_rate = NAIVE_POINTS / (time.perf_counter() - started)
    log(f"  {found:,} of {LOCATE_POINTS:,} random points fell inside a micro-grid")
    entry = _entry(indexed_rate, "lookups/s", "≥ 50,000/s", naive_rate, cells=len(micro))
    # Here a higher value is better: the ratio is the speed-up over the naive scan.
    return {"cell_locate_sanjiang": entry}


def bench_registry(log: Callable[[str], None]) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        result = _run_task("registry", _sqlite_env(directory))
    search = result["search"]
    entries["registry_search_sqlite"] = _entry(
        search["p95_ms"], "ms (p95)", "< 50 ms", search["baseline_p95_ms"],
        median=round(search["median_ms"], 2), requests=search["requests"],
    )  # fmt: skip
    for name in ("person_list", "dwelling_detail"):
        if name in result:
            page = result[name]
            entries[f"registry_{name}_sqlite"] = _entry(
                page["p95_ms"], "ms (p95)", "< 150 ms", search["baseline_p95_ms"],
                queries=page["queries"], status=page["status"],
            )  # fmt: skip
    log("  registry search on SQLite: done")
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not _postgres_ready(postgres_url):
        log("  PostgreSQL is not reachable: million-person search skipped")
        return entries
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
        million = _run_task("registry_million", env)
    entries["registry_search_postgresql_1m"] = _entry(
        million["p95_ms"], "ms (p95)", "< 50 ms", million["baseline_p95_ms"],
        median=round(million["median_ms"], 2), requests=million["requests"],
        people=million["people"], fill_seconds=round(million["fill_seconds"], 1),
    )  # fmt: skip
    log(f"  registry search on {million['people']:,} people (PostgreSQL): done")
    return entries


def bench_excel(log: Callable[[str], None]) -> dict[str, Entry]:
    """The people import (``registry.excel.bench``) on a fresh SQLite file;
    baseline: the time python-calamine takes merely to read the same file."""
    try:
        from gridgov.registry.excel import bench as excel_bench
    except ImportError:
        log("  gridgov.registry.excel.bench is not there: skipped")
        return {}
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", excel_bench.__name__, str(EXCEL_ROWS)],
            env={**os.environ, **_sqlite_env(directory)},
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["failed"]
        log(f"  people import failed: {tail[0]}")
        return {}
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    log(f"  people import of {figures['rows']:,} rows: {figures['status']}")
    entry = _entry(
        figures["total_seconds"], "s", "< 90 s", figures["calamine_read_seconds"],
        rows=figures["rows"], check_seconds=figures["check_seconds"],
        import_seconds=figures["import_seconds"], status=figures["status"],
        created=figures["created"], errors=figures["errors"],
    )  # fmt: skip
    return {"excel_import_people": entry}


def bench_cases(log: Callable[[str], None]) -> dict[str, Entry]:
    """Case intake over HTTP, statistics and the deadline scan, on PostgreSQL."""
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    entries: dict[str, Entry] = {}
    if not _postgres_ready(postgres_url):
        log("  PostgreSQL is not reachable: cases benchmarks skipped")
        return entries
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
        intake = _run_task("cases_intake", env)
    entries["case_intake_api_postgresql"] = _entry(
        intake["p95_ms"], "ms (p95)", "< 100 ms", intake["baseline_p95_ms"],
        median=round(intake["median_ms"], 2), requests=intake["requests"],
        clients=INTAKE_CLIENTS, statuses=intake["statuses"], created=intake["created"],
        per_second=round(intake["per_second"], 1), workers=INTAKE_WORKERS,
        threads=INTAKE_THREADS, round_p95_ms=[round(p95, 1) for p95 in intake["round_p95_ms"]],
    )  # fmt: skip
    log(f"  intake: {intake['requests']} reports, p95 {intake['p95_ms']:.1f} ms (median of rounds)")
    if not _postgres_ready(postgres_url):
        return entries
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
        million = _run_task("cases_million", env)
    slowest = max(million["figures_ms"], key=million["figures_ms"].get)
    entries["case_statistics_postgresql_1m"] = _entry(
        million["figures_ms"][slowest], "ms (slowest figure)", "< 1000 ms",
        million["baseline_ms"], slowest=slowest, cases=million["cases"],
        figures_ms={k: round(v, 1) for k, v in million["figures_ms"].items()},
        whole_page_ms=round(million["report_ms"], 1),
        fill_seconds=round(million["fill_seconds"], 1),
    )  # fmt: skip
    entries["case_deadline_scan_postgresql_1m"] = _entry(
        max(million["scan_ms"]), "ms (slowest run)", "< 1000 ms", million["baseline_ms"],
        runs_ms=[round(v, 1) for v in million["scan_ms"]], work=million["scan_work"],
        cases=million["cases"],
    )  # fmt: skip
    log(f"  statistics over {million['cases']:,} cases: slowest {slowest} "
        f"{million['figures_ms'][slowest]:.0f} ms; scan {max(million['scan_ms']):.0f} ms")  # fmt: skip
    return entries


def bench_sensing(log: Callable[[str], None]) -> dict[str, Entry]:
    """Sustained MQTT ingestion with storage and the scenario rules, on PostgreSQL and the local
    Mosquitto; baseline: a bare subscriber taking the same stream off the broker."""
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not _postgres_ready(postgres_url):
        log("  PostgreSQL is not reachable: sensing benchmarks skipped")
        return {}
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
        try:
            result = _run_task("sensing_mqtt", env)
        except RuntimeError as error:
            log(f"  MQTT ingestion failed: {error}")
            return {}
    rules: dict[str, Entry] = {}
    if _postgres_ready(postgres_url):
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
            env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
            rules = _run_task("sensing_rules", env)
        for name, entry in rules.items():
            log(f"  {name}: {entry['value']:,.0f} {entry['unit']} (ratio {entry['ratio']})")
    if _postgres_ready(postgres_url):
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
            env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
            absence = _run_task("sensing_absence", env)
        rules["sensing_absence_list_postgresql_1m"] = absence["entry"]
        log(f"  absence list over {absence['people']:,} people and {absence['passes']:,} passes: "
            f"{absence['entry']['value']:,.0f} ms")  # fmt: skip
    rate, baseline = result["events_per_second"], result["baseline_events_per_second"]
    latency = result["alarm_latency"]
    log(f"  MQTT ingestion: {rate:,.0f} events/s stored; a bare subscriber {baseline:,.0f}/s")
    log(f"  event → alarm on the board: p99 {latency['p99_ms']:.0f} ms at 5,000 events/s")
    return {
        **rules,
        "sensing_mqtt_ingest_postgresql": _entry(
            rate,
            "events/s",
            "≥ 20,000/s",
            baseline,
            round_rates=[round(value) for value in result["round_rates"]],
            baseline_round_rates=[round(value) for value in result["baseline_round_rates"]],
            events=result["events"],
            events_per_message=result["events_per_message"],
            ingesters=result["ingesters"],
            devices=result["devices"],
            scenarios=result["scenarios"],
        ),
        "sensing_alarm_latency_postgresql": _entry(
            latency["p99_ms"],
            "ms (p99)",
            "< 1000 ms",
            latency["broker_p99_ms"],
            median=round(latency["median_ms"], 1),
            incidents=latency["incidents"],
            alarms_seen=latency["alarms_seen"],
            background_events_per_second=latency["background_events_per_second"],
        ),
    }


def _vote_tally_entry(figures: dict[str, Any]) -> Entry:
    return _entry(
        figures["tally_median_ms"], "ms (median)", "< 200 ms", figures["baseline_median_ms"],
        owners=figures["owners"], units=figures["units"], ballots=figures["ballots"],
        queries=figures["queries"], slowest_ms=round(figures["tally_max_ms"], 2),
        roll_seconds=round(figures["roll_seconds"], 2), outcome=figures["outcome"],
    )  # fmt: skip


def bench_participation(log: Callable[[str], None]) -> dict[str, Entry]:
    """The tally of a 10,000-owner estate (``demo.bench_votes``) on SQLite and PostgreSQL;
    baseline: a plain COUNT over the same vote's ballots."""
    entries: dict[str, Entry] = {}
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        figures = _run_task("votes_tally", _sqlite_env(directory))
    entries["vote_tally_sqlite_10k"] = _vote_tally_entry(figures)
    log(f"  vote tally on SQLite: {figures['tally_median_ms']:.1f} ms for {figures['owners']:,} "
        f"owners (COUNT baseline {figures['baseline_median_ms']:.1f} ms)")  # fmt: skip
    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not _postgres_ready(postgres_url):
        log("  PostgreSQL is not reachable: the PostgreSQL tally is skipped")
        entries.update(bench_vote_board(log))
        return entries
    with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
        env = {**_sqlite_env(directory), "DATABASE_URL": postgres_url}
        figures = _run_task("votes_tally", env)
    entries["vote_tally_postgresql_10k"] = _vote_tally_entry(figures)
    log(f"  vote tally on PostgreSQL: {figures['tally_median_ms']:.1f} ms "
        f"(COUNT baseline {figures['baseline_median_ms']:.1f} ms)")  # fmt: skip
    entries.update(bench_vote_board(log))
    return entries


def _vote_board_entries(
    figures: dict[str, Any], *, prefix: str = "vote_board", target: str = "< 1000 ms"
) -> dict[str, Entry]:
    board, baseline, cast = figures["board"], figures["baseline"], figures["cast"]
    extra = {
        "voters": figures["voters"], "owners": figures["owners"],
        "voter_ballots": figures["voter_ballots"],
        "voters_with_ballot": figures["voters_with_ballot"],
        "ballots_total": figures["ballots_total"], "earlier_ballots": figures["earlier_ballots"],
        "refreshes": board["requests"], "statuses": board["statuses"],
        "refreshes_per_second": round(figures["board_per_second"], 1),
        "baseline_url": baseline["url"], "baseline_statuses": baseline["statuses"],
        "cast_median_ms": round(cast["median_ms"], 1), "cast_p99_ms": round(cast["p99_ms"], 1),
        "cast_statuses": cast["statuses"], "poll_seconds": figures["poll_seconds"],
        "board_idle_median_ms": round(figures["board_idle_median_ms"], 1),
        "baseline_idle_median_ms": round(figures["baseline_idle_median_ms"], 1),
        "seconds": round(figures["seconds"], 1), "workers": figures["workers"],
        "threads": figures["threads"],
        "owner_poll_seconds": figures["owner_poll_seconds"],
        "staff_viewers": figures["staff_viewers"],
        **{f"{who}_{figure}": round(figures[f"{who}_board"][figure], 1)
           for who in ("owners", "staff") for figure in ("median_ms", "p99_ms")},
        "owners_refreshes": figures["owners_board"]["requests"],
        "staff_refreshes": figures["staff_board"]["requests"],
        "arrival_seconds": figures["arrival_seconds"],
    }  # fmt: skip
    suffix = f"{figures['vendor']}_500"
    return {
        f"{prefix}_p99_{suffix}": _entry(
            board["p99_ms"], "ms (p99)", target, baseline["p99_ms"], **extra
        ),
        f"{prefix}_median_{suffix}": _entry(
            board["median_ms"],
            "ms (median)",
            target,
            baseline["median_ms"],
            voters=figures["voters"],
            refreshes=board["requests"],
        ),
    }


def bench_vote_board(log: Callable[[str], None]) -> dict[str, Entry]:
    """The live board refreshed by 500 signed-in owners who cast their ballot through the form,
    against ``gridgov serve`` (``demo.bench_votes_board``), on PostgreSQL when reachable, else
    SQLite; baseline: a trivial signed-in page asked for under the same load. Twice: voters
    arriving over 45 s (the target) and in a 15-s burst (reported, no target)."""
    from gridgov.demo.bench_votes_board import ARRIVAL_SECONDS, BURST_ARRIVAL_SECONDS

    postgres_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    entries: dict[str, Entry] = {}
    runs = (
        ("vote_board", ARRIVAL_SECONDS, "< 1000 ms"),
        ("vote_board_burst", BURST_ARRIVAL_SECONDS, "–"),
    )
    for prefix, arrival, target in runs:
        with tempfile.TemporaryDirectory(prefix="gridgov-bench-") as directory:
            env = _sqlite_env(directory)
            env["GRIDGOV_BENCH_BOARD_ARRIVAL"] = str(arrival)
            if _postgres_ready(postgres_url):
                env["DATABASE_URL"] = postgres_url
            else:
                log("  PostgreSQL is not reachable: the live board runs on SQLite")
            figures = _run_task("votes_board", env)
        _log_vote_board(log, figures)
        entries.update(_vote_board_entries(figures, prefix=prefix, target=target))
    return entries


def _log_vote_board(log: Callable[[str], None], figures: dict[str, Any]) -> None:
    board, baseline = figures["board"], figures["baseline"]
    owners, staff = figures["owners_board"], figures["staff_board"]
    log(f"  live board on {figures['vendor']}, {figures['voters']} voters arriving over "
        f"{figures['arrival_seconds']:.0f} s: median "
        f"{board['median_ms']:.0f} ms, p99 {board['p99_ms']:.0f} ms over {board['requests']:,} "
        f"refreshes (owners every {figures['owner_poll_seconds']:.0f} s: median "
        f"{owners['median_ms']:.0f} ms, p99 {owners['p99_ms']:.0f} ms; "
        f"{figures['staff_viewers']} committee members every {figures['poll_seconds']:.0f} s: "
        f"median {staff['median_ms']:.0f} ms, p99 {staff['p99_ms']:.0f} ms) "
        f"(baseline median {baseline['median_ms']:.0f} ms, p99 "
        f"{baseline['p99_ms']:.0f} ms); {figures['voter_ballots']} ballots stored; one client "
        f"alone: board {figures['board_idle_median_ms']:.0f} ms, baseline "
        f"{figures['baseline_idle_median_ms']:.0f} ms")  # fmt: skip


BENCHMARKS: dict[str, Callable[[Callable[[str], None]], dict[str, Entry]]] = {
    "generation": bench_generation,
    "pages": bench_pages,
    "locate": bench_locate,
    "registry": bench_registry,
    "excel": bench_excel,
    "cases": bench_cases,
    "sensing": bench_sensing,
    "participation": bench_participation,
}


def run_benchmarks(
    *, only: str | None, output: Path, log: Callable[[str], None]
) -> dict[str, Entry]:
    """Run the benchmarks (all, or the group ``only``), merge into ``output`` and return them."""
    results: dict[str, Entry] = {}
    if output.exists():
        results = json.loads(output.read_text(encoding="utf-8"))
    for name, bench in BENCHMARKS.items():
        if only and only != name:
            continue
        log(f"» {name}")
        results.update(bench(log))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def table(results: dict[str, Entry]) -> list[str]:
    header = (
        f"{'benchmark':<26} {'value':>12} {'unit':<10} {'target':<12} {'baseline':>10} {'ratio':>7}"
    )
    lines = [header, "-" * len(header)]
    for name, entry in results.items():
        lines.append(
            f"{name:<26} {entry['value']:>12,.2f} {entry['unit']:<10} {entry['target']:<12} "
            f"{entry['baseline']:>10,.3f} {entry['ratio'] if entry['ratio'] is not None else '-':>7}"
        )
    return lines


if __name__ == "__main__":
    task_result = TASKS[sys.argv[1]]()
    sys.stdout.write(json.dumps(task_result) + "\n")
