import datetime
import logging

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.models import IdType, Person, PersonTag
from gridgov.registry.selectors.people import PersonNotFoundError, years_before
from gridgov.registry.services.people import (
    ConcurrentEditError,
    DuplicateIdentityError,
    person_register,
    person_reveal,
    person_update,
    person_verify,
)
from gridgov.registry.services.tags import tag_set
from gridgov.registry.tests.factories import PersonFactory, ResidencyFactory, resident_id

ID_NUMBER = resident_id(datetime.date(1956, 4, 18), sequence=7, sex="F")
PHONE = "13912345678"
CONTACT_PHONE = "13698765432"


def register(actor, cell, **overrides):
    fields = {
        "actor": actor,
        "cell_code": cell.code,
        "id_type": IdType.RESIDENT_ID,
        "id_number": ID_NUMBER,
        "name": "李秀英",
        "phone": PHONE,
        "contact_name": "王强",
        "contact_phone": CONTACT_PHONE,
        "is_migrant": True,
    }
    fields.update(overrides)
    return person_register(**fields)


def raw_person_row(person_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_person WHERE id = %s", [person_id])
        return cursor.fetchone()


def test_registration_derives_sex_and_birth_date_from_the_id(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    assert person.sex == "F"
    assert person.birth_date == datetime.date(1956, 4, 18)
    assert (person.name_pinyin, person.name_initials) == ("lixiuying", "lxy")
    assert person.cell == town.grid_a


def test_database_row_holds_no_clear_id_or_phone(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    row = raw_person_row(person.pk)

    stored = " ".join(str(value) for value in row)
    assert ID_NUMBER not in stored
    assert ID_NUMBER[6:14] + ID_NUMBER[14:] not in stored
    assert PHONE not in stored
    assert CONTACT_PHONE not in stored
    assert person.id_number_last4 == ID_NUMBER[-4:]
    assert person.phone_last4 == "5678"


def test_registration_writes_one_audit_row_without_personal_data(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    entry = AuditEntry.objects.get(action="registry.person.register")
    assert entry.object_id == str(person.pk)
    assert entry.actor_id == grid_worker_a.pk
    written = f"{entry.object_label} {entry.changes} {entry.purpose}"
    assert "李秀英" not in written
    assert ID_NUMBER not in written
    assert PHONE not in written


def test_duplicate_identity_is_refused_without_naming_anyone(town, grid_worker_a, make_member):
    # given a person registered in grid A
    register(grid_worker_a, town.grid_a)
    worker_b = make_member(Role.GRID_WORKER, town.grid_b)

    # when a worker of grid B registers the same ID number in lower case
    with pytest.raises(DuplicateIdentityError) as caught:
        register(worker_b, town.grid_b, name="李秀英", id_number=ID_NUMBER.lower())

    # then nothing was added and the message names no personal data
    assert Person.objects.count() == 1
    assert AuditEntry.objects.filter(action="registry.person.register").count() == 1
    message = " ".join(caught.value.messages)
    assert "李秀英" not in message
    assert ID_NUMBER not in message


def test_the_database_itself_refuses_a_second_row_with_the_same_identity(town):
    # The guarantee is the unique constraint, so that two simultaneous registrations cannot
    # both succeed: a write that bypasses the service still fails.
    first = PersonFactory(id_number=ID_NUMBER, cell=town.grid_a)

    with pytest.raises(IntegrityError), transaction.atomic():
        PersonFactory(id_number=ID_NUMBER, cell=town.grid_b, name="另一个人")

    assert list(Person.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.usefixtures("english")
def test_registration_with_a_wrong_check_digit_is_refused_and_adds_nothing(town, grid_worker_a):
    wrong = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")

    with pytest.raises(ValidationError) as caught:
        register(grid_worker_a, town.grid_a, id_number=wrong)

    assert caught.value.message_dict["id_number"] == [
        "The check digit of the ID number is wrong; please check every digit."
    ]
    assert Person.objects.count() == 0
    assert AuditEntry.objects.filter(action="registry.person.register").count() == 0


def test_registration_with_a_phone_that_is_not_a_phone_is_refused(town, grid_worker_a):
    with pytest.raises(ValidationError) as caught:
        register(grid_worker_a, town.grid_a, phone="12345")

    assert list(caught.value.message_dict) == ["phone"]
    assert Person.objects.count() == 0


def test_a_birth_date_contradicting_the_id_is_refused(town, grid_worker_a):
    with pytest.raises(ValidationError) as caught:
        register(grid_worker_a, town.grid_a, birth_date=datetime.date(1957, 4, 18))

    assert list(caught.value.message_dict) == ["birth_date"]
    assert Person.objects.count() == 0


def test_a_passport_holder_keeps_the_given_sex_and_birth_date(town, grid_worker_a):
    person = register(
        grid_worker_a,
        town.grid_a,
        id_type=IdType.PASSPORT,
        id_number="E12345678",
        sex="M",
        birth_date=datetime.date(1988, 1, 2),
    )

    assert (person.sex, person.birth_date) == ("M", datetime.date(1988, 1, 2))
    assert (person.id_number_prefix, person.id_number_last4) == ("E1", "5678")


def test_grid_worker_cannot_register_people_in_another_grid(town, grid_worker_a):
    with pytest.raises(PermissionDenied):
        register(grid_worker_a, town.grid_b)

    assert Person.objects.count() == 0


def test_operator_cannot_register_people(town, operator):
    with pytest.raises(PermissionDenied):
        register(operator, town.grid_a)

    assert Person.objects.count() == 0


def test_update_with_the_current_version_saves_and_moves_the_version(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    updated = person_update(
        actor=grid_worker_a,
        person_id=person.pk,
        expected_version=1,
        name="李秀兰",
        phone="021-64001234",
    )

    assert updated.version == 2
    assert (updated.name, updated.name_pinyin, updated.name_initials) == (
        "李秀兰",
        "lixiulan",
        "lxl",
    )
    assert (updated.phone_prefix, updated.phone_last4) == ("021", "1234")
    entry = AuditEntry.objects.get(action="registry.person.update")
    assert entry.changes == {"fields": ["name", "phone"], "version": 2}


def test_update_with_a_stale_version_is_refused_and_changes_nothing(town, grid_worker_a):
    # given two workers opened version 1 and the first one saved
    person = register(grid_worker_a, town.grid_a)
    person_update(actor=grid_worker_a, person_id=person.pk, expected_version=1, name="李秀兰")

    # when the second one saves from version 1
    with pytest.raises(ConcurrentEditError):
        person_update(actor=grid_worker_a, person_id=person.pk, expected_version=1, name="李秀梅")

    # then the first save stands
    stored = Person.objects.get(pk=person.pk)
    assert (stored.name, stored.version) == ("李秀兰", 2)
    assert AuditEntry.objects.filter(action="registry.person.update").count() == 1


def test_update_to_an_identity_already_registered_is_refused(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)
    other = PersonFactory(cell=town.grid_a)
    other_hash = other.id_number_hash

    with pytest.raises(DuplicateIdentityError):
        person_update(
            actor=grid_worker_a, person_id=other.pk, expected_version=1, id_number=ID_NUMBER
        )

    assert Person.objects.get(pk=other.pk).id_number_hash == other_hash
    assert Person.objects.get(pk=other.pk).version == 1
    assert Person.objects.get(pk=person.pk).version == 1


def test_derived_birth_date_cannot_be_edited_apart_from_the_id(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    with pytest.raises(ValidationError) as caught:
        person_update(
            actor=grid_worker_a,
            person_id=person.pk,
            expected_version=1,
            birth_date=datetime.date(1960, 1, 1),
        )

    assert list(caught.value.message_dict) == ["birth_date"]
    assert Person.objects.get(pk=person.pk).birth_date == datetime.date(1956, 4, 18)


def test_unknown_fields_are_refused(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    with pytest.raises(ValidationError):
        person_update(
            actor=grid_worker_a, person_id=person.pk, expected_version=1, id_number_hash="x"
        )

    assert Person.objects.get(pk=person.pk).version == 1


def test_grid_worker_cannot_update_a_person_of_another_grid(town, grid_worker_a):
    other = PersonFactory(cell=town.grid_b, name="赵六")

    with pytest.raises(PersonNotFoundError):
        person_update(actor=grid_worker_a, person_id=other.pk, expected_version=1, name="赵七")

    assert Person.objects.get(pk=other.pk).name == "赵六"


def test_reveal_returns_the_clear_value_and_audits_the_purpose(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    clear_id = person_reveal(
        actor=grid_worker_a, person_id=person.pk, field="id_number", purpose="办理居住证核对"
    )
    clear_phone = person_reveal(
        actor=grid_worker_a, person_id=person.pk, field="phone", purpose="上门走访联系"
    )

    assert (clear_id, clear_phone) == (ID_NUMBER, PHONE)
    entries = AuditEntry.objects.filter(action="registry.person.reveal").order_by("id")
    assert [(e.purpose, e.changes, e.object_id) for e in entries] == [
        ("办理居住证核对", {"field": "id_number"}, str(person.pk)),
        ("上门走访联系", {"field": "phone"}, str(person.pk)),
    ]


def test_reveal_without_a_purpose_is_refused_and_not_audited(town, grid_worker_a):
    person = register(grid_worker_a, town.grid_a)

    with pytest.raises(ValidationError) as caught:
        person_reveal(actor=grid_worker_a, person_id=person.pk, field="id_number", purpose=" 核对 ")

    assert list(caught.value.message_dict) == ["purpose"]
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_reveal_needs_the_reveal_permission(town, operator):
    person = PersonFactory(cell=town.grid_a)

    with pytest.raises(PermissionDenied):
        person_reveal(actor=operator, person_id=person.pk, field="phone", purpose="统计核对数据")

    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_grid_worker_cannot_reveal_a_person_of_another_grid(town, grid_worker_a):
    other = PersonFactory(cell=town.grid_b)

    with pytest.raises(PersonNotFoundError):
        person_reveal(
            actor=grid_worker_a, person_id=other.pk, field="id_number", purpose="核对身份信息"
        )

    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_revealing_a_minor_needs_the_sensitive_permission(town, grid_worker_a, make_member):
    child = PersonFactory(cell=town.grid_a, born=years_before(datetime.date.today(), 6))
    community_staff = make_member(Role.COMMUNITY_STAFF, town.community_a)

    with pytest.raises(PermissionDenied):
        person_reveal(
            actor=grid_worker_a, person_id=child.pk, field="id_number", purpose="入学资料核对"
        )
    clear = person_reveal(
        actor=community_staff, person_id=child.pk, field="id_number", purpose="入学资料核对"
    )

    assert clear[-4:] == child.id_number_last4
    assert AuditEntry.objects.filter(action="registry.person.reveal").count() == 1


def test_revealing_a_person_with_a_health_tag_needs_the_sensitive_permission(
    town, grid_worker_a, make_member
):
    person = PersonFactory(cell=town.grid_a)
    community_staff = make_member(Role.COMMUNITY_STAFF, town.community_a)
    tag_set(actor=community_staff, person_id=person.pk, tag_code="disability", reason="持残疾证")

    with pytest.raises(PermissionDenied):
        person_reveal(actor=grid_worker_a, person_id=person.pk, field="phone", purpose="走访联系")

    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_verify_stamps_the_person_and_the_current_residency(town, grid_worker_a):
    person = PersonFactory(cell=town.grid_a)
    residency = ResidencyFactory(person=person, dwelling__building__estate__cell=town.grid_a)

    person_verify(actor=grid_worker_a, person_id=person.pk)

    person.refresh_from_db()
    residency.refresh_from_db()
    assert person.verified_at is not None
    assert residency.verified_at == person.verified_at
    assert person.version == 1
    assert AuditEntry.objects.filter(action="registry.person.verify").count() == 1


def test_registration_recomputes_rule_tags(town, grid_worker_a):
    born = years_before(datetime.date.today(), 85)
    number = resident_id(born, sequence=9, sex="M")

    person = register(grid_worker_a, town.grid_a, id_number=number)

    codes = set(PersonTag.objects.filter(person=person).values_list("tag__code", flat=True))
    assert codes == {"advanced-age"}


def test_services_log_no_personal_data(town, grid_worker_a, caplog):
    caplog.set_level(logging.DEBUG)

    person = register(grid_worker_a, town.grid_a)
    person_update(actor=grid_worker_a, person_id=person.pk, expected_version=1, name="李秀兰")
    person_reveal(actor=grid_worker_a, person_id=person.pk, field="phone", purpose="上门走访联系")
    with pytest.raises(DuplicateIdentityError):
        register(grid_worker_a, town.grid_a)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"person #{person.pk}" in logged
    for secret in (ID_NUMBER, PHONE, CONTACT_PHONE, "李秀英", "李秀兰", "王强", ID_NUMBER[-4:]):
        assert secret not in logged
