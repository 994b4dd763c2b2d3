"""The demo town's elevator programme and consultations (加装电梯, 征询).

* An elevator programme across the town's multi-storey doorways (six floors, no lift) with the
  shape of the seed's Hongqiao funnel — 1,406 doorways consulted, 284 signed, 134 started,
  72 in use — scaled to the town's doorway count, each stage on a plausible date.
* A closed consultation across up to 19 estates like Xinzhuang's, in which one estate fails.
* An open consultation of the demo resident's estate, half answered, so that the resident can
  answer from a phone and staff can send reminders.

Rows are bulk-inserted (COPY on PostgreSQL); everything follows from the seed and today.
"""

from __future__ import annotations

import datetime
import math
import random
from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from gridgov.demo.bulkload import insert_rows
from gridgov.participation.models import (
    Consultation,
    ConsultationAnswer,
    ConsultationScope,
    Project,
    ProjectStage,
)
from gridgov.participation.services.projects import elevator_template_install
from gridgov.registry.models import Estate, Household, Ownership, PersonAccount, Unit

# The seed's funnel over the doorways consulted (the second stage is ours: between the
# doorways surveyed and those that signed, about three in ten pass their consultation, and
# about seven in ten of those started are finished).
SEED_FUNNEL = (1406, 422, 284, 134, 95, 72)
XINZHUANG_ESTATES = 19
MULTI_STOREY_FLOORS = 7
# Days from one stage to the next: (least, most).
STAGE_GAPS = ((0, 0), (30, 120), (60, 240), (60, 200), (90, 180), (14, 60))


