"""A year of cases (工单) for the demo town, so that queues and statistics show a living town.

``cases_history_write`` installs the default catalogue, then writes about a year of cases over
every channel and category: reported at plausible hours, accepted by the operations centre
within minutes, dispatched to the department (or the estate's property company), worked on
and resolved within the category's deadline on the official working-day calendar — a few late,
some whistled (吹哨报到) or escalated, some reopened after a poor rating, most rated 4–5, the
unrated ones closed automatically after the waiting days, and the last days' cases still open.

Rows are written in bulk (``insert_rows``: COPY on PostgreSQL), but each is what the services
would have written for the same steps: the same statuses and flags, the deadlines of
``cases.services.deadlines`` (the working-day rule of ``core.workdays``, computed here from one
read of the calendar), and one timeline entry per step. Everything follows from the seed and
today's date.
"""

from __future__ import annotations

import bisect
import datetime
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Role
from gridgov.cases.models import (
    Case,
    CaseEvent,
    Category,
    Channel,
    DeadlineUnit,
    Status,
    Whistle,
    WhistleSummons,
)
from gridgov.core.workdays import working_days_between
from gridgov.demo import people
from gridgov.demo.bulkload import bulk_load, insert_rows
from gridgov.demo.protect import protect_phones
from gridgov.grids.models import Cell, LevelKind
from gridgov.registry.models import Building

Progress = Callable[[str, int, int], None]
Action = CaseEvent.Action

CASES_PER_PROFILE: dict[str, int] = {"maqiao": 12_000, "sanjiang": 12_000, "small": 600}
HISTORY_DAYS = 365
REMIND_BEFORE = datetime.timedelta(hours=4)

# Departments the catalogue needs beyond the town's standing ones (names.DEPARTMENTS),
# and the categories they take over in the demo town.
CATEGORY_DEPARTMENTS: dict[str, str] = {
    "road-damage": "dept-construction",
    "street-light": "dept-construction",
    "greenery-damage": "dept-greenery",
    "elderly-care": "dept-civil-affairs",
    "consultation": "dept-civil-affairs",
}

CHANNEL_WEIGHTS: tuple[tuple[str, int], ...] = (
    (Channel.HOTLINE, 34),
    (Channel.RESIDENT, 27),
    (Channel.VISIT, 27),
    (Channel.SYSTEM, 4),
    (Channel.OPEN311, 4),
    (Channel.STAFF, 4),
)
SYSTEM_CATEGORIES = ("smoke-alarm", "fire-hazard", "work-safety")
CATEGORY_WEIGHTS: dict[str, int] = {
    "refuse": 14, "illegal-parking": 10, "noise": 8, "street-vending": 7, "property-facility": 7,
    "property-leak": 5, "property-refuse": 6, "property-service": 6, "road-damage": 5,
    "street-light": 5, "group-rental": 4, "consultation": 5, "elderly-care": 3,
    "illegal-construction": 3, "greenery-damage": 3, "public-order": 3, "fire-hazard": 2,
    "housing-repair": 2, "food-safety": 2, "water-pollution": 2, "manhole-cover": 1,
    "work-safety": 1, "smoke-alarm": 1,
}  # fmt: skip
# Hour of day a report comes in (hotline and residents: daytime and evening peaks).
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 11, 9, 7, 9, 10, 10, 9, 8, 8, 7, 6, 4, 3, 2)
RATINGS = ((5, 62), (4, 25), (3, 7), (2, 3), (1, 3))

LATE_ACCEPT_SHARE = 0.015
LATE_RESOLVE_SHARE = 0.02
WHISTLE_SHARE = 0.012
ESCALATE_SHARE = 0.01
REOPEN_SHARE = 0.02
RATED_SHARE = 0.78
SUSPEND_SHARE = 0.01

_PHRASES: dict[str, tuple[str, ...]] = {
    "construction": ("{place}门口的路面坑洼，下雨积水，老人走路容易摔。", "{place}附近路灯晚上不亮，好几天了。"),
    "cityscape": ("{place}旁边有人占道摆摊，堵住了人行道。", "{place}有人在绿地上私搭乱建。"),
    "housing": ("{place}有一户疑似群租，进出人员很多。", "{place}公房楼道墙皮脱落，需要维修。"),
    "property": ("{place}电梯经常停，物业一直没来修。", "{place}顶楼漏水，墙面发霉。", "{place}垃圾桶满了没人清运。"),
    "safety": ("{place}楼道里堆放杂物，堵塞消防通道。", "{place}夜里有人聚集喧哗，影响治安。"),
    "sanitation": ("{place}路边垃圾堆了好几天，气味很大。", "{place}夜里施工噪声很大，影响休息。"),
    "livelihood": ("{place}独居老人想咨询助餐服务。", "想咨询一下{place}附近办理居住证的政策。"),
}  # fmt: skip


