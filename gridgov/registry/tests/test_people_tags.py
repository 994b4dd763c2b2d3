import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.models import PersonTag, Tag
from gridgov.registry.selectors.people import PersonNotFoundError
from gridgov.registry.services.tags import person_rule_tags_recompute, tag_remove, tag_set
from gridgov.registry.tasks import recompute_rule_tags
from gridgov.registry.tests.factories import ResidencyFactory

TODAY = datetime.date(2026, 11, 22)


def codes(person):
    return set(PersonTag.objects.filter(person=person).values_list("tag__code", flat=True))


def test_the_catalogue_holds_rule_and_staff_tags_with_their_sensitivity(db):
    catalogue = {tag.code: (tag.name, tag.kind, tag.sensitivity) for tag in Tag.objects.all()}

    assert catalogue["elderly-alone"] == ("独居老人", "rule", "none")
    assert catalogue["advanced-age"] == ("高龄", "rule", "none")
    assert catalogue["minor"] == ("未成年", "rule", "minor")
    assert catalogue["disability"] == ("残疾", "staff", "health")
    assert catalogue["maternal"] == ("孕产妇", "staff", "health")
    assert catalogue["special-illness"] == ("特殊病患", "staff", "health")
    assert catalogue["low-income"] == ("困难家庭/低保", "staff", "none")
    assert {"key-youth", "veteran", "party-member", "volunteer"} <= set(catalogue)


def test_eightieth_birthday_today_makes_a_person_advanced_age(town, person_factory):
    turns_80 = person_factory(born=datetime.date(1946, 11, 22))
    turns_80_tomorrow = person_factory(born=datetime.date(1946, 11, 23))

    person_rule_tags_recompute(today=TODAY)

    assert codes(turns_80) == {"advanced-age"}
    assert codes(turns_80_tomorrow) == set()


def test_elderly_person_alone_in_the_dwelling_is_tagged_living_alone(places, person_factory):
    alone = person_factory(born=datetime.date(1960, 1, 1))
    with_family = person_factory(born=datetime.date(1950, 1, 1))
    daughter = person_factory(born=datetime.date(1980, 1, 1))
    young_alone = person_factory(born=datetime.date(1990, 1, 1))
    ResidencyFactory(person=alone, dwelling=places.dwellings[0])
    ResidencyFactory(person=with_family, dwelling=places.dwellings[1])
    ResidencyFactory(person=daughter, dwelling=places.dwellings[1])
    ResidencyFactory(person=young_alone, dwelling=places.dwellings[2])

    person_rule_tags_recompute(today=TODAY)

    assert codes(alone) == {"elderly-alone"}
    assert codes(with_family) == set()
    assert codes(young_alone) == set()


def test_when_the_family_moves_out_the_elderly_person_becomes_alone(places, person_factory):
    elder = person_factory(born=datetime.date(1950, 1, 1))
    son = person_factory(born=datetime.date(1978, 1, 1))
    ResidencyFactory(person=elder, dwelling=places.dwellings[0])
    residency = ResidencyFactory(person=son, dwelling=places.dwellings[0])
    person_rule_tags_recompute(today=TODAY)
    assert codes(elder) == set()

    residency.ended_on = TODAY
    residency.save(update_fields=["ended_on"])
    person_rule_tags_recompute(person_ids=[elder.pk], today=TODAY)

    assert codes(elder) == {"elderly-alone"}


def test_under_fourteen_is_tagged_minor_until_the_fourteenth_birthday(town, person_factory):
    child = person_factory(born=datetime.date(2012, 11, 23))
    just_fourteen = person_factory(born=datetime.date(2012, 11, 22))

    person_rule_tags_recompute(today=TODAY)

    assert codes(child) == {"minor"}
    assert codes(just_fourteen) == set()


