import datetime
import json

import pytest

from gridgov.accounts.roles import Role
from gridgov.registry.presenters import PersonPresenter
from gridgov.registry.selectors.people import person_get_for_actor, person_list_for_actor
from gridgov.registry.services.tags import person_rule_tags_recompute, tag_set
from gridgov.registry.tests.factories import ResidencyFactory, resident_id

TODAY = datetime.date(2026, 11, 22)
ADULT_ID = resident_id(datetime.date(1975, 8, 9), sequence=21, sex="F")
CHILD_ID = resident_id(datetime.date(2019, 2, 3), sequence=22, sex="M")


@pytest.fixture
def community_staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a)


@pytest.fixture
def adult(places, person_factory):
    person = person_factory(
        name="陈丽", id_number=ADULT_ID, phone="13812345678", contact_phone="02164001234"
    )
    ResidencyFactory(person=person, dwelling=places.dwellings[2])
    return person


@pytest.fixture
def child(town, person_factory):
    person = person_factory(name="陈小明", id_number=CHILD_ID, phone="")
    person_rule_tags_recompute(person_ids=[person.pk], today=TODAY)
    return person


def row_for(actor, person):
    fetched = person_get_for_actor(actor=actor, person_id=person.pk)
    return PersonPresenter(actor, today=TODAY).row(fetched)


def test_identifiers_are_always_masked_even_for_staff_who_may_reveal(adult, community_staff):
    row = row_for(community_staff, adult)

    assert row["id_number_masked"] == f"310112********{ADULT_ID[-4:]}"
    assert row["phone_masked"] == "138****5678"
    assert row["contact_phone_masked"] == "021****1234"
    assert ADULT_ID not in json.dumps(row, default=str)
    assert "13812345678" not in json.dumps(row, default=str)


def test_an_ordinary_row_shows_name_age_sex_address_and_area(adult, grid_worker_a, town):
    row = row_for(grid_worker_a, adult)

    assert row["name"] == "陈丽"
    assert (row["sex"], row["age"], row["birth_date"]) == ("F", 51, datetime.date(1975, 8, 9))
    assert row["address"] == "马桥镇飞碟苑12号楼1单元301室"
    assert (row["cell_code"], row["cell_name"]) == (town.grid_a.code, "飞碟苑第一网格")
    assert row["is_restricted"] is False


def test_a_minor_is_restricted_for_an_actor_without_the_sensitive_permission(child, grid_worker_a):
    row = row_for(grid_worker_a, child)

    assert (row["name"], row["age"], row["birth_date"], row["tags"]) == ("陈**", None, None, [])
    assert row["is_restricted"] is True
    assert row["id_number_masked"] == f"310112********{CHILD_ID[-4:]}"


def test_a_minor_is_shown_in_full_to_an_actor_with_the_sensitive_permission(child, community_staff):
    row = row_for(community_staff, child)

    assert (row["name"], row["age"], row["tags"]) == ("陈小明", 7, ["未成年"])
    assert row["is_restricted"] is False


def test_a_health_tag_restricts_the_person_and_hides_the_tag(adult, grid_worker_a, community_staff):
    tag_set(actor=community_staff, person_id=adult.pk, tag_code="special-illness", reason="建档")

    row = row_for(grid_worker_a, adult)

    assert (row["name"], row["tags"], row["is_restricted"]) == ("陈*", [], True)


def test_rows_of_a_page_cost_no_extra_query(adult, child, operator, django_assert_num_queries):
    people = list(person_list_for_actor(actor=operator, today=TODAY))
    presenter = PersonPresenter(operator, today=TODAY)

    with django_assert_num_queries(0):
        rows = presenter.rows(people)

    assert [row["name"] for row in rows] == ["陈丽", "陈**"]
