import datetime

import pytest
from django.db import connection

from gridgov.accounts.roles import Role
from gridgov.registry.models import IdType, Person
from gridgov.registry.selectors.people import (
    PersonNotFoundError,
    person_get_for_actor,
    person_list_for_actor,
)
from gridgov.registry.services.protection import name_pinyin
from gridgov.registry.services.tags import tag_set
from gridgov.registry.tests.factories import PersonTagFactory, ResidencyFactory, resident_id

TODAY = datetime.date(2026, 11, 22)
ZHANG_ID = resident_id(datetime.date(1980, 5, 6), sequence=11, sex="M")


@pytest.fixture
def people(town, places, person_factory):
    zhang = person_factory(name="张三", id_number=ZHANG_ID, phone="13800001111")
    zhao = person_factory(name="赵四", born=datetime.date(1940, 1, 1), phone="13900002222")
    zhan = person_factory(name="詹天佑", born=datetime.date(2018, 3, 3), is_migrant=True)
    wang = person_factory(name="王五", cell=town.grid_b, phone="13700001111")
    ResidencyFactory(person=zhang, dwelling=places.dwellings[0])
    ResidencyFactory(person=zhao, dwelling=places.dwellings[4])
    ResidencyFactory(person=wang, dwelling=places.dwelling_b)
    return {"zhang": zhang, "zhao": zhao, "zhan": zhan, "wang": wang}


def names(actor, **filters):
    filters.setdefault("today", TODAY)
    return [person.name for person in person_list_for_actor(actor=actor, **filters)]


def test_operator_sees_everyone_in_the_town_ordered_by_pinyin(people, operator):
    assert names(operator) == ["王五", "张三", "詹天佑", "赵四"]


def test_grid_worker_of_grid_a_does_not_see_people_of_grid_b(people, grid_worker_a):
    assert names(grid_worker_a) == ["张三", "詹天佑", "赵四"]
    assert names(grid_worker_a, query="王五") == []
    assert names(grid_worker_a, query="1111") == ["张三"]


def test_grid_worker_cannot_get_a_person_of_another_grid(people, grid_worker_a):
    with pytest.raises(PersonNotFoundError):
        person_get_for_actor(actor=grid_worker_a, person_id=people["wang"].pk)


def test_a_department_handler_sees_nobody(people, town, make_member):
    handler = make_member(Role.DEPARTMENT_HANDLER, town.town)

    assert names(handler) == []
    with pytest.raises(PersonNotFoundError):
        person_get_for_actor(actor=handler, person_id=people["zhang"].pk)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张三", ["张三"]),
        ("张", ["张三"]),
        ("zhangsan", ["张三"]),
        ("ZhangSan", ["张三"]),
        ("zhan", ["张三", "詹天佑"]),
        ("zs", ["张三", "赵四"]),
        ("zsan", []),
        ("zty", ["詹天佑"]),
        ("z", ["张三", "詹天佑", "赵四"]),
        ("天佑", []),
    ],
)
def test_search_by_characters_full_pinyin_and_initials(people, operator, query, expected):
    assert names(operator, query=query) == expected


def test_search_by_last_digits_of_id_or_phone(people, operator):
    assert names(operator, query=ZHANG_ID[-4:]) == ["张三"]
    assert names(operator, query="2222") == ["赵四"]
    assert names(operator, query="1111") == ["王五", "张三"]
    assert names(operator, query="001111") == ["王五", "张三"]


def test_too_few_digits_match_nobody(people, operator):
    assert names(operator, query="111") == []


def test_search_by_exact_full_id_number_goes_through_the_keyed_hash(people, operator):
    assert names(operator, query=ZHANG_ID) == ["张三"]
    other = resident_id(datetime.date(1980, 5, 6), sequence=12, sex="M")
    assert other[-4:] != ZHANG_ID[-4:]
    assert names(operator, query=other) == []


def test_search_by_exact_full_phone_number(people, operator):
    assert names(operator, query="138-0000-1111") == ["张三"]


def test_search_by_passport_number(town, operator, person_factory):
    person_factory(name="Anna Meyer", id_type=IdType.PASSPORT, id_number="C01X00T47")

    assert names(operator, query="c01x00t47") == ["Anna Meyer"]
    assert names(operator, query="anna") == ["Anna Meyer"]


