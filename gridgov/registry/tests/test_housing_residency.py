"""Residency, ownership and households: history is kept, nobody lives in two places."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError

from gridgov.accounts.tests.factories import OrganizationFactory
from gridgov.core.models import AuditEntry
from gridgov.registry.models import HouseholdMember, Ownership, Residency
from gridgov.registry.selectors.people import PersonNotFoundError
from gridgov.registry.services.housing_rules import ResidencyConflictError
from gridgov.registry.services.residency import (
    household_add_member,
    household_create,
    household_remove_member,
    ownership_add,
    ownership_end,
    ownership_share,
    residency_end,
    residency_start,
)
from gridgov.registry.tests.helpers_housing import community_staff_a, housing_counts

D = datetime.date


def test_moving_out_ends_the_residency_and_keeps_it_as_history(
    town, make_member, places, person_factory
):
    # given
    staff = community_staff_a(make_member, town)
    person = person_factory()
    first = residency_start(
        actor=staff,
        person_id=person.pk,
        dwelling_id=places.dwellings[0].pk,
        role=Residency.Role.OWNER,
        started_on=D(2015, 3, 1),
    )
    # when
    residency_end(actor=staff, residency_id=first.pk, ended_on=D(2025, 6, 30))
    second = residency_start(
        actor=staff,
        person_id=person.pk,
        dwelling_id=places.dwellings[1].pk,
        role=Residency.Role.FAMILY,
        started_on=D(2025, 7, 1),
    )
    # then
    history = list(
        Residency.objects.filter(person=person)
        .order_by("started_on")
        .values_list("dwelling_id", "started_on", "ended_on")
    )
    assert history == [
        (places.dwellings[0].pk, D(2015, 3, 1), D(2025, 6, 30)),
        (places.dwellings[1].pk, D(2025, 7, 1), None),
    ]
    assert second.verified_at is not None
    assert AuditEntry.objects.filter(action="registry.residency.end").count() == 1


def test_moving_in_moves_the_person_into_the_dwellings_cell(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    person = person_factory(cell=town.community_a)
    version = person.version
    residency_start(
        actor=staff,
        person_id=person.pk,
        dwelling_id=places.dwellings[0].pk,
        role=Residency.Role.OWNER,
        started_on=D(2020, 1, 1),
    )
    person.refresh_from_db()
    assert person.cell == town.grid_a
    assert person.version == version + 1


@pytest.mark.usefixtures("english")
def test_a_person_already_living_elsewhere_is_refused_and_nothing_is_written(
    town, make_member, places, person_factory
):
    # given
    staff = community_staff_a(make_member, town)
    person = person_factory()
    residency_start(
        actor=staff,
        person_id=person.pk,
        dwelling_id=places.dwellings[0].pk,
        role=Residency.Role.OWNER,
        started_on=D(2020, 1, 1),
    )
    before = housing_counts()
    # when
    with pytest.raises(ResidencyConflictError) as caught:
        residency_start(
            actor=staff,
            person_id=person.pk,
            dwelling_id=places.dwellings[1].pk,
            role=Residency.Role.TENANT,
            started_on=D(2026, 1, 1),
        )
    # then
    assert caught.value.reason == "lives_elsewhere"
    assert caught.value.message_dict == {
        "person": [
            "this person is still registered as living in another dwelling; "
            "record the move-out there first"
        ]
    }
    assert housing_counts() == before
    assert list(Residency.objects.filter(person=person).values_list("dwelling_id", flat=True)) == [
        places.dwellings[0].pk
    ]


def test_a_move_in_before_the_previous_move_out_is_refused(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    person = person_factory()
    first = residency_start(
        actor=staff,
        person_id=person.pk,
        dwelling_id=places.dwellings[0].pk,
        role=Residency.Role.OWNER,
        started_on=D(2020, 1, 1),
    )
    residency_end(actor=staff, residency_id=first.pk, ended_on=D(2024, 1, 1))
    with pytest.raises(ValidationError) as caught:
        residency_start(
            actor=staff,
            person_id=person.pk,
            dwelling_id=places.dwellings[1].pk,
            role=Residency.Role.OWNER,
            started_on=D(2023, 1, 1),
        )
    assert list(caught.value.message_dict) == ["started_on"]
    assert Residency.objects.filter(person=person).count() == 1


def test_a_person_outside_the_actors_area_is_answered_as_unknown(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    stranger = person_factory(cell=town.grid_b)
    with pytest.raises(PersonNotFoundError):
        residency_start(
            actor=staff,
            person_id=stranger.pk,
            dwelling_id=places.dwellings[0].pk,
            role=Residency.Role.TENANT,
            started_on=D(2026, 1, 1),
        )
    assert not Residency.objects.filter(person=stranger).exists()


def test_ownership_shares_are_exact_fractions_that_never_exceed_the_whole(
    town, make_member, places, person_factory
):
    # given: two owners with a third and two thirds
    staff = community_staff_a(make_member, town)
    dwelling = places.dwellings[0]
    husband, wife, third = person_factory(), person_factory(), person_factory()
    first = ownership_add(
        actor=staff,
        dwelling_id=dwelling.pk,
        owner_person_id=husband.pk,
        share_numerator=1,
        share_denominator=3,
        started_on=D(2018, 5, 1),
    )
    second = ownership_add(
        actor=staff,
        dwelling_id=dwelling.pk,
        owner_person_id=wife.pk,
        share_numerator=4,
        share_denominator=6,
        started_on=D(2018, 5, 1),
    )
    # then: stored reduced, adding up to exactly one
    assert (second.share_numerator, second.share_denominator) == (2, 3)
    assert ownership_share(first) + ownership_share(second) == Fraction(1)
    # when: a third owner would exceed the whole
    with pytest.raises(ValidationError) as caught:
        ownership_add(
            actor=staff,
            dwelling_id=dwelling.pk,
            owner_person_id=third.pk,
            share_numerator=1,
            share_denominator=1000,
            started_on=D(2026, 1, 1),
        )
    assert list(caught.value.message_dict) == ["share"]
    assert Ownership.objects.filter(dwelling=dwelling).count() == 2


def test_an_ended_ownership_frees_its_share_and_stays_as_history(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    dwelling = places.dwellings[1]
    seller, buyer = person_factory(), person_factory()
    sold = ownership_add(
        actor=staff, dwelling_id=dwelling.pk, owner_person_id=seller.pk, started_on=D(2010, 1, 1)
    )
    ownership_end(actor=staff, ownership_id=sold.pk, ended_on=D(2025, 9, 1))
    bought = ownership_add(
        actor=staff, dwelling_id=dwelling.pk, owner_person_id=buyer.pk, started_on=D(2025, 9, 1)
    )
    assert list(
        Ownership.objects.filter(dwelling=dwelling)
        .order_by("id")
        .values_list("owner_id", "ended_on")
    ) == [(seller.pk, D(2025, 9, 1)), (buyer.pk, None)]
    assert ownership_share(bought) == Fraction(1)


def test_an_organisation_can_own_an_unsold_dwelling(town, make_member, places):
    staff = community_staff_a(make_member, town)
    developer = OrganizationFactory(code="dev-1", name="某置业公司")
    ownership = ownership_add(
        actor=staff,
        dwelling_id=places.dwellings[2].pk,
        owner_organization_id=developer.pk,
        started_on=D(2012, 1, 1),
    )
    assert (ownership.owner_id, ownership.owner_organization_id) == (None, developer.pk)


@pytest.mark.usefixtures("english")
def test_a_household_has_one_head_and_members_with_their_relation(
    town, make_member, places, person_factory
):
    # given
    staff = community_staff_a(make_member, town)
    head, spouse, child = person_factory(), person_factory(), person_factory()
    # when
    household = household_create(
        actor=staff,
        head_person_id=head.pk,
        dwelling_id=places.dwellings[0].pk,
        joined_on=D(2015, 1, 1),
    )
    household_add_member(
        actor=staff,
        household_id=household.pk,
        person_id=spouse.pk,
        relation=HouseholdMember.Relation.SPOUSE,
    )
    household_add_member(
        actor=staff,
        household_id=household.pk,
        person_id=child.pk,
        relation=HouseholdMember.Relation.CHILD,
    )
    # then
    assert household.number == f"H{household.pk:08d}"
    assert household.head == head
    assert sorted(household.members.values_list("person_id", "relation")) == sorted(
        [(head.pk, "head"), (spouse.pk, "spouse"), (child.pk, "child")]
    )
    with pytest.raises(ValidationError) as caught:
        household_add_member(
            actor=staff,
            household_id=household.pk,
            person_id=person_factory().pk,
            relation=HouseholdMember.Relation.HEAD,
        )
    assert caught.value.message_dict == {"relation": ["the household already has a head"]}
    assert household.members.count() == 3


def test_a_person_belongs_to_one_household_at_a_time(town, make_member, places, person_factory):
    staff = community_staff_a(make_member, town)
    first = household_create(actor=staff, head_person_id=person_factory().pk)
    second = household_create(actor=staff, head_person_id=person_factory().pk)
    member = person_factory()
    household_add_member(
        actor=staff,
        household_id=first.pk,
        person_id=member.pk,
        relation=HouseholdMember.Relation.SIBLING,
    )
    with pytest.raises(ValidationError) as caught:
        household_add_member(
            actor=staff,
            household_id=second.pk,
            person_id=member.pk,
            relation=HouseholdMember.Relation.OTHER,
        )
    assert list(caught.value.message_dict) == ["person"]
    assert not second.members.filter(person=member).exists()


def test_a_member_who_leaves_is_kept_with_the_date_and_the_head_leaves_last(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    head, child = person_factory(), person_factory()
    household = household_create(actor=staff, head_person_id=head.pk, joined_on=D(2010, 1, 1))
    household_add_member(
        actor=staff,
        household_id=household.pk,
        person_id=child.pk,
        relation=HouseholdMember.Relation.CHILD,
        joined_on=D(2010, 1, 1),
    )
    with pytest.raises(ValidationError):
        household_remove_member(actor=staff, household_id=household.pk, person_id=head.pk)
    left = household_remove_member(
        actor=staff, household_id=household.pk, person_id=child.pk, left_on=D(2026, 2, 1)
    )
    assert left.left_on == D(2026, 2, 1)
    assert list(household.members.order_by("id").values_list("person_id", "left_on")) == [
        (head.pk, None),
        (child.pk, D(2026, 2, 1)),
    ]