@dataclass(frozen=True)
class _Category:
    id: int
    code: str
    name: str
    group: str
    department_id: int | None
    is_property: bool
    accept: tuple[int, str]
    resolve: tuple[int, str]
    attributes: dict[str, Any]


@dataclass(frozen=True)
class _Place:
    cell_id: int
    cell_name: str
    lat: float | None
    lng: float | None
    address: str
    estate_id: int | None = None
    building_id: int | None = None
    property_company_id: int | None = None


@dataclass
class _Town:
    categories: list[_Category]
    weights: list[int]
    buildings: list[_Place]
    streets: list[_Place]
    parents: dict[int, int | None]
    handlers: dict[int, list[tuple[int, str]]]  # organisation → (user id, label)
    operators: list[tuple[int, str]]
    workers: dict[int, list[tuple[int, str]]]  # cell → grid workers there or above
    resident: tuple[int, str, int] | None  # (user id, label, cell id)
    departments: list[int]


@dataclass
class _Written:
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    whistles: list[tuple[Any, ...]] = field(default_factory=list)
    summonses: list[tuple[Any, ...]] = field(default_factory=list)


class WorkingCalendar:
    """``core.workdays.add_working_days`` over a calendar read once (one query)."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        self.first, self.last = first, last
        self.days = working_days_between(first, last)
        self.tz = timezone.get_current_timezone()
        self._set = set(self.days)

    def is_working(self, day: datetime.date) -> bool:
        return day in self._set

    def add(self, start: datetime.datetime, days: int) -> datetime.datetime:
        local = start.astimezone(self.tz)
        day, clock = local.date(), local.time()
        if not self.is_working(day):
            clock = datetime.time(0, 0)
        index = bisect.bisect_left(self.days, day)  # first working day ≥ day
        target = self.days[index + days]
        return datetime.datetime.combine(target, clock, tzinfo=self.tz)

    def due(self, start: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
        if unit == DeadlineUnit.WORKING_DAYS:
            return self.add(start, amount)
        return start + datetime.timedelta(hours=amount)


def _load_town(context_org_ids: dict[str, int]) -> _Town:
    groups = dict(Category.objects.filter(parent__isnull=True).values_list("id", "code"))
    leaves = [
        _Category(
            id=c.pk, code=c.code, name=c.name, group=groups.get(c.parent_id or 0, c.code),
            department_id=c.department_id, is_property=c.is_property_matter,
            accept=(c.accept_within, c.accept_unit), resolve=(c.resolve_within, c.resolve_unit),
            attributes=_answers(c.attributes or []),
        )
        for c in Category.objects.filter(is_active=True, children__isnull=True).order_by("id")
    ]  # fmt: skip
    cells = {
        row["id"]: row
        for row in Cell.objects.values(
            "id", "name", "parent_id", "level", "centroid_lat", "centroid_lng"
        )
    }
    buildings = [
        _Place(
            cell_id=b.cell_id, cell_name=cells[b.cell_id]["name"], lat=b.lat, lng=b.lng,
            address=b.address or f"{b.estate.name}{b.label}", estate_id=b.estate_id,
            building_id=b.pk, property_company_id=b.estate.property_company_id,
        )
        for b in Building.objects.select_related("estate").order_by("id")
    ]  # fmt: skip
    leaf_levels = {LevelKind.MICRO_GRID, LevelKind.GRID}
    with_children = {row["parent_id"] for row in cells.values()}
    streets = [
        _Place(
            cell_id=pk, cell_name=row["name"], lat=row["centroid_lat"], lng=row["centroid_lng"],
            address=row["name"],
        )
        for pk, row in sorted(cells.items())
        if row["level"] in leaf_levels and pk not in with_children
    ]  # fmt: skip
    users = dict(User.objects.values_list("id", "display_name"))
    handlers: dict[int, list[tuple[int, str]]] = {}
    operators: list[tuple[int, str]] = []
    workers: dict[int, list[tuple[int, str]]] = {}
    resident = None
    for user_id, role, cell_id, org_id, username in Membership.objects.order_by("id").values_list(
        "user_id", "role", "cell_id", "organization_id", "user__username"
    ):
        label = users.get(user_id) or username
        if role in (Role.DEPARTMENT_HANDLER, Role.PROPERTY_STAFF) and org_id:
            handlers.setdefault(org_id, []).append((user_id, label))
        elif role == Role.OPERATOR:
            operators.append((user_id, label))
        elif role == Role.GRID_WORKER:
            workers.setdefault(cell_id, []).append((user_id, label))
        elif role == Role.RESIDENT and username == "resident":
            resident = (user_id, label, cell_id)
    parents: dict[int, int | None] = {pk: row["parent_id"] for pk, row in cells.items()}
    for pk in cells:  # a cell's worker is the nearest one at or above it
        ancestor: int | None = pk
        while ancestor is not None and ancestor not in workers:
            ancestor = parents.get(ancestor)
        if ancestor is not None and pk not in workers:
            workers[pk] = workers[ancestor]
    departments = sorted(
        Organization.objects.filter(kind=Organization.Kind.DEPARTMENT).values_list("id", flat=True)
    )
    return _Town(
        categories=leaves,
        weights=[CATEGORY_WEIGHTS.get(c.code, 2) for c in leaves],
        buildings=buildings,
        streets=streets,
        parents=parents,
        handlers=handlers,
        operators=operators or [(0, "")],
        workers=workers,
        resident=resident,
        departments=departments,
    )


def _datetime_adapter() -> Callable[[datetime.datetime | None], Any]:
    """Aware datetimes in the database's own form (SQLite: naive UTC text, as Django writes)."""
    if connection.vendor != "sqlite":
        return lambda moment: moment
    utc = datetime.UTC

    seen: dict[datetime.datetime, str] = {}

    def adapt(moment: datetime.datetime | None) -> str | None:
        if moment is None:
            return None
        text = seen.get(moment)
        if text is None:
            text = seen[moment] = str(moment.astimezone(utc).replace(tzinfo=None))
        return text

    return adapt