def test_search_by_address_fragment_of_the_current_dwelling(people, operator):
    assert names(operator, query="12号楼1单元") == ["张三"]
    assert names(operator, query="飞碟苑") == ["张三", "赵四"]
    assert names(operator, query="彭渡新村3号") == ["王五"]


def test_a_past_dwelling_does_not_match_the_address(people, operator, places):
    ResidencyFactory(
        person=people["zhan"],
        dwelling=places.dwellings[2],
        started_on=datetime.date(2019, 1, 1),
        ended_on=datetime.date(2020, 1, 1),
    )

    assert names(operator, query="12号楼1单元") == ["张三"]


def test_filter_by_age_range(people, operator):
    assert names(operator, age_min=80) == ["赵四"]
    assert names(operator, age_max=13) == ["詹天佑"]
    assert names(operator, age_min=30, age_max=60) == ["王五", "张三"]


def test_filter_by_cell_migrant_status_and_tag(people, operator, town):
    PersonTagFactory(person=people["zhang"], tag__code="volunteer")

    assert names(operator, cell_code=town.grid_b.code) == ["王五"]
    assert names(operator, cell_code=town.community_a.code) == ["张三", "詹天佑", "赵四"]
    assert names(operator, is_migrant=True) == ["詹天佑"]
    assert names(operator, tag="volunteer") == ["张三"]


def test_filter_by_a_sensitive_tag_needs_the_sensitive_permission(
    people, grid_worker_a, make_member, town
):
    community_staff = make_member(Role.COMMUNITY_STAFF, town.community_a)
    tag_set(
        actor=community_staff, person_id=people["zhao"].pk, tag_code="disability", reason="持证"
    )

    assert names(community_staff, tag="disability") == ["赵四"]
    assert names(grid_worker_a, tag="disability") == []


def test_filters_combine(people, operator):
    assert names(operator, query="z", age_min=80) == ["赵四"]
    assert names(operator, query="z", is_migrant=False, age_max=60) == ["张三"]


def test_the_people_list_costs_a_fixed_number_of_queries(
    town, places, operator, person_factory, django_assert_num_queries
):
    for index in range(12):
        person = person_factory(name=f"居民{index}")
        PersonTagFactory(person=person, tag__code="volunteer")
        ResidencyFactory(person=person, dwelling=places.dwellings[index % 6])

    with django_assert_num_queries(4):  # memberships, people, tags, residencies
        rows = list(person_list_for_actor(actor=operator)[:50])
        addresses = [row.current_residencies[0].dwelling.address for row in rows]
        tags = [[link.tag.name for link in row.person_tags.all()] for row in rows]

    assert len(addresses) == 12
    assert tags[0] == ["志愿者"]


def test_a_query_both_a_pinyin_and_an_initials_prefix_finds_both_in_pinyin_order(
    town, operator, person_factory
):
    # given: 曾辉 has the initials "zh", 张三 and 赵四 a pinyin starting with "zh"
    for name in ("曾辉", "张三", "赵四", "周华", "李雷"):
        person_factory(name=name)

    assert names(operator, query="zh") == ["曾辉", "张三", "赵四", "周华"]
    assert names(operator, query="zha") == ["张三", "赵四"]


def test_the_first_character_of_a_name_finds_every_name_starting_with_it(
    town, operator, person_factory
):
    for name in ("王五", "王伟", "汪洋", "王"):
        person_factory(name=name)

    assert names(operator, query="王") == ["王", "王伟", "王五"]
    assert names(operator, query="王伟") == ["王伟"]


def test_a_letters_only_document_number_is_found_beside_the_names(town, operator, person_factory):
    person_factory(name="Anna Meyer", id_type=IdType.PASSPORT, id_number="ZHANGSAN")
    person_factory(name="张三")

    assert names(operator, query="zhangsan") == ["Anna Meyer", "张三"]


@pytest.mark.parametrize(
    "name", ["张三", "John Smith", "Anna-Lena Meyer", "阿卜杜拉·买买提", "㐀㐁"]
)
def test_pinyin_and_initials_start_with_the_same_letter_as_the_search_assumes(name):
    full, initials = name_pinyin(name)

    assert full[0] == initials[0]


def test_the_search_indexes_exist(db):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Person._meta.db_table)

    assert {"registry_person_name_head_idx", "registry_person_inits_head_idx"} <= set(indexes)
