"""Writing a generated demo town into an empty database.

``demo_town_generate`` runs ``GENERATION_STEPS`` in order inside one transaction and appends
one audit row for the whole generation. Later modules (people and housing, cases, devices)
add their own steps with ``register_generation_step``; each step reads what earlier steps
wrote from the ``GenerationContext``.
"""

from __future__ import annotations

import datetime
import importlib
import os
import random
import secrets
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Role
from gridgov.accounts.services.work_phones import work_phone_protect
from gridgov.core.audit import audit_record
from gridgov.demo.bulkload import loading_session
from gridgov.demo.housing_plan import plan_housing
from gridgov.demo.housing_write import housing_write
from gridgov.demo.plan import DEFAULT_SEED, PROFILES, CellTree, UnknownProfileError, plan_cells
from gridgov.demo.staffing import StaffPlan, plan_staff, role_label
from gridgov.grids.geo import boundary_metrics
from gridgov.grids.models import Cell, StaffAssignment

BATCH_SIZE = 500
STAFF_SINCE = datetime.date(2024, 1, 1)


class DemoDatabaseNotEmptyError(RuntimeError):
    """The demo town is only generated into a database without any areas."""


class ProgressCallback(Protocol):
    def __call__(self, step: str, done: int, total: int) -> None: ...


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class DemoAccount:
    role: str
    label: str
    username: str
    password: str

    @property
    def line(self) -> str:
        """``<role>: <username> / <password>`` as DESIGN D13 prints it."""
        return f"{self.label}: {self.username} / {self.password}"


