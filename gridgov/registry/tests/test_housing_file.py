"""The household file (一户一档) and the dwelling lists: contents, scope, bounded queries."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest

from gridgov.accounts.roles import Role
from gridgov.registry.models import HouseholdMember, Residency
from gridgov.registry.selectors.dwellings import (
    DwellingFileSection,
    dwelling_file_for_actor,
    dwelling_file_section_register,
    dwelling_file_section_unregister,
    dwelling_list_for_actor,
)
from gridgov.registry.selectors.places import DwellingNotFoundError
from gridgov.registry.services.leases import lease_register
from gridgov.registry.services.residency import (
    household_add_member,
    household_create,
    ownership_add,
    residency_end,
    residency_start,
)
from gridgov.registry.tests.helpers_housing import (
    community_staff_a,
    grid_worker_b,
    new_person_fields,
)

D = datetime.date


def _furnish(staff, dwelling, person_factory, *, tenants: int = 2):
    """Owners living in the dwelling, a household, a former resident and a lease."""
    owner, spouse, former = person_factory(), person_factory(), person_factory()
    ownership_add(
        actor=staff,
        dwelling_id=dwelling.pk,
        owner_person_id=owner.pk,
        share_numerator=1,
        share_denominator=2,
        started_on=D(2010, 1, 1),
    )
    ownership_add(
        actor=staff,
        dwelling_id=dwelling.pk,
        owner_person_id=spouse.pk,
        share_numerator=1,
        share_denominator=2,
        started_on=D(2010, 1, 1),
    )
    gone = residency_start(
        actor=staff,
        person_id=former.pk,
        dwelling_id=dwelling.pk,
        role=Residency.Role.TENANT,
        started_on=D(2008, 1, 1),
    )
    residency_end(actor=staff, residency_id=gone.pk, ended_on=D(2009, 12, 31))
    for person in (owner, spouse):
        residency_start(
            actor=staff,
            person_id=person.pk,
            dwelling_id=dwelling.pk,
            role=Residency.Role.OWNER,
            started_on=D(2010, 1, 1),
        )
    household = household_create(actor=staff, head_person_id=owner.pk, dwelling_id=dwelling.pk)
    household_add_member(
        actor=staff,
        household_id=household.pk,
        person_id=spouse.pk,
        relation=HouseholdMember.Relation.SPOUSE,
    )
    lease = lease_register(
        actor=staff,
        dwelling_id=dwelling.pk,
        landlord=owner.pk,
        tenants=[new_person_fields() for _ in range(tenants)],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    return owner, spouse, former, household, lease


def test_the_household_file_shows_residents_past_and_present_owners_leases_and_households(
    town, make_member, places, person_factory
):
    # given
    staff = community_staff_a(make_member, town)
    dwelling = places.dwellings[0]
    owner, spouse, former, household, lease = _furnish(staff, dwelling, person_factory)
    # when
    file = dwelling_file_for_actor(actor=staff, dwelling_id=dwelling.pk)
    # then
    assert file.dwelling == dwelling
    assert file.can_view_people is True
    assert {r.person_id for r in file.current_residencies} == {
        owner.pk,
        spouse.pk,
        *lease.tenants.values_list("id", flat=True),
    }
    assert [r.person_id for r in file.past_residencies] == [former.pk]
    assert [o.owner_id for o in file.owners] == [owner.pk, spouse.pk]
    assert file.owned_share == Fraction(1)
    assert file.leases == [lease]
    assert len(file.leases[0].lease_tenants.all()) == 2
    assert file.households == [household]
    assert {m.person_id for m in household.members.all()} == {owner.pk, spouse.pk}
    assert {m.person_id for m in file.households[0].current_members} == {owner.pk, spouse.pk}
    assert file.occupant_count == 4
    assert str(file.area_per_occupant) == "22.38"
    assert file.is_group_rental is False


def test_other_modules_add_their_sections_to_the_household_file(town, make_member, places):
    staff = community_staff_a(make_member, town)

    def visits(actor, dwelling):
        return DwellingFileSection(key="visits", title="走访记录", items=[dwelling.pk])

    dwelling_file_section_register("visits", visits)
    try:
        file = dwelling_file_for_actor(actor=staff, dwelling_id=places.dwellings[1].pk)
    finally:
        dwelling_file_section_unregister("visits")
    assert [(s.key, s.items) for s in file.sections] == [("visits", [places.dwellings[1].pk])]


def test_a_grid_worker_of_another_grid_gets_not_found_for_the_dwelling(town, make_member, places):
    worker = grid_worker_b(make_member, town)
    with pytest.raises(DwellingNotFoundError):
        dwelling_file_for_actor(actor=worker, dwelling_id=places.dwellings[0].pk)
    assert dwelling_file_for_actor(actor=worker, dwelling_id=places.dwelling_b.pk).dwelling == (
        places.dwelling_b
    )


def test_a_role_that_sees_places_but_not_people_gets_the_file_without_people(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    _furnish(staff, places.dwellings[0], person_factory)
    property_staff = make_member(Role.PROPERTY_STAFF, town.grid_a, "property_a")
    file = dwelling_file_for_actor(actor=property_staff, dwelling_id=places.dwellings[0].pk)
    assert file.can_view_people is False
    assert (file.current_residencies, file.past_residencies, file.owners, file.leases) == (
        [],
        [],
        [],
        [],
    )
    assert file.households == []
    assert file.occupant_count == 4


def test_the_household_file_needs_a_bounded_number_of_queries(
    town, make_member, places, person_factory, django_assert_max_num_queries
):
    # given: a crowded dwelling
    staff = community_staff_a(make_member, town)
    _furnish(staff, places.dwellings[2], person_factory, tenants=12)
    staff = type(staff).objects.get(pk=staff.pk)  # a fresh object: no cached memberships
    # when / then (one query each for the blocks of cases and alarms included)
    with django_assert_max_num_queries(15):
        file = dwelling_file_for_actor(actor=staff, dwelling_id=places.dwellings[2].pk)
        for residency in file.current_residencies + file.past_residencies:
            _ = (residency.person.name, residency.person.cell.code)
            _ = [tag.tag.name for tag in residency.person.person_tags.all()]
        for lease in file.leases:
            _ = [(t.person.name, t.person.cell.code) for t in lease.lease_tenants.all()]
            _ = lease.landlord.name
        for household in file.households:
            _ = [m.person.name for m in household.current_members]
        for ownership in file.owners:
            _ = ownership.owner.name
    assert len(file.current_residencies) == 14


def test_dwelling_list_is_scoped_and_counts_current_residents(
    town, make_member, places, person_factory, django_assert_max_num_queries
):
    staff = community_staff_a(make_member, town)
    _furnish(staff, places.dwellings[0], person_factory, tenants=1)
    with django_assert_max_num_queries(2):
        rows = list(dwelling_list_for_actor(actor=staff, building_id=places.building_a.pk))
        labels = [(row.address, row.unit.label, row.building.estate.name) for row in rows]
    assert len(labels) == 6
    assert [row.resident_count for row in rows] == [3, 0, 0, 0, 0, 0]
    assert [row.pk for row in dwelling_list_for_actor(actor=staff, query="2单元201")] == [
        places.dwellings[4].pk
    ]
    assert (
        list(
            dwelling_list_for_actor(
                actor=grid_worker_b(make_member, town), building_id=places.building_a.pk
            )
        )
        == []
    )


def test_an_elderly_person_left_alone_is_tagged_as_living_alone(
    town, make_member, places, person_factory
):
    # given: an elderly couple
    staff = community_staff_a(make_member, town)
    husband = person_factory(born=D(1948, 3, 3))
    wife = person_factory(born=D(1950, 4, 4), is_female=True)
    dwelling = places.dwellings[3]
    stays = residency_start(
        actor=staff,
        person_id=wife.pk,
        dwelling_id=dwelling.pk,
        role=Residency.Role.OWNER,
        started_on=D(1995, 1, 1),
    )
    leaves = residency_start(
        actor=staff,
        person_id=husband.pk,
        dwelling_id=dwelling.pk,
        role=Residency.Role.OWNER,
        started_on=D(1995, 1, 1),
    )
    assert not wife.person_tags.filter(tag__code="elderly-alone").exists()
    # when: he moves to a care home
    residency_end(actor=staff, residency_id=leaves.pk, ended_on=D(2026, 1, 15))
    # then
    assert list(wife.person_tags.values_list("tag__code", flat=True)) == ["elderly-alone"]
    assert stays.ended_on is None
