from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.services.exports import lease_export, people_export
from gridgov.registry.tests.helpers_excel import valid_id


def sheet_rows(export):
    workbook = load_workbook(io.BytesIO(export.content), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


@pytest.fixture
def people(town, person_factory):
    return {
        "a": person_factory(
            id_number=valid_id(1), phone="13812345678", name="张三", cell=town.grid_a
        ),
        "b": person_factory(
            id_number=valid_id(2), phone="13987654321", name="李四", cell=town.grid_b
        ),
    }


def test_export_is_masked_by_default_and_names_the_exporter(grid_worker_a, people):
    export = people_export(actor=grid_worker_a)

    rows = sheet_rows(export)
    text = str(rows)
    assert "gridworker_a" in rows[0][0]
    assert export.row_count == 1
    assert rows[3][0] == "张三"
    assert rows[3][5] == valid_id(1)[:6] + "********" + valid_id(1)[-4:]
    assert rows[3][6] == "138****5678"
    assert valid_id(1) not in text
    assert "13812345678" not in text


def test_export_never_includes_people_outside_the_exporters_area(grid_worker_a, people):
    text = str(sheet_rows(people_export(actor=grid_worker_a)))

    assert "李四" not in text
    assert valid_id(2)[-4:] not in text


def test_export_writes_one_audit_row_with_count_and_filters_but_no_search_text(
    grid_worker_a, people
):
    before = AuditEntry.objects.count()

    people_export(actor=grid_worker_a, filters={"query": valid_id(1), "is_migrant": False})

    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "registry.export"
    assert entry.changes == {
        "kind": "people",
        "rows": 1,
        "filters": {"query": "(search)", "is_migrant": False},
        "clear": False,
    }
    assert valid_id(1) not in str(entry.changes) + entry.object_label


def test_clear_export_needs_a_purpose(grid_worker_a, people):
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError):
        people_export(actor=grid_worker_a, is_clear=True, purpose="  ")

    assert AuditEntry.objects.count() == before


def test_clear_export_with_permission_and_purpose_shows_numbers_and_audits_the_purpose(
    grid_worker_a, people
):
    export = people_export(actor=grid_worker_a, is_clear=True, purpose="核对低保申请材料")

    rows = sheet_rows(export)
    assert (rows[3][5], rows[3][6]) == (valid_id(1), "13812345678")
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.purpose, entry.changes["clear"]) == (
        "registry.export",
        "核对低保申请材料",
        True,
    )


def test_clear_export_is_refused_where_the_exporter_may_not_reveal(town, make_member, people):
    operator = make_member(Role.OPERATOR, town.town, "operator_x")
    before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        people_export(actor=operator, is_clear=True, purpose="核对人口数据")

    assert AuditEntry.objects.count() == before


def test_a_role_without_the_export_permission_cannot_export(town, make_member, people):
    handler = make_member(Role.DEPARTMENT_HANDLER, town.town, "handler_x")

    with pytest.raises(PermissionDenied):
        people_export(actor=handler)


def test_lease_export_lists_the_leases_in_scope_masked(
    grid_worker_a, places, people, person_factory
):
    import datetime

    from gridgov.registry.services.leases import lease_register

    staff = grid_worker_a
    lease_register(
        actor=staff,
        dwelling_id=places.dwellings[0].pk,
        landlord=people["a"].pk,
        tenants=[
            {
                "name": "赵六",
                "id_type": "resident_id",
                "id_number": valid_id(3),
                "phone": "13700001111",
            }
        ],
        started_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2027, 1, 1),
    )

    export = lease_export(actor=staff)

    rows = sheet_rows(export)
    assert export.row_count == 1
    assert rows[3][0] == places.dwellings[0].address
    assert (rows[3][2], rows[3][3], rows[3][4], rows[3][5]) == ("张三", "138****5678", 1, "赵六")
    assert "13812345678" not in str(rows)