def _answers(attributes: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Answers to a category's required questions (the first allowed value)."""
    answers: dict[str, Any] = {}
    for attribute in attributes:
        if not attribute.get("required"):
            continue
        values = attribute.get("values") or []
        if values:
            first = values[0].get("key")
            answers[attribute["code"]] = (
                [first] if attribute.get("datatype") == "multivaluelist" else first
            )
        elif attribute.get("datatype") == "number":
            answers[attribute["code"]] = 1
        else:
            answers[attribute["code"]] = "—"
    return answers


class _HistoryWriter:
    def __init__(self, town: _Town, seed: int, count: int, now: datetime.datetime) -> None:
        self.town = town
        self.rng = random.Random(f"cases:{seed}")
        self.count = count
        self.now = now
        self.today = timezone.localdate(now)
        first = self.today - datetime.timedelta(days=HISTORY_DAYS + 1)
        self.calendar = WorkingCalendar(first, self.today + datetime.timedelta(days=120))
        self.case_base = int(Case.objects.aggregate(top=Max("id"))["top"] or 0)
        self.event_base = int(CaseEvent.objects.aggregate(top=Max("id"))["top"] or 0)
        self.whistle_base = int(Whistle.objects.aggregate(top=Max("id"))["top"] or 0)
        self.autoclose = datetime.timedelta(
            days=int(getattr(settings, "GRIDGOV_CASE_AUTOCLOSE_DAYS", 7))
        )
        self.written = _Written()
        self.sequence: dict[datetime.date, int] = {}
        self.adapt = _datetime_adapter()
        self.tz = timezone.get_current_timezone()
        self.token_field = Case._meta.get_field("token")
        self.channels = [c for c, _w in CHANNEL_WEIGHTS]
        self.channel_weights = [w for _c, w in CHANNEL_WEIGHTS]
        self.by_code = {c.code: c for c in town.categories}

    # --- one case ------------------------------------------------------------------------

    def _moment(self, rng: random.Random) -> datetime.datetime:
        # More reports on working days; none on today's date (its numbers belong to the intake).
        while True:
            day = self.today - datetime.timedelta(days=rng.randint(1, HISTORY_DAYS))
            if self.calendar.is_working(day) or rng.random() < 0.55:
                break
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
        seconds = int(rng.random() * 3600)
        clock = datetime.time(hour, seconds // 60, seconds % 60)
        return datetime.datetime.combine(day, clock, tzinfo=self.tz)

    def _category(self, rng: random.Random, channel: str) -> _Category:
        if channel == Channel.SYSTEM:
            codes = [c for c in SYSTEM_CATEGORIES if c in self.by_code]
            if codes:
                return self.by_code[rng.choice(codes)]
        while True:
            category = rng.choices(self.town.categories, self.town.weights)[0]
            if category.code not in SYSTEM_CATEGORIES[:1] or channel == Channel.SYSTEM:
                return category

    def _place(self, rng: random.Random, category: _Category, channel: str) -> _Place:
        resident = self.town.resident
        if channel == Channel.RESIDENT and resident and rng.random() < 0.04:
            inside = [b for b in self.town.buildings if b.cell_id == resident[2]]
            if inside:
                return rng.choice(inside)
        use_building = category.is_property or channel == Channel.VISIT or rng.random() < 0.6
        if use_building and self.town.buildings:
            return rng.choice(self.town.buildings)
        return rng.choice(self.town.streets)

    def _number(self, created: datetime.datetime) -> str:
        day = created.astimezone(self.tz).date()
        self.sequence[day] = self.sequence.get(day, 0) + 1
        return f"{day:%Y%m%d}{self.sequence[day]:06d}"

    def _working_time(
        self, rng: random.Random, start: datetime.datetime, due: datetime.datetime
    ) -> datetime.datetime:
        """A time during office hours on a working day between ``start`` and ``due``, early on
        more often than late."""
        first, last = start.astimezone(self.tz).date(), due.astimezone(self.tz).date()
        all_days = self.calendar.days
        low, high = bisect.bisect_left(all_days, first), bisect.bisect_right(all_days, last)
        day = all_days[low + int((high - low) * rng.random() ** 2)] if high > low else first
        minutes = 510 + int(rng.random() * 540)
        moment = datetime.datetime.combine(
            day, datetime.time(minutes // 60, minutes % 60), tzinfo=self.tz
        )
        if moment <= start:
            moment = start + datetime.timedelta(minutes=rng.randint(20, 150))
        if moment >= due:
            moment = due - datetime.timedelta(minutes=rng.randint(5, 60))
        return max(moment, start + datetime.timedelta(minutes=5))

    def case(self, index: int, created: datetime.datetime) -> None:
        rng = self.rng
        town = self.town
        case_id = self.case_base + index + 1
        channel = rng.choices(self.channels, self.channel_weights)[0]
        category = self._category(rng, channel)
        place = self._place(rng, category, channel)
        accept_due = self.calendar.due(created, *category.accept)
        resolve_due = self.calendar.due(created, *category.resolve)
        company = place.property_company_id if category.is_property else None
        department = category.department_id
        organisation = company or department
        handler = rng.choice(town.handlers.get(organisation or 0) or town.operators)
        operator = rng.choice(town.operators)
        events: list[tuple[Any, ...]] = []
        state: dict[str, Any] = {
            "status": Status.NEW, "accepted_at": None, "resolved_at": None, "closed_at": None,
            "accepted_late": False, "resolved_late": False, "is_overdue": False,
            "overdue_at": None, "rating": None, "rated_at": None, "rating_comment": "",
            "reopen_count": 0, "escalation_count": 0, "is_whistled": False, "version": 0,
            "handling_cell": place.cell_id, "assignee": None, "resolve_reminded_at": None,
            "suspended_until": None, "status_before_suspension": "", "resolve_due": resolve_due,
        }  # fmt: skip

        def step(at: datetime.datetime, who: tuple[int, str] | None, action: str, to: str = "",
                 note: str = "", data: dict[str, Any] | None = None) -> None:  # fmt: skip
            from_status = state["status"] if to else ""
            events.append((case_id, at, who[0] if who and who[0] else None, who[1] if who else "",
                           action, from_status, to, note, data or {}))  # fmt: skip
            if to:
                state["status"] = to
            if (to and action != Action.CREATED) or action == Action.ESCALATED:
                state["version"] += 1  # every guarded update of the services bumps it

        reporter, reporter_name, phone = self._reporter(rng, channel, place)
        creator = self._creator(rng, channel, place, reporter)
        step(created, creator, Action.CREATED, Status.NEW, data={"channel": channel})
        age = self.now - created
        stop = self._stop_point(rng, age)
        # accept (受理) by the operations centre
        late_accept = rng.random() < LATE_ACCEPT_SHARE
        accepted = (accept_due + datetime.timedelta(minutes=rng.randint(10, 180)) if late_accept
                    else created + (accept_due - created) * (0.05 + 0.6 * rng.random()))  # fmt: skip
        if stop == "new" or accepted >= self.now:
            self._flag_overdue(state, events, step, accept_due, resolve_due)
            return self._finish(case_id, index, channel, category, place, created, accept_due,
                                department, company, reporter, reporter_name, phone, state, events)  # fmt: skip
        step(accepted, operator, Action.ACCEPTED, Status.ACCEPTED)
        state["accepted_at"], state["accepted_late"] = accepted, accepted > accept_due
        dispatched = accepted + datetime.timedelta(minutes=rng.randint(2, 40))
        step(dispatched, operator, Action.DISPATCHED, Status.DISPATCHED,
             data={"department": organisation})  # fmt: skip
        state["assignee"] = handler[0] or None
        if rng.random() < ESCALATE_SHARE and town.parents.get(place.cell_id):
            parent = town.parents[place.cell_id]
            step(dispatched + datetime.timedelta(minutes=30), handler, Action.ESCALATED,
                 note="本级难以解决，提请上级协调。", data={"to_cell": parent})  # fmt: skip
            state["handling_cell"], state["escalation_count"] = parent, 1
        if rng.random() < WHISTLE_SHARE and len(town.departments) > 2:
            self._whistle(rng, case_id, dispatched, operator, department, step, state)
        if stop == "dispatched" or dispatched >= self.now:
            self._flag_overdue(state, events, step, accept_due, resolve_due)
            return self._finish(case_id, index, channel, category, place, created, accept_due,
                                department, company, reporter, reporter_name, phone, state, events)  # fmt: skip
        started = self._start_time(rng, dispatched, resolve_due, category)
        step(started, handler, Action.STARTED, Status.IN_PROGRESS)
        if stop == "suspended":
            until = started + datetime.timedelta(days=rng.randint(3, 10))
            step(started + datetime.timedelta(hours=2), handler, Action.SUSPENDED, Status.SUSPENDED,
                 note="等待产权单位确认维修方案。", data={"until": until.isoformat()})  # fmt: skip
            state["suspended_until"], state["status_before_suspension"] = until, Status.IN_PROGRESS
            return self._finish(case_id, index, channel, category, place, created, accept_due,
                                department, company, reporter, reporter_name, phone, state, events)  # fmt: skip
        late = rng.random() < LATE_RESOLVE_SHARE
        resolved = (resolve_due + datetime.timedelta(hours=rng.randint(2, 60)) if late
                    else self._resolve_time(rng, started, resolve_due, category))  # fmt: skip
        self._remind(state, events, step, started, resolved)
        if stop == "in_progress" or resolved >= self.now:
            self._flag_overdue(state, events, step, accept_due, resolve_due)
            return self._finish(case_id, index, channel, category, place, created, accept_due,
                                department, company, reporter, reporter_name, phone, state, events)  # fmt: skip
        if resolved > resolve_due:
            step(resolve_due, None, Action.OVERDUE, data={"deadline": "resolve"})
        step(
            resolved,
            handler,
            Action.RESOLVED,
            Status.RESOLVED,
            note="已到现场处置完毕，现场照片已上传。",
        )
        state["resolved_at"], state["resolved_late"] = resolved, resolved > state["resolve_due"]
        if rng.random() < REOPEN_SHARE and resolved + datetime.timedelta(days=4) < self.now:
            self._reopen(rng, state, step, resolved, handler, category)
        self._rate_or_close(rng, state, step, reporter, reporter_name)
        return self._finish(case_id, index, channel, category, place, created, accept_due,
                            department, company, reporter, reporter_name, phone, state, events)  # fmt: skip

    def _stop_point(self, rng: random.Random, age: datetime.timedelta) -> str:
        """Where a recent case still stands today (older cases have run their course)."""
        days = age.total_seconds() / 86400
        if days > 14:
            return ""
        if days < 1 and rng.random() < 0.25:
            return "new"
        roll = rng.random()
        open_share = 0.7 if days < 2 else 0.35 if days < 6 else 0.08
        if roll < open_share * 0.3:
            return "dispatched"
        if roll < open_share:
            return "in_progress"
        if roll < open_share + SUSPEND_SHARE * 3:
            return "suspended"
        return ""

    def _reporter(
        self, rng: random.Random, channel: str, place: _Place
    ) -> tuple[tuple[int, str] | None, str, str]:
        resident = self.town.resident
        if channel == Channel.RESIDENT and resident and place.cell_id == resident[2]:
            return (resident[0], resident[1]), resident[1], ""
        if channel in (Channel.RESIDENT, Channel.HOTLINE, Channel.OPEN311):
            sex = "M" if rng.random() < 0.5 else "F"
            return None, people.resident_name(rng, sex), people.mobile_number(rng)
        return None, "", ""

    def _creator(self, rng: random.Random, channel: str, place: _Place,
                 reporter: tuple[int, str] | None) -> tuple[int, str] | None:  # fmt: skip
        if channel == Channel.HOTLINE or channel == Channel.STAFF:
            return rng.choice(self.town.operators)
        if channel == Channel.VISIT:
            workers = self.town.workers.get(place.cell_id)
            return rng.choice(workers) if workers else rng.choice(self.town.operators)
        return reporter

    def _start_time(self, rng: random.Random, dispatched: datetime.datetime,
                    due: datetime.datetime, category: _Category) -> datetime.datetime:  # fmt: skip
        if due <= dispatched + datetime.timedelta(minutes=30):
            return dispatched + datetime.timedelta(minutes=rng.randint(5, 30))
        if category.resolve[1] == DeadlineUnit.HOURS:
            return dispatched + (due - dispatched) * (0.05 + 0.2 * rng.random())
        window_end = dispatched + (due - dispatched) * 0.3
        return self._working_time(rng, dispatched, window_end)

    def _resolve_time(self, rng: random.Random, started: datetime.datetime,
                      due: datetime.datetime, category: _Category) -> datetime.datetime:  # fmt: skip
        if due <= started + datetime.timedelta(minutes=30):
            return started + datetime.timedelta(minutes=rng.randint(20, 120))
        if category.resolve[1] == DeadlineUnit.HOURS:
            return started + (due - started) * (0.1 + 0.85 * rng.random() ** 1.5)
        return self._working_time(rng, started, due)

    def _remind(self, state: dict[str, Any], events: list[Any], step: Any,
                started: datetime.datetime, resolved: datetime.datetime) -> None:  # fmt: skip
        remind_at = state["resolve_due"] - REMIND_BEFORE
        if started < remind_at < resolved and remind_at < self.now:
            step(remind_at, None, Action.REMINDED, data={"deadline": "resolve"})
            state["resolve_reminded_at"] = remind_at

    def _flag_overdue(self, state: dict[str, Any], events: list[Any], step: Any,
                      accept_due: datetime.datetime, resolve_due: datetime.datetime) -> None:  # fmt: skip
        """An open case past a deadline carries the flag the deadline scan sets."""
        if state["status"] == Status.SUSPENDED:
            return
        due = accept_due if state["accepted_at"] is None else state["resolve_due"]
        if due < self.now:
            step(
                due,
                None,
                Action.OVERDUE,
                data={"deadline": "accept" if due == accept_due else "resolve"},
            )
            state["is_overdue"], state["overdue_at"] = True, due

    def _whistle(self, rng: random.Random, case_id: int, at: datetime.datetime,
                 operator: tuple[int, str], department: int | None, step: Any,
                 state: dict[str, Any]) -> None:  # fmt: skip
        called = at + datetime.timedelta(hours=1)
        others = [d for d in self.town.departments if d != department]
        summoned = sorted({*(rng.sample(others, 2)), *([department] if department else [])})
        lead = department or summoned[0]
        whistle_id = self.whistle_base + len(self.written.whistles) + 1
        report_due = called + datetime.timedelta(minutes=30)
        reason = "涉及多个部门职责，需联合处置。"
        self.written.whistles.append(
            (
                whistle_id,
                case_id,
                self.adapt(called),
                operator[0] or None,
                reason,
                lead,
                self.adapt(report_due),
            )
        )
        step(called, operator, Action.WHISTLED, note=reason,
             data={"whistle": whistle_id, "departments": summoned, "lead": lead})  # fmt: skip
        for org in summoned:
            reported = called + datetime.timedelta(minutes=rng.randint(5, 28))
            who = rng.choice(self.town.handlers.get(org) or self.town.operators)
            self.written.summonses.append(
                (whistle_id, org, self.adapt(reported), who[0] or None, "已到场。", None)
            )
            step(reported, who, Action.REPORTED_IN, data={"whistle": whistle_id, "department": org})
        state["is_whistled"] = True

    def _reopen(self, rng: random.Random, state: dict[str, Any], step: Any,
                resolved: datetime.datetime, handler: tuple[int, str], category: _Category) -> None:  # fmt: skip
        rated = resolved + datetime.timedelta(hours=rng.randint(2, 30))
        step(rated, None, Action.RATED, note="问题没有解决。", data={"rating": rng.choice((1, 2))})
        step(rated, None, Action.REOPENED, Status.DISPATCHED, note="居民不满意，重新处理。")
        state["reopen_count"] = 1
        state["resolve_due"] = self.calendar.due(rated, *category.resolve)
        started = rated + datetime.timedelta(hours=rng.randint(1, 20))
        step(started, handler, Action.STARTED, Status.IN_PROGRESS)
        again = self._resolve_time(rng, started, state["resolve_due"], category)
        step(again, handler, Action.RESOLVED, Status.RESOLVED, note="已返工处理。")
        state["resolved_at"], state["resolved_late"] = again, again > state["resolve_due"]

    def _rate_or_close(self, rng: random.Random, state: dict[str, Any], step: Any,
                       reporter: tuple[int, str] | None, reporter_name: str) -> None:  # fmt: skip
        resolved = state["resolved_at"]
        rated_at = resolved + datetime.timedelta(hours=rng.randint(1, 72))
        if rng.random() < RATED_SHARE and rated_at < self.now:
            rating = rng.choices([r for r, _w in RATINGS], [w for _r, w in RATINGS])[0]
            comment = {5: "处理很及时，谢谢！", 4: "满意。", 3: "", 2: "处理慢。", 1: "不满意。"}[
                rating
            ]
            step(rated_at, reporter, Action.RATED, note=comment, data={"rating": rating})
            step(rated_at, None, Action.CLOSED, Status.CLOSED)
            state.update(
                rating=rating, rated_at=rated_at, rating_comment=comment, closed_at=rated_at
            )
            return
        if resolved + self.autoclose < self.now:
            closed = resolved + self.autoclose
            step(closed, None, Action.CLOSED, Status.CLOSED, note="逾期未评价，自动办结。")
            state["closed_at"] = closed

    def _finish(self, case_id: int, index: int, channel: str, category: _Category, place: _Place,
                created: datetime.datetime, accept_due: datetime.datetime,
                department: int | None, company: int | None, reporter: tuple[int, str] | None,
                reporter_name: str, phone: str, state: dict[str, Any], events: list[Any]) -> None:  # fmt: skip
        rng = self.rng
        words = rng.choice(
            _PHRASES.get(category.group, ("{place}：" + category.name + "，请尽快处理。",))
        )
        description = words.format(place=place.address)
        token = uuid.UUID(int=rng.getrandbits(128), version=4)
        jitter = (rng.random() - 0.5) * 0.0004
        adapt = self.adapt
        self.written.cases.append((
            case_id, self._number(created), self.token_field.get_db_prep_value(token, connection),
            channel, state["status"], category.id, f"{category.name}：{place.address}"[:200],
            description, json.dumps(category.attributes, ensure_ascii=False), place.cell_id,
            state["handling_cell"], place.address, (place.lat + jitter) if place.lat else None,
            (place.lng - jitter) if place.lng else None, place.estate_id, place.building_id,
            reporter[0] if reporter else None, reporter_name, phone, department, company,
            state["assignee"], adapt(created), adapt(accept_due), adapt(state["resolve_due"]),
            adapt(state["accepted_at"]), adapt(state["resolved_at"]), adapt(state["closed_at"]),
            adapt(state["suspended_until"]), state["status_before_suspension"],
            adapt(max(e[1] for e in events)), None, adapt(state["resolve_reminded_at"]),
            state["is_overdue"], adapt(state["overdue_at"]), state["accepted_late"],
            state["resolved_late"], state["escalation_count"], state["reopen_count"],
            state["is_whistled"], state["rating"], state["rating_comment"],
            adapt(state["rated_at"]), state["version"], "",
        ))  # fmt: skip
        self.written.events.extend(events)

    # --- everything ----------------------------------------------------------------------

    def write(self, progress: Progress) -> int:
        # Report times first, in order, so that ids and daily numbers follow the calendar.
        moments = sorted(self._moment(self.rng) for _ in range(self.count))
        for index, created in enumerate(moments):
            self.case(index, created)
        cases = self.written.cases
        # the phone numbers, encrypted in one batch; the order of numbers by report time
        phones = sorted({row[18] for row in cases if row[18]})
        protected = dict(zip(phones, protect_phones(phones), strict=True))
        blank = ("", "", "")
        rows = []
        for row in cases:
            p = protected.get(row[18])
            phone = (p.encrypted, p.prefix, p.last4) if p else blank
            rows.append((*row[:18], *phone, *row[19:]))
        events = sorted(self.written.events, key=lambda e: (e[1], e[0]))
        event_rows = [
            (self.event_base + n, case_id, self.adapt(at), actor, label, action, from_s, to_s,
             note, json.dumps(data, ensure_ascii=False, default=str) if data else "{}")
            for n, (case_id, at, actor, label, action, from_s, to_s, note, data) in enumerate(events, start=1)
        ]  # fmt: skip
        with bulk_load([Case, CaseEvent, Whistle, WhistleSummons]):
            insert_rows(Case, CASE_FIELDS, rows, progress, "cases")
            insert_rows(CaseEvent, EVENT_FIELDS, event_rows, progress, "case steps")
            insert_rows(Whistle, ["id", "case", "called_at", "called_by", "reason",
                                  "lead_department", "report_due_at"],
                        self.written.whistles, progress, "whistles")  # fmt: skip
            insert_rows(WhistleSummons, ["whistle", "department", "reported_at", "reported_by",
                                         "note", "late_flagged_at"],
                        self.written.summonses, progress, "summonses")  # fmt: skip
        statements = connection.ops.sequence_reset_sql(
            no_style(), [Case, CaseEvent, Whistle, WhistleSummons]
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        return len(rows)


CASE_FIELDS = [
    "id", "number", "token", "channel", "status", "category", "title", "description",
    "attributes", "cell", "handling_cell", "address", "lat", "lng", "estate", "building",
    "reporter", "reporter_name", "reporter_phone_encrypted", "reporter_phone_prefix",
    "reporter_phone_last4", "department", "property_company", "assignee", "created_at",
    "accept_due_at", "resolve_due_at", "accepted_at", "resolved_at", "closed_at",
    "suspended_until", "status_before_suspension", "updated_at", "accept_reminded_at",
    "resolve_reminded_at", "is_overdue", "overdue_at", "accepted_late", "resolved_late",
    "escalation_count", "reopen_count", "is_whistled", "rating", "rating_comment", "rated_at",
    "version", "source_ref",
]  # fmt: skip
EVENT_FIELDS = ["id", "case", "at", "actor", "actor_label", "action", "from_status", "to_status",
                "note", "data"]  # fmt: skip


def link_property_companies() -> int:
    """Give each estate without one the property company whose staff work in its area, so that
    property matters there reach the company (the routing rule of ``cases.services``)."""
    from gridgov.registry.models import Estate

    posts = sorted(
        Membership.objects.filter(role=Role.PROPERTY_STAFF, organization__isnull=False)
        .values_list("cell__code", "organization_id")
        .distinct(),
        key=lambda post: -len(post[0]),
    )
    linked = 0
    for estate_id, code in Estate.objects.filter(property_company__isnull=True).values_list(
        "id", "cell__code"
    ):
        company = next(
            (org for area, org in posts if code.startswith(area) or area.startswith(code)), None
        )
        if company is not None:
            linked += Estate.objects.filter(pk=estate_id).update(property_company_id=company)
    return linked


def install_catalogue(organization_ids: dict[str, int]) -> int:
    """The default catalogue, with the demo town's own departments for the matters they take."""
    from gridgov.cases.services.catalogue import catalogue_install_defaults, filable_categories

    created = catalogue_install_defaults(department_codes={"": "dept-civil-affairs"})
    for code, department in CATEGORY_DEPARTMENTS.items():
        if department in organization_ids:
            Category.objects.filter(code=code).update(department_id=organization_ids[department])
    filable_categories.clear()  # ``update`` sends no signal
    return created


def cases_history_write(
    *, profile: str, seed: int, organization_ids: dict[str, int], progress: Progress,
    now: datetime.datetime | None = None, count: int | None = None,
) -> int:  # fmt: skip
    """Install the catalogue and write the year of cases; returns the number of cases."""
    install_catalogue(organization_ids)
    link_property_companies()
    total = CASES_PER_PROFILE.get(profile, 600) if count is None else count
    town = _load_town(organization_ids)
    if not total or not town.categories or not (town.buildings or town.streets):
        return 0
    writer = _HistoryWriter(town, seed, total, now or timezone.now())
    return writer.write(progress)
