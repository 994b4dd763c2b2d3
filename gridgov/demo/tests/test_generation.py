"""Writing the demo town: accounts that work, staff who cannot sign in, one audit row, and a
database that is never generated into twice."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.accounts.models import Membership, Organization, User
from gridgov.accounts.roles import Role
from gridgov.core.audit import audit_verify
from gridgov.core.models import AuditEntry
from gridgov.demo.services import DemoDatabaseNotEmptyError, demo_town_generate
from gridgov.grids.models import Cell, LevelKind, StaffAssignment
from gridgov.sensing.scenario_catalogue import SCENARIO_CATALOGUE

ACCOUNT_LINE = re.compile(r"^[^:]+: \S+ / \S+$")


@pytest.fixture
def small_town(db):
    return demo_town_generate(profile="small", seed=5)


def test_small_profile_writes_every_cell_with_its_boundary_metrics(small_town):
    assert Cell.objects.count() == 15
    assert Cell.objects.filter(boundary__isnull=True).count() == 0
    town = Cell.objects.get(code="310112112")
    assert town.parent_id is None
    assert town.depth == 0
    assert 3.9 < town.area_km2 < 4.1
    micro = Cell.objects.filter(level=LevelKind.MICRO_GRID).first()
    assert micro.depth == 3
    assert micro.parent.parent.parent_id == town.pk
    assert micro.min_lng < micro.centroid_lng < micro.max_lng


def test_every_demo_account_signs_in_with_its_printed_password(small_town):
    assert [account.username for account in small_town.accounts] == [
        "admin",
        "operator",
        "handler",
        "community",
        "gridworker",
        "property",
        "resident",
    ]
    for account in small_town.accounts:
        assert authenticate(username=account.username, password=account.password) is not None
        assert ACCOUNT_LINE.match(account.line)
    assert small_town.accounts[0].line.startswith("platform administrator: admin / ")


def test_generated_staff_other_than_demo_accounts_cannot_sign_in(small_town):
    demo_usernames = {account.username for account in small_town.accounts}
    others = User.objects.exclude(username__in=demo_usernames)
    assert others.count() > 20
    assert not any(user.has_usable_password() for user in others)


def test_demo_accounts_hold_their_role_where_the_design_says(small_town):
    def membership(username):
        return Membership.objects.select_related("cell", "organization").get(
            user__username=username
        )

    assert membership("admin").role == Role.PLATFORM_ADMIN
    assert membership("admin").cell.level == LevelKind.STREET
    assert User.objects.get(username="admin").is_staff is True
    assert membership("operator").cell.level == LevelKind.STREET
    handler = membership("handler")
    assert (handler.role, handler.cell.level) == (Role.DEPARTMENT_HANDLER, LevelKind.STREET)
    assert handler.organization.kind == Organization.Kind.DEPARTMENT
    assert membership("community").cell.level == LevelKind.COMMUNITY
    grid_worker = membership("gridworker")
    assert grid_worker.cell.level == LevelKind.GRID
    assert grid_worker.cell.parent_id == membership("community").cell_id
    property_staff = membership("property")
    assert property_staff.cell.level == LevelKind.GRID
    assert property_staff.organization.kind == Organization.Kind.PROPERTY_COMPANY
    resident = membership("resident")
    assert (resident.role, resident.cell.level) == (Role.RESIDENT, LevelKind.MICRO_GRID)


def test_every_micro_grid_has_a_chief_and_every_grid_a_grid_worker(small_town):
    micro_grids = Cell.objects.filter(level=LevelKind.MICRO_GRID)
    assert StaffAssignment.objects.filter(post="micro_grid_chief").count() == micro_grids.count()
    grids_with_workers = (
        StaffAssignment.objects.filter(post="grid_worker").values("cell").distinct().count()
    )
    assert grids_with_workers == Cell.objects.filter(level=LevelKind.GRID).count()


def test_generation_writes_one_intact_audit_row(small_town):
    entries = AuditEntry.objects.filter(action="demo.generate")
    assert entries.count() == 1
    assert entries.get().object_id == "310112112"
    assert entries.get().changes["counts"]["cells"] == 15
    # besides it, only the installation of the default case and scenario catalogues
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "demo.generate",
        "cases.catalogue_install",
        "sensing.scenario_create",
    }
    assert AuditEntry.objects.count() == 2 + len(SCENARIO_CATALOGUE)
    assert audit_verify().is_intact


def test_grid_statistics_are_computed_after_generation(small_town):
    town = Cell.objects.get(code="310112112")
    assert town.descendant_count == 14
    assert town.statistics_updated_at is not None


def test_generation_refuses_a_database_that_already_has_cells(town):
    # given the shared fixture's town
    before = (Cell.objects.count(), User.objects.count(), AuditEntry.objects.count())
    # when
    with pytest.raises(DemoDatabaseNotEmptyError):
        demo_town_generate(profile="small")
    # then nothing changed
    assert (Cell.objects.count(), User.objects.count(), AuditEntry.objects.count()) == before


def test_demo_data_command_prints_progress_and_the_account_lines(db):
    out = StringIO()
    call_command("demo_data", profile="small", seed=3, stdout=out)
    output = out.getvalue()
    assert "[##############################] 100%  15/15" in output
    account_lines = [line for line in output.splitlines() if ACCOUNT_LINE.match(line)]
    assert [line.split(":")[0] for line in account_lines] == [
        "platform administrator",
        "operations-centre operator",
        "department handler",
        "community staff",
        "grid worker",
        "property-company staff",
        "resident",
    ]


def test_demo_data_command_refuses_a_non_empty_database_with_a_clear_message(town):
    before = Cell.objects.count()
    with pytest.raises(CommandError, match="9"):
        call_command("demo_data", profile="small", stdout=StringIO())
    assert Cell.objects.count() == before


def test_demo_command_migrates_generates_prints_accounts_and_serves(db, monkeypatch):
    # given a stand-in for the serve command
    served = []
    monkeypatch.setattr(
        "gridgov.demo.management.commands.demo.call_command",
        lambda name, **options: served.append((name, options)),
    )
    out = StringIO()
    # when
    call_command("demo", profile="small", addr="127.0.0.1:8765", stdout=out)
    # then
    lines = out.getvalue().splitlines()
    account_lines = [line for line in lines if ACCOUNT_LINE.match(line)]
    assert len(account_lines) == 7
    assert account_lines[0].startswith("platform administrator: admin / ")
    assert any("http://127.0.0.1:8765/" in line for line in lines)
    assert served == [
        ("migrate", {"interactive": False, "verbosity": 0}),
        ("serve", {"addr": "127.0.0.1:8765"}),
    ]
    assert Cell.objects.count() == 15


def test_a_registered_generation_step_runs_after_the_named_one(db, monkeypatch):
    # given a later module's step (people, say) registered after the cells
    from gridgov.demo import services

    monkeypatch.setattr(services, "GENERATION_STEPS", list(services.GENERATION_STEPS))
    seen = []

    def count_cells_written(context):
        seen.append(len(context.cell_ids))
        return 42

    services.register_generation_step(
        services.GenerationStep("people", "People", count_cells_written), after="cells"
    )
    # when
    result = demo_town_generate(profile="small")
    # then it ran once, with every cell already written, and its count is reported
    assert [step.name for step in services.GENERATION_STEPS][:3] == [
        "organizations",
        "cells",
        "people",
    ]
    assert seen == [15]
    assert result.counts["people"] == 42
