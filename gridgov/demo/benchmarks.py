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

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
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
GROUPS = ("generation", "pages", "locate", "registry", "excel")
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
# Few rounds: some searches take seconds on a million people (docs/benchmarks.md).
MILLION_ROUNDS = 4


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
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return Person.objects.count()


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


TASKS: dict[str, Callable[[], dict[str, Any]]] = {
    "generate": task_generate,
    "pages": task_pages,
    "registry": task_registry,
    "registry_million": task_registry_million,
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


BENCHMARKS: dict[str, Callable[[Callable[[str], None]], dict[str, Entry]]] = {
    "generation": bench_generation,
    "pages": bench_pages,
    "locate": bench_locate,
    "registry": bench_registry,
    "excel": bench_excel,
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
