"""Rental registration: the landlord comes with every tenant; all or nothing; follow-up."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from gridgov.core.models import AuditEntry, Notice
from gridgov.grids.models import Post
from gridgov.registry.models import Lease, Person, Residency
from gridgov.registry.selectors.leases import lease_list_for_actor
from gridgov.registry.services.leases import lease_end, lease_expiry_reminders, lease_register
from gridgov.registry.services.residency import residency_start
from gridgov.registry.tests.factories import LeaseFactory
from gridgov.registry.tests.helpers_housing import (
    community_staff_a,
    grid_worker_b,
    housing_counts,
    new_person_fields,
    posted_grid_worker,
    with_bad_check_digit,
)

D = datetime.date


def test_landlord_registers_a_lease_with_all_tenants_in_one_transaction(
    town, make_member, places, person_factory
):
    # given: a landlord and a returning tenant in the registry, two newcomers who are not
    staff = community_staff_a(make_member, town)
    landlord = person_factory()
    known_tenant = person_factory(cell=town.community_a)
    newcomers = [new_person_fields(), new_person_fields(sex="F")]
    dwelling = places.dwellings[0]
    # when
    lease = lease_register(
        actor=staff,
        dwelling_id=dwelling.pk,
        landlord=landlord.pk,
        tenants=[known_tenant.pk, *newcomers],
        started_on=D(2026, 3, 1),
        ends_on=D(2027, 2, 28),
    )
    # then
    tenants = list(lease.tenants.order_by("id"))
    assert tenants[0] == known_tenant
    assert [person.name for person in tenants[1:]] == [fields["name"] for fields in newcomers]
    assert (lease.landlord, lease.registered_by, lease.status) == (landlord, staff, "active")
    residencies = Residency.objects.filter(lease=lease).order_by("person_id")
    assert [(r.person_id, r.dwelling_id, r.role, r.started_on) for r in residencies] == [
        (person.pk, dwelling.pk, "tenant", D(2026, 3, 1)) for person in tenants
    ]
    assert set(
        Person.objects.filter(pk__in=[p.pk for p in tenants]).values_list("cell", flat=True)
    ) == {town.grid_a.pk}
    assert AuditEntry.objects.filter(action="registry.lease.register").count() == 1
    assert lease.is_group_rental_warning is False


def test_a_bad_tenant_id_number_rolls_back_the_whole_registration(
    town, make_member, places, person_factory
):
    # given: the first newcomer is fine, the second's ID has a wrong check digit
    staff = community_staff_a(make_member, town)
    landlord = person_factory()
    good = new_person_fields()
    bad = new_person_fields()
    bad["id_number"] = with_bad_check_digit(bad["id_number"])
    before = housing_counts()
    # when
    with pytest.raises(ValidationError) as caught:
        lease_register(
            actor=staff,
            dwelling_id=places.dwellings[0].pk,
            landlord=landlord.pk,
            tenants=[good, bad],
            started_on=D(2026, 3, 1),
            ends_on=D(2027, 3, 1),
        )
    # then: the reason names the tenant, not the number; nothing at all was written
    assert list(caught.value.message_dict) == ["tenants[1].id_number"]
    assert bad["id_number"] not in str(caught.value)
    assert housing_counts() == before
    assert not Person.objects.filter(name=good["name"]).exists()


def test_a_tenant_still_living_elsewhere_rolls_back_the_lease(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    settled = person_factory()
    residency_start(
        actor=staff,
        person_id=settled.pk,
        dwelling_id=places.dwellings[3].pk,
        role=Residency.Role.OWNER,
        started_on=D(2019, 1, 1),
    )
    landlord = person_factory()
    before = housing_counts()
    with pytest.raises(ValidationError) as caught:
        lease_register(
            actor=staff,
            dwelling_id=places.dwellings[0].pk,
            landlord=landlord.pk,
            tenants=[new_person_fields(), settled.pk],
            started_on=D(2026, 3, 1),
            ends_on=D(2027, 3, 1),
        )
    assert list(caught.value.message_dict) == ["tenants[1].person"]
    assert housing_counts() == before


@pytest.mark.parametrize("ends_on", [D(2026, 2, 28), D(2026, 3, 1)])
@pytest.mark.usefixtures("english")
def test_a_lease_that_ends_before_it_starts_is_refused(
    town, make_member, places, person_factory, ends_on
):
    staff = community_staff_a(make_member, town)
    landlord = person_factory()
    before = housing_counts()
    with pytest.raises(ValidationError) as caught:
        lease_register(
            actor=staff,
            dwelling_id=places.dwellings[0].pk,
            landlord=landlord.pk,
            tenants=[new_person_fields()],
            started_on=D(2026, 3, 1),
            ends_on=ends_on,
        )
    assert caught.value.message_dict == {"ends_on": ["the lease ends before it starts"]}
    assert housing_counts() == before


def test_a_person_given_by_details_already_in_the_registry_is_not_registered_twice(
    town, make_member, places
):
    staff = community_staff_a(make_member, town)
    landlord_fields = new_person_fields(born=D(1965, 8, 8))
    first = lease_register(
        actor=staff,
        dwelling_id=places.dwellings[0].pk,
        landlord=landlord_fields,
        tenants=[new_person_fields()],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    second = lease_register(
        actor=staff,
        dwelling_id=places.dwellings[1].pk,
        landlord=landlord_fields,
        tenants=[new_person_fields()],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    assert first.landlord_id == second.landlord_id
    assert Person.objects.filter(name=landlord_fields["name"]).count() == 1


def test_group_rental_warning_starts_below_the_configured_area_per_occupant(
    town, make_member, places, person_factory, settings
):
    # given: 30 m² and a limit of 10 m² per occupant
    settings.GRIDGOV_MIN_AREA_PER_OCCUPANT_M2 = 10
    staff = community_staff_a(make_member, town)
    worker = posted_grid_worker(make_member, town.grid_a, "worker_a_posted")
    dwelling = places.dwellings[5]
    assert dwelling.area_m2 == Decimal("30.00")
    landlord = person_factory()
    # when: three occupants — exactly 10 m² each
    at_limit = lease_register(
        actor=staff,
        dwelling_id=dwelling.pk,
        landlord=landlord.pk,
        tenants=[new_person_fields() for _ in range(3)],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    # and a fourth
    over = lease_register(
        actor=staff,
        dwelling_id=dwelling.pk,
        landlord=landlord.pk,
        tenants=[new_person_fields()],
        started_on=D(2026, 2, 1),
        ends_on=D(2027, 2, 1),
    )
    # then
    assert at_limit.is_group_rental_warning is False
    assert over.is_group_rental_warning is True
    warning = Notice.objects.get(kind="registry.group_rental")
    assert (warning.recipient, warning.level) == (worker, Notice.Level.WARNING)


def test_ending_a_lease_moves_its_tenants_out_and_keeps_the_history(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    lease = lease_register(
        actor=staff,
        dwelling_id=places.dwellings[1].pk,
        landlord=person_factory().pk,
        tenants=[new_person_fields(), new_person_fields()],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    lease_end(actor=staff, lease_id=lease.pk, ended_on=D(2026, 8, 31))
    lease.refresh_from_db()
    assert lease.status == Lease.Status.TERMINATED
    assert lease.tenants.count() == 2
    assert list(Residency.objects.filter(lease=lease).values_list("ended_on", flat=True)) == [
        D(2026, 8, 31),
        D(2026, 8, 31),
    ]


def test_a_tenant_who_renews_keeps_the_residency_on_the_new_lease(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    landlord = person_factory()
    tenant = new_person_fields()
    first = lease_register(
        actor=staff,
        dwelling_id=places.dwellings[2].pk,
        landlord=landlord.pk,
        tenants=[tenant],
        started_on=D(2025, 1, 1),
        ends_on=D(2026, 1, 1),
    )
    renewal = lease_register(
        actor=staff,
        dwelling_id=places.dwellings[2].pk,
        landlord=landlord.pk,
        tenants=[tenant],
        started_on=D(2026, 1, 1),
        ends_on=D(2027, 1, 1),
    )
    person = Person.objects.get(name=tenant["name"])
    assert list(Residency.objects.filter(person=person).values_list("lease_id", flat=True)) == [
        renewal.pk
    ]
    assert first.pk != renewal.pk


def _leases_ending(places, landlord):
    today = D(2026, 6, 1)
    soon = LeaseFactory(dwelling=places.dwellings[0], landlord=landlord, ends_on=D(2026, 6, 11))
    later = LeaseFactory(dwelling=places.dwellings[1], landlord=landlord, ends_on=D(2026, 8, 1))
    overdue = LeaseFactory(dwelling=places.dwellings[2], landlord=landlord, ends_on=D(2026, 5, 27))
    LeaseFactory(
        dwelling=places.dwellings[3], landlord=landlord, ends_on=D(2026, 6, 5), status="ended"
    )
    other_grid = LeaseFactory(dwelling=places.dwelling_b, landlord=landlord, ends_on=D(2026, 6, 20))
    return today, soon, later, overdue, other_grid


def test_expiring_leases_are_listed_soonest_first_including_overdue_ones(
    town, make_member, places, person_factory
):
    staff = community_staff_a(make_member, town)
    today, soon, _later, overdue, _other = _leases_ending(places, person_factory())
    listed = list(lease_list_for_actor(actor=staff, expiring_within_days=30, today=today))
    assert listed == [overdue, soon]
    assert [lease.tenant_count for lease in listed] == [0, 0]


def test_expiry_reminders_reach_the_grid_staff_once_however_often_the_job_runs(
    town, make_member, places, person_factory
):
    # given: a grid worker of grid A, a grid chief of community A, a grid worker of grid B
    worker_a = posted_grid_worker(make_member, town.grid_a, "posted_a")
    chief = posted_grid_worker(make_member, town.community_a, "chief_a", post=Post.GRID_CHIEF)
    worker_b = posted_grid_worker(make_member, town.grid_b, "posted_b")
    today, soon, _later, overdue, other_grid = _leases_ending(places, person_factory())
    # when
    first_run = lease_expiry_reminders(today=today, days_ahead=30)
    second_run = lease_expiry_reminders(today=today, days_ahead=30)
    # then
    assert (first_run, second_run) == (5, 0)
    received = sorted(
        Notice.objects.filter(kind="registry.lease_expiry").values_list(
            "recipient__username", "dedupe_key"
        )
    )
    assert received == sorted(
        [
            (user.username, f"registry.lease_expiry:{lease.pk}:{lease.ends_on}:{user.pk}")
            for lease, users in (
                (soon, [worker_a, chief]),
                (overdue, [worker_a, chief]),
                (other_grid, [worker_b]),
            )
            for user in users
        ]
    )
    notice = Notice.objects.get(recipient=worker_a, dedupe_key__contains=f":{soon.pk}:")
    assert (notice.level, notice.link) == (
        Notice.Level.REMINDER,
        f"/registry/dwellings/{soon.dwelling_id}/",
    )
    soon.refresh_from_db()
    assert soon.reminder_sent_at is not None
    assert AuditEntry.objects.filter(action="registry.lease.remind").count() == 1


def test_a_grid_worker_of_another_grid_sees_none_of_its_leases(
    town, make_member, places, person_factory
):
    worker = grid_worker_b(make_member, town)
    _leases_ending(places, person_factory())
    assert [lease.dwelling_id for lease in lease_list_for_actor(actor=worker)] == [
        places.dwelling_b.pk
    ]
