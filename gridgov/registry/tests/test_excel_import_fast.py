"""The batch paths of the people import give what the single-person services give: the same
identity checks and reasons, the same rule tags, and no overwrite of a record changed meanwhile."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.registry.models import ImportJob, Person, PersonTag, Residency
from gridgov.registry.services.import_rules import IdentityChecker
from gridgov.registry.services.protection import (
    id_facts,
    normalize_id_number,
    unprotect_id_number,
    unprotect_phone,
)
from gridgov.registry.services.tags import person_rule_tags_recompute
from gridgov.registry.tests.helpers_excel import (
    check,
    check_and_import,
    media,  # noqa: F401
    people_xlsx,
    person_row,
    valid_id,
    wrong_check_digit,
)

pytestmark = pytest.mark.usefixtures("media")
PEOPLE = ImportJob.Kind.PEOPLE


@pytest.fixture
def staff_a(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.grid_a, "staff_a")


def _service_answer(id_type: str, raw: str) -> tuple[str, object]:
    try:
        number = normalize_id_number(id_type, raw)
    except ValidationError as error:
        return "refused", error.messages
    return number, id_facts(id_type, number)


def _checker_answer(checker: IdentityChecker, id_type: str, raw: str) -> tuple[str, object]:
    try:
        return checker.check(id_type, raw)
    except ValidationError as error:
        return "refused", error.messages


def test_the_import_identity_check_answers_exactly_like_the_person_services():
    # given valid numbers and every kind of fault, twice each (the second answer is cached)
    good = valid_id(7, born=datetime.date(1950, 2, 28), sex="F")
    candidates = [
        good,
        good.lower(),
        f" {good[:6]} {good[6:14]} {good[14:]} ",
        wrong_check_digit(good),
        "310112195002301234",  # 30 February
        "310112203001011236",  # born in the future
        "999999" + good[6:17] + "0",
        good[:17],
        good[:16] + "A" + good[17],
        "",
        "H12345678",
    ]
    unknown_region = "990000" + good[6:17]
    from stdnum.cn import ric

    candidates.append(unknown_region + ric.calc_check_digit(unknown_region + "0"))
    checker = IdentityChecker(timezone.localdate())
    # when / then
    for id_type in ("resident_id", "hk_macao_permit"):
        for raw in candidates * 2:
            assert _checker_answer(checker, id_type, raw) == _service_answer(id_type, raw), raw


def test_imported_people_carry_exactly_the_rule_tags_a_full_recompute_gives(town, staff_a, places):
    # given an old person alone in 101, an old couple in 201, a child, and a very old person
    rows = [
        person_row(
            1,
            证件号码=valid_id(1, born=datetime.date(1950, 1, 1)),
            小区="飞碟苑",
            楼栋="12号楼",
            单元="1单元",
            室号="101",
            居住身份="业主",
        ),
        person_row(
            2,
            证件号码=valid_id(2, born=datetime.date(1948, 1, 1)),
            小区="飞碟苑",
            楼栋="12号楼",
            单元="1单元",
            室号="201",
            居住身份="业主",
        ),
        person_row(
            3,
            证件号码=valid_id(3, born=datetime.date(1949, 1, 1), sex="F"),
            小区="飞碟苑",
            楼栋="12号楼",
            单元="1单元",
            室号="201",
            居住身份="家庭成员",
        ),
        person_row(4, 证件号码=valid_id(4, born=datetime.date(2018, 1, 1))),
        person_row(5, 证件号码=valid_id(5, born=datetime.date(1930, 1, 1))),
    ]
    # when
    job = check_and_import(staff_a, PEOPLE, people_xlsx(rows), town.grid_a.code)
    # then
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 5)
    tags = set(PersonTag.objects.values_list("person__name", "tag__code", "source"))
    names = [row[0] for row in rows]
    assert tags == {
        (names[0], "elderly-alone", "rule"),
        (names[3], "minor", "rule"),
        (names[4], "advanced-age", "rule"),
    }
    changes = person_rule_tags_recompute()
    assert (changes.added, changes.removed) == (0, 0)


def test_moving_someone_in_ends_the_living_alone_tag_of_the_resident(
    town, staff_a, places, person_factory
):
    # given an old person living alone in 1单元101
    resident = person_factory(id_number=valid_id(9, born=datetime.date(1950, 1, 1)))
    Residency.objects.create(
        person=resident,
        dwelling=places.dwellings[0],
        role="owner",
        started_on=datetime.date(2010, 1, 1),
    )
    person_rule_tags_recompute(person_ids=[resident.pk])
    assert list(resident.person_tags.values_list("tag__code", flat=True)) == ["elderly-alone"]
    # when a family member is imported into the same dwelling
    row = person_row(1, 小区="飞碟苑", 楼栋="12号楼", 单元="1单元", 室号="101", 居住身份="家庭成员")
    job = check_and_import(staff_a, PEOPLE, people_xlsx([row]), town.grid_a.code)
    # then
    assert job.status == ImportJob.Status.DONE
    assert list(resident.person_tags.values_list("tag__code", flat=True)) == []


def test_created_people_have_their_numbers_encrypted_and_hashed_like_the_services(town, staff_a):
    number = valid_id(1)
    row = person_row(1, 证件号码=number, 手机号码="138 1234 5678", 联系人电话="021-64001234")
    job = check_and_import(staff_a, PEOPLE, people_xlsx([row]), town.grid_a.code)

    person = Person.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert unprotect_id_number(person.id_number_encrypted) == number
    assert unprotect_phone(person.phone_encrypted) == "13812345678"
    assert unprotect_phone(person.contact_phone_encrypted) == "02164001234"
    assert (person.id_number_prefix, person.id_number_last4) == (number[:6], number[-4:])
    assert (person.phone_prefix, person.phone_last4) == ("138", "5678")
    assert (person.version, person.is_deceased, person.verified_at) == (1, False, None)
    assert person.created_at == person.updated_at


def test_an_update_keeps_cells_left_empty_and_bumps_the_version(town, staff_a, person_factory):
    person = person_factory(id_number=valid_id(1), name="王小明", ethnicity="汉族")
    before = Person.objects.get(pk=person.pk)
    row = person_row(1, 姓名="王晓明", 民族="")

    job = check_and_import(staff_a, PEOPLE, people_xlsx([row]), town.grid_a.code)

    after = Person.objects.get(pk=person.pk)
    assert (job.status, job.updated_count) == (ImportJob.Status.DONE, 1)
    assert (after.name, after.name_pinyin, after.name_initials) == ("王晓明", "wangxiaoming", "wxm")
    assert (after.ethnicity, after.version) == ("汉族", before.version + 1)
    assert after.updated_at > before.updated_at


def test_a_person_changed_between_check_and_import_is_not_overwritten(
    town, staff_a, person_factory
):
    # given a checked upload that updates a registered person
    person = person_factory(id_number=valid_id(1), name="王小明")
    job = check(staff_a, PEOPLE, people_xlsx([person_row(1, 姓名="王晓明")]), town.grid_a.code)
    # when someone else edits the person before the import runs
    Person.objects.filter(pk=person.pk).update(name="王小鸣", version=person.version + 1)
    from gridgov.registry.services.imports import import_job_commit, import_job_run

    job = import_job_commit(actor=staff_a, job_id=job.pk)
    job = import_job_run(job_id=job.pk)
    # then
    assert job.status == ImportJob.Status.FAILED
    assert Person.objects.get(pk=person.pk).name == "王小鸣"
