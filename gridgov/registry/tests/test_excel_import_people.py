from __future__ import annotations

import datetime

import pytest

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.models import ImportJob, Person, Residency
from gridgov.registry.services.protection import unprotect_id_number, unprotect_phone
from gridgov.registry.tests.helpers_excel import (
    check,
    check_and_import,
    media,  # noqa: F401
    people_xlsx,
    person_row,
    report_rows,
    valid_id,
    wrong_check_digit,
    zh,
)

pytestmark = pytest.mark.usefixtures("media")
PEOPLE = ImportJob.Kind.PEOPLE


@pytest.fixture
def staff_a(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.grid_a, "staff_a")


def test_dry_run_counts_rows_and_writes_nothing(town, staff_a):
    # given
    content = people_xlsx([person_row(n) for n in range(1, 6)])
    audit_rows = AuditEntry.objects.count()
    # when
    job = check(staff_a, PEOPLE, content, town.grid_a.code)
    # then
    assert (job.status, job.total_rows, job.created_count, job.error_count) == (
        ImportJob.Status.VALIDATED,
        5,
        5,
        0,
    )
    assert Person.objects.count() == 0
    assert AuditEntry.objects.count() == audit_rows
    assert not job.error_report


def test_import_registers_people_with_protected_identifiers_and_one_audit_row(town, staff_a):
    number = valid_id(7, born=datetime.date(1950, 6, 1), sex="F")
    content = people_xlsx(
        [person_row(7, 证件号码=number, 手机号码="138 1234 5678", 是否来沪人员="是", 民族="汉族")]
    )
    audit_rows = AuditEntry.objects.count()

    job = check_and_import(staff_a, PEOPLE, content, town.grid_a.code)

    assert (job.status, job.created_count, job.updated_count) == (ImportJob.Status.DONE, 1, 0)
    person = Person.objects.get()
    assert unprotect_id_number(person.id_number_encrypted) == number
    assert unprotect_phone(person.phone_encrypted) == "13812345678"
    assert (person.sex, person.birth_date) == ("F", datetime.date(1950, 6, 1))
    assert (person.is_migrant, person.ethnicity, person.cell_id) == (True, "汉族", town.grid_a.pk)
    assert person.name_pinyin.startswith("zhang")
    assert number not in person.id_number_encrypted
    entries = list(AuditEntry.objects.filter(action="registry.import"))
    assert AuditEntry.objects.count() == audit_rows + 1
    assert entries[0].changes["created"] == 1
    assert number not in str(entries[0].changes)
    assert number not in entries[0].object_label


