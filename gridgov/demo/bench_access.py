"""The absence list at city scale, measured (not a test): ``task_absence_scan``.

The Maqiao demo town is filled up to 1,000,000 people (the registry benchmark's filler), 3% of
them tagged 独居老人, 70% holding an access card; then 10,000,000 gate passes are written with
one ``INSERT … SELECT generate_series`` on PostgreSQL, spread over the last 30 days — except for
one elder in ten, whose passes all lie more than three days back. The figure is the median time
of the whole town's absence list page for the operations centre (``absence_page_for_actor``:
the scan of every card, the count, and the first page of people presented), next to the scan
alone, every row presented (as the Excel export does) and a baseline (a bare count of the
cards) measured in the same run.

Run it in a fresh PostgreSQL database::

    DATABASE_URL=postgres://…/bench_access python -m gridgov.demo.bench_access [people] [passes]
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from typing import Any

from gridgov.demo.benchmarks import MILLION, _entry, _filler_people, _settle, _setup_django

PASSES = 10_000_000
TAGGED_SHARE = 0.03
CARD_SHARE = 0.70
ABSENT_MODULO = 10  # one tagged elder in ten has not passed for more than three days
RUNS = 5
FILL_CHUNK = 100_000


def _fill_people(target: int) -> int:
    """Generated residents until the registry holds ``target`` people (COPY on PostgreSQL)."""
    from django.db import transaction

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
    rng = random.Random(target)
    missing = target - Person.objects.count()
    used: dict[tuple[str, Any], int] = {}
    with transaction.atomic(), bulk_load([Person]):
        while missing > 0:
            chunk = _filler_people(min(FILL_CHUNK, missing), leaves, rng, used)
            _Writer(HousingPlan(people=chunk), cell_ids, lambda *_args: None).people()
            missing -= len(chunk)
    return int(Person.objects.count())


def _tags_cards_passes(passes: int) -> dict[str, int]:
    """Tags, cards and passes for everyone without a card yet, in three set-based statements."""
    from django.db import connection, transaction

    from gridgov.demo.bulkload import bulk_load
    from gridgov.registry.models import Tag
    from gridgov.sensing.models import AccessCard, Device, DeviceCategory, Event

    tag_id = Tag.objects.get(code="elderly-alone").pk
    gates = list(
        Device.objects.filter(category=DeviceCategory.ACCESS_CONTROL).values_list("id", flat=True)
    )
    if not gates:
        raise RuntimeError("the demo town has no access gates")
    tagged_mod = round(1 / TAGGED_SHARE)
    with transaction.atomic(), bulk_load([AccessCard, Event]), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO registry_persontag (person_id, tag_id, source, set_at, reason) "
            "SELECT p.id, %s, 'rule', now(), '' FROM registry_person p "
            "WHERE p.id %% %s = 0 AND NOT EXISTS (SELECT 1 FROM registry_persontag t "
            "WHERE t.person_id = p.id AND t.tag_id = %s)",
            [tag_id, tagged_mod, tag_id],
        )
        tagged = cursor.rowcount
        # Every tagged person and CARD_SHARE of the others get one card (a 64-hex keyed-hash
        # stand-in; the scan never computes a hash).
        cursor.execute(
            "INSERT INTO sensing_accesscard (person_id, card_hash, card_last4, issued_at, "
            "is_active) SELECT p.id, md5('bench-a' || p.id) || md5('bench-b' || p.id), "
            "right(p.id::text, 4), now() - interval '400 days', true FROM registry_person p "
            "WHERE NOT EXISTS (SELECT 1 FROM sensing_accesscard c WHERE c.person_id = p.id) "
            "AND (p.id %% %s = 0 OR (p.id * 7919) %% 100 < %s)",
            [tagged_mod, round(CARD_SHARE * 100)],
        )
        cards = cursor.rowcount
        cursor.execute("SELECT count(*) FROM sensing_accesscard")
        all_cards = int(cursor.fetchone()[0])
        per_card = max(1, -(-passes // all_cards))
        # Passes over the last 30 days; a tagged elder's whose id / tagged_mod is divisible by
        # ABSENT_MODULO, only more than three days back.
        cursor.execute(
            "INSERT INTO sensing_event (device_id, event_id, kind, occurred_at, received_at, "
            '"values", state, source_format, person_card_hash) '
            "SELECT (%s::bigint[])[1 + c.id %% %s], 'bench-' || c.id || '-' || g, "
            "'card_pass', t.at, t.at, '{\"direction\": \"in\"}'::jsonb, '', 'native', "
            "c.card_hash FROM sensing_accesscard c CROSS JOIN generate_series(1, %s) g "
            "CROSS JOIN LATERAL (SELECT now() - make_interval(secs => CASE "
            "WHEN c.person_id %% %s = 0 AND (c.person_id / %s) %% %s = 0 "
            "THEN 3 * 86400 + random() * 27 * 86400 ELSE random() * 30 * 86400 END) AS at "
            "WHERE g > 0) t LIMIT %s",
            [gates, len(gates), per_card, tagged_mod, tagged_mod, ABSENT_MODULO, passes],
        )
        written = cursor.rowcount
    _settle(connection, "VACUUM ANALYZE")
    return {"tagged": tagged, "cards": cards, "passes": written}


def _timed_ms(call: Any, runs: int = RUNS) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def task_absence_scan(
    *, people: int = MILLION, passes: int = PASSES, profile: str = "maqiao"
) -> dict[str, Any]:
    """Build the town (``profile`` + generated people up to ``people``, ``passes`` gate passes)
    into the empty PostgreSQL database of ``DATABASE_URL`` and time the whole town's absence
    list. Returns the figures, with an ``entry`` in the style of ``gridgov bench``."""
    _setup_django()
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from gridgov.accounts.models import User
    from gridgov.demo.services import demo_town_generate
    from gridgov.sensing.access import people_not_passed_since
    from gridgov.sensing.selectors_access import absence_list_for_actor, absence_page_for_actor

    if connection.vendor != "postgresql":
        raise RuntimeError("the absence benchmark needs PostgreSQL (DATABASE_URL)")
    started = time.perf_counter()
    demo_town_generate(profile=profile)
    total_people = _fill_people(people)
    written = _tags_cards_passes(passes)
    fill_seconds = time.perf_counter() - started
    operator = User.objects.get(username="operator")
    since = timezone.now() - timedelta(days=3)
    listed: list[Any] = []

    def first_page() -> None:
        listed[:] = [absence_page_for_actor(actor=operator, days=3)]

    first_page()  # warm-up: the first run pays for cold caches and query planning
    page_ms = _timed_ms(first_page)
    scan_ms = _timed_ms(lambda: people_not_passed_since(tag_code="elderly-alone", since=since))
    # Every row presented, as the Excel export does.
    full_ms = _timed_ms(lambda: absence_list_for_actor(actor=operator, days=3), runs=3)

    def bare_count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sensing_accesscard")
            cursor.fetchone()

    baseline_ms = _timed_ms(bare_count)
    median_ms = statistics.median(page_ms)
    absent = listed[0].total
    return {
        "people": total_people,
        **written,
        "absent": absent,
        "fill_seconds": round(fill_seconds, 1),
        "page_ms": [round(value, 1) for value in page_ms],
        "scan_ms": [round(value, 1) for value in scan_ms],
        "full_list_ms": [round(value, 1) for value in full_ms],
        "entry": _entry(
            median_ms,
            "ms (median)",
            "< 5,000 ms",
            statistics.median(baseline_ms),
            scan_median=round(statistics.median(scan_ms), 1),
            full_list_median=round(statistics.median(full_ms), 1),
            people=total_people,
            passes=written["passes"],
            absent=absent,
        ),
    }


if __name__ == "__main__":
    arguments = [int(value) for value in sys.argv[1:3]]
    figures = task_absence_scan(
        people=arguments[0] if arguments else MILLION,
        passes=arguments[1] if len(arguments) > 1 else PASSES,
    )
    print(json.dumps(figures))  # noqa: T201 - the result for the calling process