@dataclass
class GenerationContext:
    profile: str
    seed: int
    tree: CellTree
    staff_plan: StaffPlan
    progress: ProgressCallback
    cell_ids: dict[str, int] = field(default_factory=dict)
    organization_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    password_hashes: dict[str, Future[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerationStep:
    name: str
    label: Any  # a lazy translatable string
    run: Callable[[GenerationContext], int]


@dataclass(frozen=True)
class GenerationResult:
    profile: str
    seed: int
    counts: dict[str, int]
    accounts: list[DemoAccount]


def _write_organizations(context: GenerationContext) -> int:
    rows = [
        Organization(code=org.code, name=org.name, kind=org.kind)
        for org in context.staff_plan.organizations
    ]
    Organization.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    context.organization_ids = dict(Organization.objects.values_list("code", "id"))
    return len(rows)


def _cell_row(planned: Any, parent_id: int | None) -> Cell:
    metrics = boundary_metrics(planned.boundary)
    return Cell(
        code=planned.code,
        name=planned.name,
        level=planned.level,
        parent_id=parent_id,
        depth=planned.depth,
        sort_order=planned.sort_order,
        boundary=planned.boundary,
        min_lng=metrics.min_lng,
        min_lat=metrics.min_lat,
        max_lng=metrics.max_lng,
        max_lat=metrics.max_lat,
        centroid_lng=metrics.centroid_lng,
        centroid_lat=metrics.centroid_lat,
        area_km2=metrics.area_km2,
    )


def _write_cells(context: GenerationContext) -> int:
    """Cells in depth order, so every parent has its id before its children are written."""
    planned = context.tree.in_depth_order()
    total = len(planned)
    done = 0
    for depth in sorted({cell.depth for cell in planned}):
        level_cells = [cell for cell in planned if cell.depth == depth]
        for start in range(0, len(level_cells), BATCH_SIZE):
            batch = level_cells[start : start + BATCH_SIZE]
            rows = [_cell_row(cell, context.cell_ids.get(cell.parent_code or "")) for cell in batch]
            for row in Cell.objects.bulk_create(rows):
                context.cell_ids[row.code] = row.pk
            done += len(batch)
            context.progress("cells", done, total)
    return total


def _work_phone_fields(rng: random.Random) -> dict[str, str]:
    """A generated work mobile (139 + 8 digits), encrypted like any number (DESIGN D6)."""
    protected = work_phone_protect(f"139{rng.randrange(100_000_000):08d}")
    return {
        "work_phone_encrypted": protected.encrypted,
        "work_phone_prefix": protected.prefix,
        "work_phone_last4": protected.last4,
    }


def _write_users(context: GenerationContext) -> int:
    """Staff get unusable passwords; only the printed demo accounts can sign in, with a
    password generated afresh on every run (never stored in the repository). Grid workers get
    a work phone, so that alarms reach the patrol's phone by SMS (the console gateway)."""
    staff = context.staff_plan.staff
    now = timezone.now()
    unusable = make_password(None)
    phones = random.Random(f"{context.seed}:work-phones")
    rows = [
        User(
            username=person.username,
            display_name=person.display_name,
            first_name=person.display_name[1:],
            last_name=person.display_name[:1],
            password=unusable,
            is_staff=person.is_admin_site_user,
            date_joined=now,
            **(_work_phone_fields(phones) if person.role == Role.GRID_WORKER else {}),
        )
        for person in staff
    ]
    for start in range(0, len(rows), BATCH_SIZE):
        User.objects.bulk_create(rows[start : start + BATCH_SIZE])
        context.progress("users", min(start + BATCH_SIZE, len(rows)), len(rows))
    context.user_ids = dict(
        User.objects.filter(username__in=[person.username for person in staff]).values_list(
            "username", "id"
        )
    )
    demo = context.staff_plan.demo_accounts
    passwords = {username: secrets.token_urlsafe(12) for username in demo.values()}
    # The hasher releases the GIL: the seven passwords are hashed on the other cores while the
    # rest of the town is planned and written; ``_set_demo_passwords`` collects them.
    pool = ThreadPoolExecutor(max_workers=max((os.cpu_count() or 1) - 1, 1))
    context.password_hashes = {
        username: pool.submit(make_password, password) for username, password in passwords.items()
    }
    pool.shutdown(wait=False)
    context.accounts.extend(
        DemoAccount(
            role=role, label=role_label(role), username=username, password=passwords[username]
        )
        for role, username in demo.items()
    )
    return len(rows)


def _set_demo_passwords(context: GenerationContext) -> None:
    now = timezone.now()
    for username, future in context.password_hashes.items():
        User.objects.filter(username=username).update(
            password=future.result(), password_changed_at=now
        )


def _write_memberships(context: GenerationContext) -> int:
    rows = [
        Membership(
            user_id=context.user_ids[person.username],
            cell_id=context.cell_ids[person.cell_code],
            role=person.role,
            organization_id=context.organization_ids.get(person.organization_code),
        )
        for person in context.staff_plan.staff
        if person.role
    ]
    Membership.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _write_staff_assignments(context: GenerationContext) -> int:
    rows = [
        StaffAssignment(
            cell_id=context.cell_ids[person.cell_code],
            user_id=context.user_ids[person.username],
            post=person.post,
            started_on=STAFF_SINCE,
        )
        for person in context.staff_plan.staff
        if person.post
    ]
    StaffAssignment.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    return len(rows)


def _write_residents(context: GenerationContext) -> int:
    """Estates, buildings, dwellings, residents, households, owners, leases and rule tags."""
    plan = plan_housing(context.tree, context.profile, timezone.localdate())
    written = housing_write(plan, context.cell_ids, context.progress)
    if written:
        context.counts["dwellings"] = len(plan.dwellings)
        context.counts["households"] = len(plan.households)
        context.counts["leases"] = len(plan.leases)
    return written


def _write_cases(context: GenerationContext) -> int:
    """The case catalogue and a year of cases (see ``demo.cases_history``)."""
    from gridgov.demo.cases_history import cases_history_write

    return cases_history_write(
        profile=context.profile,
        seed=context.seed,
        organization_ids=context.organization_ids,
        progress=context.progress,
    )


def _write_votes(context: GenerationContext) -> int:
    """Owners' votes, open and closed (see ``demo.participation_votes``)."""
    from gridgov.demo.participation_votes import demo_votes_step

    return demo_votes_step(context)


def _write_projects(context: GenerationContext) -> int:
    """The elevator programme and consultations (see ``demo.participation_projects``)."""
    from gridgov.demo.participation_projects import demo_projects_step

    return demo_projects_step(context)


def _write_devices(context: GenerationContext) -> int:
    """Devices, access cards and the scenario catalogue (see ``demo.devices``)."""
    from gridgov.demo.devices import demo_devices_step

    return demo_devices_step(context)


def _write_property_ratings(context: GenerationContext) -> int:
    """A year of property-service ratings, scores and disclosures (``demo.participation_ratings``)."""
    from gridgov.demo.participation_ratings import participation_ratings_write

    return participation_ratings_write(seed=context.seed)


GENERATION_STEPS: list[GenerationStep] = [
    GenerationStep("organizations", _("Organisations"), _write_organizations),
    GenerationStep("cells", _("Areas and boundaries"), _write_cells),
    GenerationStep("users", _("Staff accounts"), _write_users),
    GenerationStep("memberships", _("Roles and scopes"), _write_memberships),
    GenerationStep("staff", _("Posts in the grid"), _write_staff_assignments),
    GenerationStep("residents", _("Residents and housing"), _write_residents),
    GenerationStep("votes", _("Owners' votes"), _write_votes),
    GenerationStep("projects", _("Elevator programme and consultations"), _write_projects),
    GenerationStep("cases", _("A year of cases"), _write_cases),
    GenerationStep("devices", _("Devices and access cards"), _write_devices),
    GenerationStep("property_ratings", _("A year of property ratings"), _write_property_ratings),
]


def register_generation_step(step: GenerationStep, *, after: str | None = None) -> None:
    """Add a step (e.g. residents, housing, cases) after the named one, or at the end."""
    if any(existing.name == step.name for existing in GENERATION_STEPS):
        return
    if after is None:
        GENERATION_STEPS.append(step)
        return
    index = next(i for i, existing in enumerate(GENERATION_STEPS) if existing.name == after)
    GENERATION_STEPS.insert(index + 1, step)


def _recompute_statistics() -> None:
    """Run the grids statistics service if this version of the grids app has one."""
    services = importlib.import_module("gridgov.grids.services")
    for name in ("cell_statistics_recompute", "recompute_cell_statistics"):
        recompute = getattr(services, name, None)
        if callable(recompute):
            recompute()
            return


def _refresh_cell_index() -> None:
    geo = importlib.import_module("gridgov.grids.geo")
    invalidate = getattr(geo, "invalidate_cell_index", None)
    if callable(invalidate):
        transaction.on_commit(invalidate)


def demo_town_generate(
    *,
    profile: str,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
    on_step: Callable[[GenerationStep], None] | None = None,
) -> GenerationResult:
    """Generate the demo town of ``profile`` from ``seed`` into an empty database.

    Refuses a database that already holds areas (the demo never mixes with real data). The
    town is written in one transaction with one ``demo.generate`` audit row; then the grid
    statistics are recomputed.
    """
    if profile not in PROFILES:
        raise UnknownProfileError(profile)
    existing = Cell.objects.count()
    if existing:
        raise DemoDatabaseNotEmptyError(existing)
    report = progress or _no_progress
    tree = plan_cells(profile, seed)
    context = GenerationContext(
        profile=profile, seed=seed, tree=tree, staff_plan=plan_staff(tree), progress=report
    )
    with loading_session(), transaction.atomic():
        for step in GENERATION_STEPS:
            if on_step is not None:
                on_step(step)
            context.counts[step.name] = step.run(context)
        _set_demo_passwords(context)
        root = tree.in_depth_order()[0]
        audit_record(
            actor=None,
            action="demo.generate",
            object_type="grids.cell",
            object_id=root.code,
            object_label=f"{root.code} {root.name}",
            purpose="demo town",
            changes={"profile": profile, "seed": seed, "counts": context.counts},
        )
        _refresh_cell_index()
    _recompute_statistics()
    return GenerationResult(
        profile=profile, seed=seed, counts=dict(context.counts), accounts=list(context.accounts)
    )


def demo_open311_key(*, admin_username: str = "admin") -> str:
    """Issue the demo's Open311 client key (as the demo administrator) and return it, to be
    printed once as ``Open311 API key: <key>`` (DESIGN D13); only its digest is stored."""
    from gridgov.cases.services import api_client_issue

    admin = User.objects.get(username=admin_username)
    _client, key = api_client_issue(
        actor=admin, name="演示 Open311 客户端", contact="demo@gridgov.invalid"
    )
    return key