def test_rule_tags_go_away_when_the_rule_no_longer_holds(town, person_factory):
    child = person_factory(born=datetime.date(2012, 11, 23))
    person_rule_tags_recompute(today=TODAY)

    changes = person_rule_tags_recompute(today=datetime.date(2026, 11, 23))

    assert codes(child) == set()
    assert (changes.added, changes.removed) == (0, 1)


def test_recompute_is_idempotent_and_the_sweep_is_audited(town, person_factory):
    person_factory(born=datetime.date(1930, 1, 1))

    first = person_rule_tags_recompute(today=TODAY)
    second = person_rule_tags_recompute(today=TODAY)

    assert (first.added, first.removed) == (1, 0)
    assert (second.added, second.removed) == (0, 0)
    assert AuditEntry.objects.filter(action="registry.tags.recompute").count() == 2


def test_deceased_people_carry_no_rule_tag(town, person_factory):
    person = person_factory(born=datetime.date(1930, 1, 1), is_deceased=True)

    person_rule_tags_recompute(today=TODAY)

    assert codes(person) == set()


def test_the_daily_task_recomputes_every_rule_tag(town, person_factory):
    person = person_factory(born=datetime.date(1930, 1, 1))

    changed = recompute_rule_tags()

    assert changed == 1
    assert codes(person) == {"advanced-age"}


def test_staff_tag_records_who_when_and_why(town, grid_worker_a, person_factory):
    person = person_factory()

    link = tag_set(
        actor=grid_worker_a, person_id=person.pk, tag_code="veteran", reason="退役军人证已核验"
    )

    assert (link.source, link.set_by, link.reason) == ("staff", grid_worker_a, "退役军人证已核验")
    assert link.set_at is not None
    entry = AuditEntry.objects.get(action="registry.person.tag_set")
    assert (entry.object_id, entry.changes) == (str(person.pk), {"tag": "veteran", "created": True})


def test_staff_tag_needs_a_reason(town, grid_worker_a, person_factory):
    person = person_factory()

    with pytest.raises(ValidationError):
        tag_set(actor=grid_worker_a, person_id=person.pk, tag_code="veteran", reason=" ")

    assert codes(person) == set()


def test_rule_tags_cannot_be_set_by_hand(town, grid_worker_a, person_factory):
    person = person_factory()

    with pytest.raises(ValidationError):
        tag_set(actor=grid_worker_a, person_id=person.pk, tag_code="advanced-age", reason="手工")

    assert codes(person) == set()


def test_health_tags_need_the_sensitive_permission(
    town, grid_worker_a, make_member, person_factory
):
    person = person_factory()

    with pytest.raises(PermissionDenied):
        tag_set(actor=grid_worker_a, person_id=person.pk, tag_code="maternal", reason="孕期建档")
    community_staff = make_member(Role.COMMUNITY_STAFF, town.community_a)
    tag_set(actor=community_staff, person_id=person.pk, tag_code="maternal", reason="孕期建档")

    assert codes(person) == {"maternal"}


def test_removing_a_staff_tag_is_audited_and_a_missing_one_is_a_no_op(
    town, grid_worker_a, person_factory
):
    person = person_factory()
    tag_set(actor=grid_worker_a, person_id=person.pk, tag_code="volunteer", reason="报名志愿者")

    removed = tag_remove(
        actor=grid_worker_a, person_id=person.pk, tag_code="volunteer", reason="本人退出"
    )
    removed_again = tag_remove(actor=grid_worker_a, person_id=person.pk, tag_code="volunteer")

    assert (removed, removed_again) == (True, False)
    assert codes(person) == set()
    assert AuditEntry.objects.filter(action="registry.person.tag_remove").count() == 1


def test_grid_worker_cannot_tag_a_person_of_another_grid(town, grid_worker_a, person_factory):
    person = person_factory(cell=town.grid_b)

    with pytest.raises(PersonNotFoundError):
        tag_set(actor=grid_worker_a, person_id=person.pk, tag_code="volunteer", reason="报名")

    assert codes(person) == set()