def _funnel_counts(doorways: int) -> list[int]:
    """The seed's funnel scaled to ``doorways`` (rounded half up, never increasing); a small
    town still shows one doorway at every stage."""
    total = SEED_FUNNEL[0]
    counts = [max((doorways * n * 2 + total) // (2 * total), 1) for n in SEED_FUNNEL]
    counts = [min(count, doorways) for count in counts]
    for index in range(1, len(counts)):
        counts[index] = min(counts[index], counts[index - 1])
    return counts


def _stage_dates(rng: random.Random, reached: int, today: datetime.date) -> list[datetime.date]:
    """Dates of the first ``reached`` stages, in order, the last one no later than today."""
    gaps = [rng.randint(*STAGE_GAPS[i]) for i in range(reached)]
    span = sum(gaps)
    start = today - datetime.timedelta(days=span + rng.randint(5, 200))
    dates: list[datetime.date] = []
    day = start
    for gap in gaps:
        day += datetime.timedelta(days=gap)
        dates.append(min(day, today))
    return dates


def _resident_person(resident_id: int | None) -> int | None:
    if resident_id is None:
        return None
    return (
        PersonAccount.objects.filter(user_id=resident_id)
        .values_list("person_id", flat=True)
        .first()
    )


def _candidate_doorways(resident_person: int | None) -> list[tuple[int, int, int, int, str]]:
    """(unit, building, estate, cell, label) of the multi-storey doorways, the demo
    resident's own doorway always among them."""
    own_units: set[int] = set()
    if resident_person is not None:
        own_units = set(
            Ownership.objects.filter(
                owner_id=resident_person, ended_on__isnull=True, dwelling__unit__isnull=False
            ).values_list("dwelling__unit_id", flat=True)
        )
    rows = (
        Unit.objects.filter(
            Q(building__floors__lte=MULTI_STOREY_FLOORS)
            | Q(building__floors__isnull=True)
            | Q(pk__in=own_units)
        )
        .order_by("building__estate__code", "building__sort_order", "sort_order", "id")
        .values_list(
            "id",
            "building_id",
            "building__estate_id",
            "building__cell_id",
            "building__estate__name",
            "building__label",
            "label",
        )
    )
    return [
        (unit, building, estate, cell, f"{estate_name}{building_label}{label}")
        for unit, building, estate, cell, estate_name, building_label, label in rows
    ]


def demo_elevator_programme_write(
    *, seed: int, resident_id: int | None, progress: Any, today: datetime.date
) -> int:
    """Write the programme; returns the number of projects."""
    rng = random.Random(f"{seed}:elevators")
    template = elevator_template_install()
    stages = list(template.stages.order_by("order"))
    resident_person = _resident_person(resident_id)
    doorways = _candidate_doorways(resident_person)
    if not doorways:
        return 0
    counts = _funnel_counts(len(doorways))
    # How far each doorway got: the first counts[-1] reached every stage, and so on.
    order = list(range(len(doorways)))
    rng.shuffle(order)
    furthest = [0] * len(doorways)
    for stage_index, count in enumerate(counts):
        for position in order[:count]:
            furthest[position] = stage_index + 1
    now = timezone.now()
    insert_rows(
        Project,
        [
            "template",
            "title",
            "estate",
            "building",
            "unit",
            "cell",
            "status",
            "stage_order",
            "created_at",
        ],
        [
            (
                template.pk,
                f"{label}{template.name}",
                estate,
                building,
                unit,
                cell,
                Project.Status.COMPLETED if furthest[i] == len(stages) else Project.Status.ACTIVE,
                furthest[i] or None,
                now,
            )
            for i, (unit, building, estate, cell, label) in enumerate(doorways)
        ],
        progress,
        "projects",
    )
    project_ids = dict(Project.objects.filter(template=template).values_list("unit_id", "id"))
    stage_rows = []
    for i, (unit, _building, _estate, _cell, _label) in enumerate(doorways):
        dates = _stage_dates(rng, furthest[i], today)
        for stage in stages:
            reached = dates[stage.order - 1] if stage.order <= len(dates) else None
            stage_rows.append(
                (
                    project_ids[unit],
                    stage.order,
                    stage.code,
                    stage.name,
                    stage.is_optional,
                    reached,
                    "",
                )
            )
    insert_rows(
        ProjectStage,
        ["project", "order", "code", "name", "is_optional", "reached_on", "note"],
        stage_rows,
        progress,
        "projects",
    )
    return len(doorways)


def _households_by_estate(estate_ids: list[int]) -> dict[int, list[int]]:
    by_estate: dict[int, list[int]] = defaultdict(list)
    rows = (
        Household.objects.filter(dwelling__building__estate_id__in=estate_ids)
        .order_by("id")
        .values_list("dwelling__building__estate_id", "id")
    )
    for estate_id, household_id in rows:
        by_estate[estate_id].append(household_id)
    return by_estate


def _common_cell_id(estates: list[Estate]) -> int:
    """The deepest area holding every estate (the shared prefix of their cell codes)."""
    from gridgov.grids.models import Cell

    codes = [estate.cell.code for estate in estates]
    prefix = codes[0]
    for code in codes[1:]:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    cell = (
        Cell.objects.filter(code__in=[prefix[:n] for n in range(len(prefix), 0, -1)])
        .order_by("-depth")
        .first()
    )
    return cell.pk if cell else estates[0].cell_id


def demo_multi_estate_consultation_write(
    *, seed: int, progress: Any, now: datetime.datetime
) -> int:
    """The closed consultation across up to 19 estates; one estate fails. Returns answers."""
    rng = random.Random(f"{seed}:consultation")
    estates = list(
        Estate.objects.filter(kind=Estate.Kind.ESTATE).select_related("cell").order_by("code")
    )[:XINZHUANG_ESTATES]
    households = _households_by_estate([estate.pk for estate in estates])
    estates = [estate for estate in estates if households.get(estate.pk)]
    if len(estates) < 2:
        return 0
    closes = now - datetime.timedelta(days=45)
    consultation = Consultation.objects.create(
        title="老旧小区综合改造意向征询",
        question="是否同意本小区纳入老旧小区综合改造（屋面、管线、外立面与加装电梯预留）?",
        audience=Consultation.Audience.HOUSEHOLDS,
        basis=Consultation.Basis.ELIGIBLE,
        pass_numerator=2,
        pass_denominator=3,
        opens_at=closes - datetime.timedelta(days=30),
        closes_at=closes,
        status=Consultation.Status.CLOSED,
        closed_at=closes,
        cell_id=_common_cell_id(estates),
    )
    ConsultationScope.objects.bulk_create(
        ConsultationScope(consultation=consultation, estate=estate) for estate in estates
    )
    failing = rng.randrange(len(estates))
    rows = []
    for index, estate in enumerate(estates):
        members = households[estate.pk]
        eligible = len(members)
        answered = rng.sample(members, max(1, math.ceil(eligible * 0.9)))
        in_favour = math.floor(eligible * 0.5) if index == failing else math.ceil(eligible * 0.78)
        in_favour = min(in_favour, len(answered))
        for position, household_id in enumerate(answered):
            at = consultation.opens_at + datetime.timedelta(
                minutes=rng.randint(60, 30 * 24 * 60 - 60)
            )
            rows.append(
                (
                    consultation.pk,
                    household_id,
                    "yes" if position < in_favour else "no",
                    "online" if rng.random() < 0.55 else "door_to_door",
                    at,
                )
            )
    insert_rows(
        ConsultationAnswer,
        ["consultation", "household", "choice", "channel", "answered_at"],
        rows,
        progress,
        "projects",
    )
    return len(rows)


def demo_open_consultation_write(
    *, seed: int, resident_id: int | None, progress: Any, now: datetime.datetime
) -> int:
    """An open owners' consultation of the demo resident's estate, about half answered."""
    rng = random.Random(f"{seed}:open-consultation")
    person = _resident_person(resident_id)
    estate_id = None
    if person is not None:
        estate_id = (
            Ownership.objects.filter(owner_id=person, ended_on__isnull=True)
            .values_list("dwelling__building__estate_id", flat=True)
            .first()
        )
    estate = (
        Estate.objects.filter(pk=estate_id).select_related("cell").first()
        if estate_id
        else Estate.objects.filter(kind=Estate.Kind.ESTATE).select_related("cell").first()
    )
    if estate is None:
        return 0
    consultation = Consultation.objects.create(
        title=f"{estate.name}加装电梯意向征询",
        question="本小区拟分批推进多层住宅加装电梯，您是否同意所在门洞加装电梯?",
        audience=Consultation.Audience.OWNERS,
        basis=Consultation.Basis.ELIGIBLE,
        pass_numerator=2,
        pass_denominator=3,
        opens_at=now - datetime.timedelta(days=5),
        closes_at=now + datetime.timedelta(days=10),
        cell_id=estate.cell_id,
    )
    ConsultationScope.objects.create(consultation=consultation, estate=estate)
    owners = sorted(
        set(
            Ownership.objects.filter(
                dwelling__building__estate=estate, ended_on__isnull=True, owner__isnull=False
            )
            .exclude(owner_id=person)
            .values_list("owner_id", flat=True)
        )
    )
    answered = rng.sample(owners, len(owners) // 2)
    rows = [
        (
            consultation.pk,
            owner_id,
            "yes" if rng.random() < 0.8 else "no",
            "online",
            now - datetime.timedelta(minutes=rng.randint(10, 5 * 24 * 60)),
        )
        for owner_id in answered
    ]
    insert_rows(
        ConsultationAnswer,
        ["consultation", "owner", "choice", "channel", "answered_at"],
        rows,
        progress,
        "projects",
    )
    return len(rows)


def demo_projects_step(context: Any) -> int:
    """The generation step (after housing and votes): the programme and the consultations;
    returns the number of projects."""
    now = timezone.now()
    resident_id = context.user_ids.get("resident")
    projects = demo_elevator_programme_write(
        seed=context.seed,
        resident_id=resident_id,
        progress=context.progress,
        today=timezone.localdate(),
    )
    answers = demo_multi_estate_consultation_write(
        seed=context.seed, progress=context.progress, now=now
    )
    answers += demo_open_consultation_write(
        seed=context.seed, resident_id=resident_id, progress=context.progress, now=now
    )
    context.counts["consultation_answers"] = answers
    return projects
