from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from gridgov.accounts.roles import Role
from gridgov.registry.excel.columns import LEASES_COLUMNS, PLACES_COLUMNS
from gridgov.registry.models import Dwelling, Estate, ImportJob, Lease, Person, Residency
from gridgov.registry.tests.helpers_excel import (
    check,
    check_and_import,
    media,  # noqa: F401
    report_rows,
    valid_id,
    xlsx,
    zh,
)

pytestmark = pytest.mark.usefixtures("media")
PLACE_HEADERS = [column.header for column in PLACES_COLUMNS]
LEASE_HEADERS = [column.header for column in LEASES_COLUMNS]


@pytest.fixture
def staff_a(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.grid_a, "staff_a")


def place_row(**fields):
    values = {"小区": "新月家园", "楼栋": "3", "单元": "1", "室号": "502", "面积(㎡)": 88.5}
    values.update(fields)
    return [values.get(header, "") for header in PLACE_HEADERS]


def lease_row(tenant: int, **fields):
    values = {
        "小区": "飞碟苑",
        "楼栋": "12号楼",
        "单元": "1单元",
        "室号": "101",
        "出租人姓名": "王房东",
        "出租人证件号码": valid_id(900),
        "承租人姓名": f"租客{tenant}",
        "承租人证件号码": valid_id(tenant),
        "承租人手机号码": f"1390000{tenant:04d}",
        "起租日期": "2026-01-01",
        "到期日期": "2027-01-01",
    }
    values.update(fields)
    return [values.get(header, "") for header in LEASE_HEADERS]


def test_places_import_creates_estate_building_unit_and_dwelling_with_chinese_address(
    town, staff_a
):
    content = xlsx(PLACE_HEADERS, [place_row(), place_row(室号="602", 用途="商业")])

    job = check_and_import(staff_a, ImportJob.Kind.PLACES, content, town.grid_a.code)

    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 2)
    dwelling = Dwelling.objects.get(room="502")
    assert dwelling.address == "马桥镇新月家园3号楼1单元502室"
    assert (dwelling.area_m2, dwelling.floor, dwelling.cell_id) == (
        Decimal("88.50"),
        5,
        town.grid_a.pk,
    )
    assert Dwelling.objects.get(room="602").use == "commercial"
    assert Estate.objects.filter(name="新月家园").count() == 1


def test_places_dry_run_writes_nothing_but_counts_what_would_be_created(town, staff_a):
    content = xlsx(PLACE_HEADERS, [place_row(), place_row(室号="602")])

    job = check(staff_a, ImportJob.Kind.PLACES, content, town.grid_a.code)

    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.VALIDATED, 2, 0)
    assert (Estate.objects.count(), Dwelling.objects.count()) == (0, 0)


def test_places_import_updates_a_registered_dwelling_instead_of_duplicating_it(
    town, staff_a, places
):
    content = xlsx(
        PLACE_HEADERS,
        [place_row(小区="飞碟苑", 楼栋="12号楼", 单元="1单元", 室号="101", **{"面积(㎡)": 91})],
    )

    job = check_and_import(staff_a, ImportJob.Kind.PLACES, content)

    assert (job.created_count, job.updated_count) == (0, 1)
    places.dwellings[0].refresh_from_db()
    assert places.dwellings[0].area_m2 == Decimal("91.00")
    assert Dwelling.objects.count() == 7


def test_places_with_a_zero_area_are_refused(town, staff_a):
    content = xlsx(PLACE_HEADERS, [place_row(**{"面积(㎡)": 0})])

    job = check(staff_a, ImportJob.Kind.PLACES, content, town.grid_a.code)

    assert report_rows(job)[1][-2:] == (
        "面积(㎡)",
        "面积(㎡)：" + zh("The floor area must be more than 0."),
    )


def test_leases_import_registers_one_lease_with_every_tenant_of_its_rows(town, staff_a, places):
    content = xlsx(LEASE_HEADERS, [lease_row(1), lease_row(2)])

    job = check_and_import(staff_a, ImportJob.Kind.LEASES, content)

    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 1)
    lease = Lease.objects.get()
    assert (lease.dwelling_id, lease.started_on, lease.ends_on) == (
        places.dwellings[0].pk,
        datetime.date(2026, 1, 1),
        datetime.date(2027, 1, 1),
    )
    assert lease.tenants.count() == 2
    assert Residency.objects.filter(lease=lease, role="tenant").count() == 2
    assert Person.objects.count() == 3


def test_leases_imported_twice_are_not_registered_twice(town, staff_a, places):
    content = xlsx(LEASE_HEADERS, [lease_row(1)])
    check_and_import(staff_a, ImportJob.Kind.LEASES, content)

    job = check_and_import(staff_a, ImportJob.Kind.LEASES, content)

    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 0)
    assert Lease.objects.count() == 1


def test_a_lease_ending_before_it_starts_is_reported_and_nothing_written(town, staff_a, places):
    content = xlsx(LEASE_HEADERS, [lease_row(1, 到期日期="2025-06-30")])

    job = check(staff_a, ImportJob.Kind.LEASES, content)

    assert report_rows(job)[1][-3:] == (
        2,
        "到期日期",
        "到期日期：" + zh("The lease ends before it starts."),
    )
    assert (Lease.objects.count(), Person.objects.count()) == (0, 0)


def test_a_tenant_still_living_elsewhere_is_found_by_the_dry_run(
    town, staff_a, places, person_factory
):
    tenant = person_factory(id_number=valid_id(1))
    Residency.objects.create(
        person=tenant,
        dwelling=places.dwellings[3],
        role="owner",
        started_on=datetime.date(2018, 1, 1),
    )
    content = xlsx(LEASE_HEADERS, [lease_row(1)])

    job = check(staff_a, ImportJob.Kind.LEASES, content)

    assert job.error_count == 1
    assert (Lease.objects.count(), Residency.objects.count()) == (0, 1)