def test_wrong_check_digit_is_reported_with_row_column_and_reason_and_nothing_written(
    town, staff_a
):
    bad = wrong_check_digit(valid_id(2))
    content = people_xlsx([person_row(1), person_row(2, 证件号码=bad), person_row(3)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert (job.status, job.error_count, job.created_count) == (ImportJob.Status.VALIDATED, 1, 2)
    rows = report_rows(job)
    assert rows[0][-3:] == ("错误行号", "错误列", "错误原因")
    assert len(rows) == 2
    assert rows[1][-3] == 3
    assert rows[1][-2] == "证件号码"
    assert rows[1][-1] == "证件号码：" + zh(
        "The check digit of the ID number is wrong; please check every digit."
    )
    assert Person.objects.count() == 0


def test_bad_phone_is_reported_in_chinese(town, staff_a):
    content = people_xlsx([person_row(1, 手机号码="12345")])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    rows = report_rows(job)
    assert (rows[1][-3], rows[1][-2]) == (2, "手机号码")
    assert rows[1][-1] == "手机号码：" + zh(
        "Enter a mobile number of 11 digits or a landline number with its area code."
    )
    assert job.error_count == 1


def test_all_or_nothing_refuses_to_import_a_checked_file_with_errors(town, staff_a):
    from django.core.exceptions import ValidationError

    from gridgov.registry.services.imports import import_job_commit

    content = people_xlsx([person_row(1), person_row(2, 手机号码="12345")])
    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    with pytest.raises(ValidationError):
        import_job_commit(actor=staff_a, job_id=job.pk, is_all_or_nothing=True)

    job.refresh_from_db()
    assert (job.status, job.is_dry_run) == (ImportJob.Status.VALIDATED, True)
    assert Person.objects.count() == 0


def test_partial_import_writes_the_good_rows_only(town, staff_a):
    content = people_xlsx([person_row(1), person_row(2, 手机号码="12345"), person_row(3)])

    job = check_and_import(staff_a, PEOPLE, content, town.grid_a.code, is_all_or_nothing=False)

    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, 2, 1)
    assert sorted(Person.objects.values_list("id_number_last4", flat=True)) == sorted(
        [valid_id(1)[-4:], valid_id(3)[-4:]]
    )


def test_an_edit_between_check_and_import_fails_the_all_or_nothing_import(
    town, staff_a, person_factory
):
    from gridgov.registry.services.imports import import_job_commit, import_job_run

    person = person_factory(id_number=valid_id(1), name="李四")
    job = check(staff_a, PEOPLE, people_xlsx([person_row(1, 姓名="李四", 民族="回族")]))
    job = import_job_commit(actor=staff_a, job_id=job.pk)
    Person.objects.filter(pk=person.pk).update(version=person.version + 1, ethnicity="汉族")

    job = import_job_run(job_id=job.pk)

    person.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert person.ethnicity == "汉族"
    assert report_rows(job)[1][-1] == zh(
        "Someone changed this person's record after the check; check the file again before "
        "importing."
    )


def test_upsert_updates_the_registered_person_and_keeps_what_the_sheet_leaves_empty(
    town, staff_a, person_factory
):
    person = person_factory(
        id_number=valid_id(1), name="李四", ethnicity="汉族", phone="13900000001"
    )
    content = people_xlsx([person_row(1, 姓名="李思", 户籍地址="上海市闵行区")])

    job = check_and_import(staff_a, PEOPLE, content, town.grid_a.code)

    assert (job.created_count, job.updated_count) == (0, 1)
    assert Person.objects.count() == 1
    person.refresh_from_db()
    assert (person.name, person.hukou_address, person.ethnicity) == ("李思", "上海市闵行区", "汉族")
    assert unprotect_phone(person.phone_encrypted) == "13900000001"
    assert person.version == 2


def test_a_person_registered_outside_the_importers_area_is_refused_not_duplicated(
    town, staff_a, person_factory
):
    person_factory(id_number=valid_id(1), cell=town.grid_b, name="王五")
    content = people_xlsx([person_row(1)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.error_count == 1
    assert report_rows(job)[1][-2] == "证件号码"
    assert Person.objects.filter(cell=town.grid_a).count() == 0


def test_the_same_document_number_twice_in_one_file_is_an_error(town, staff_a):
    content = people_xlsx([person_row(1), person_row(1)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    rows = report_rows(job)
    assert job.error_count == 1
    assert (rows[1][-3], rows[1][-2]) == (3, "证件号码")
    assert rows[1][-1] == "证件号码：" + zh("The same document number is on row %(row)d.") % {
        "row": 2
    }


def test_rows_with_an_address_start_a_residency_in_that_dwelling(town, staff_a, places):
    content = people_xlsx(
        [
            person_row(
                1,
                小区="飞碟苑",
                楼栋="12",
                单元="1",
                室号="301",
                居住身份="业主",
                入住日期="2020-05-01",
            )
        ]
    )

    job = check_and_import(staff_a, PEOPLE, content)

    residency = Residency.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert (residency.dwelling_id, residency.role, residency.started_on) == (
        places.dwellings[2].pk,
        "owner",
        datetime.date(2020, 5, 1),
    )
    assert Person.objects.get().cell_id == town.grid_a.pk


def test_a_person_still_living_elsewhere_is_refused(town, staff_a, places, person_factory):
    person = person_factory(id_number=valid_id(1))
    Residency.objects.create(
        person=person,
        dwelling=places.dwellings[0],
        role="owner",
        started_on=datetime.date(2019, 1, 1),
    )
    content = people_xlsx(
        [person_row(1, 小区="飞碟苑", 楼栋="12号楼", 单元="2单元", 室号="101", 居住身份="租客")]
    )

    job = check(staff_a, PEOPLE, content)

    assert job.error_count == 1
    assert report_rows(job)[1][-2] == "室号"
    assert Residency.objects.count() == 1


def test_a_grid_worker_cannot_import(town, grid_worker_a):
    from django.core.exceptions import PermissionDenied

    from gridgov.registry.services.imports import import_job_create

    with pytest.raises(PermissionDenied):
        import_job_create(
            actor=grid_worker_a,
            kind=PEOPLE,
            content=people_xlsx([person_row(1)]),
            original_name="x.xlsx",
            cell_code=town.grid_a.code,
        )
    assert ImportJob.objects.count() == 0


def test_rows_for_an_area_outside_the_importers_are_refused(town, staff_a):
    content = people_xlsx([person_row(1, 所属网格=town.grid_b.code)])

    job = check(staff_a, PEOPLE, content)

    assert job.error_count == 1
    assert report_rows(job)[1][-2] == "所属网格"
