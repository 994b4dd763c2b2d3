"""The people pages: search, the person page with reveal, edit, verify and tags, registration
and export — through the web client, as a community worker uses them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.core.models import AuditEntry
from gridgov.registry.models import Person, PersonTag
from gridgov.registry.services.people import ConcurrentEditError
from gridgov.registry.services.protection import unprotect_id_number
from gridgov.registry.tests.factories import resident_id
from gridgov.registry.tests.helpers_views import (
    PHONE_A,
    World,
    build_world,
    sign_in_as,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, places, person_factory, make_member) -> World:
    return build_world(
        town=town, places=places, person_factory=person_factory, make_member=make_member
    )


def _names(html: str) -> set[str]:
    return {name for name in ("张三", "李四", "王五") if name in html}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("张", {"张三"}),
        ("zhangsan", {"张三"}),
        ("zs", {"张三"}),
        ("ls", {"李四"}),
        ("5678", {"张三"}),
    ],
)
def test_live_search_finds_people_by_characters_pinyin_initials_and_last_digits(
    world: World, query: str, expected: set[str]
) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(reverse("registry:person_list"), {"q": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # the htmx partial, not the page
    assert _names(response.content.decode()) == expected


def test_search_by_exact_full_id_number_finds_the_person(world: World) -> None:
    client = sign_in_as(Client(), world.users["community_staff"])
    full_id = unprotect_id_number(world.person_a.id_number_encrypted)
    html = client.post(
        reverse("registry:person_list"), {"q": full_id}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert _names(html) == {"张三"}
    assert full_id not in html  # the results show it masked


def test_people_list_filters_by_tag_link_and_lists_only_people_carrying_it(world: World) -> None:
    # given 李四 carries the volunteer tag
    from gridgov.registry.models import Tag

    PersonTag.objects.create(
        person=world.tenant_a,
        tag=Tag.objects.get(code="volunteer"),
        source=PersonTag.Source.STAFF,
        set_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    html = client.get(reverse("registry:person_list") + "?tag=volunteer").content.decode()
    assert _names(html) == {"李四"}


def test_people_list_uses_a_bounded_number_of_queries_for_a_full_page(
    world: World, person_factory, town, django_assert_max_num_queries
) -> None:
    for _ in range(60):
        person_factory(cell=town.grid_a)
    client = sign_in_as(Client(), world.users["community_staff"])
    with django_assert_max_num_queries(16):
        response = client.get(reverse("registry:person_list"))
    assert response.status_code == 200
    assert response.content.decode().count('data-person="') == 50


def test_reveal_shows_the_clear_number_once_and_writes_an_audit_row_with_the_purpose(
    world: World,
) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(
        reverse("registry:person_reveal", args=[world.person_a.pk]),
        {"field": "phone", "purpose": "核实高龄津贴申请"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert PHONE_A in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.filter(action="registry.person.reveal").get()
    assert (entry.actor, entry.purpose, entry.changes) == (
        world.users["grid_worker_a"],
        "核实高龄津贴申请",
        {"field": "phone"},
    )
    assert PHONE_A not in entry.object_label


def test_reveal_without_a_purpose_is_refused_and_nothing_is_audited(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(
        reverse("registry:person_reveal", args=[world.person_a.pk]),
        {"field": "id_number", "purpose": "看"},
    )
    assert response.status_code == 400
    assert PHONE_A not in response.content.decode()
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_operator_without_reveal_permission_is_refused_and_nothing_is_audited(
    world: World,
) -> None:
    client = sign_in_as(Client(), world.users["operator"])
    response = client.post(
        reverse("registry:person_reveal", args=[world.person_a.pk]),
        {"field": "phone", "purpose": "核实身份信息"},
    )
    assert response.status_code == 403
    assert PHONE_A not in response.content.decode()
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_an_edit_on_a_stale_version_is_refused_with_a_clear_message_and_changes_nothing(
    world: World,
) -> None:
    # given someone else saved the record after our worker opened it (version 1 → 2)
    Person.objects.filter(pk=world.person_a.pk).update(version=2, ethnicity="汉族")
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    # when our worker saves their edit made on version 1
    response = client.post(
        reverse("registry:person_edit", args=[world.person_a.pk]),
        {"version": 1, "name": "张三丰", "id_type": "resident_id", "ethnicity": "回族"},
        follow=True,
    )
    # then nothing is overwritten and they are told why
    world.person_a.refresh_from_db()
    assert (world.person_a.name, world.person_a.ethnicity, world.person_a.version) == (
        "张三",
        "汉族",
        2,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [" ".join(ConcurrentEditError().messages)]
    assert response.status_code == 200


def test_an_edit_on_the_current_version_is_saved(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(
        reverse("registry:person_edit", args=[world.person_a.pk]),
        {"version": 1, "name": "张三丰", "id_type": "resident_id", "ethnicity": "汉族"},
    )
    assert response.status_code == 302
    world.person_a.refresh_from_db()
    assert (world.person_a.name, world.person_a.ethnicity, world.person_a.version) == (
        "张三丰",
        "汉族",
        2,
    )


def test_verify_button_marks_the_person_verified(world: World) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(reverse("registry:person_verify", args=[world.person_a.pk]))
    assert response.status_code == 302
    world.person_a.refresh_from_db()
    assert world.person_a.verified_at is not None


def test_staff_tag_is_set_with_who_when_and_why_and_shown_on_the_person_page(
    world: World,
) -> None:
    user = world.users["community_staff"]
    client = sign_in_as(Client(), user)
    client.post(
        reverse("registry:person_tag_set", args=[world.person_a.pk]),
        {"tag": "veteran", "reason": "退役军人证已核验"},
    )
    link = PersonTag.objects.get(person=world.person_a)
    assert (link.tag.code, link.set_by, link.reason) == ("veteran", user, "退役军人证已核验")
    html = client.get(reverse("registry:person_detail", args=[world.person_a.pk])).content
    assert "退役军人证已核验" in html.decode()
    client.post(reverse("registry:person_tag_remove", args=[world.person_a.pk]), {"tag": "veteran"})
    assert not PersonTag.objects.filter(person=world.person_a).exists()


def test_registering_a_person_derives_sex_and_birth_date_from_the_id(world: World, town) -> None:
    client = sign_in_as(Client(), world.users["community_staff"])
    number = resident_id(datetime.date(1950, 2, 3), sequence=77, sex="F")
    response = client.post(
        reverse("registry:person_register"),
        {
            "cell_code": town.grid_a.code,
            "id_type": "resident_id",
            "id_number": number,
            "name": "赵六",
            "phone": "13800001111",
        },
    )
    person = Person.objects.get(name="赵六")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:person_detail", args=[person.pk])
    assert (person.sex, person.birth_date) == ("F", datetime.date(1950, 2, 3))


def test_registering_an_id_with_a_wrong_check_digit_shows_the_reason_on_the_field(
    world: World, town
) -> None:
    client = sign_in_as(Client(), world.users["community_staff"])
    number = resident_id(datetime.date(1950, 2, 3), sequence=77, sex="F")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    before = Person.objects.count()
    response = client.post(
        reverse("registry:person_register"),
        {
            "cell_code": town.grid_a.code,
            "id_type": "resident_id",
            "id_number": wrong,
            "name": "赵六",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-error-for="id_number"' in html
    assert wrong not in html.split('name="id_number"')[0]  # never echoed in an error message
    assert Person.objects.count() == before


def test_export_downloads_the_filtered_list_masked_with_the_exporter_and_an_audit_row(
    world: World,
) -> None:
    client = sign_in_as(Client(), world.users["grid_worker_a"])
    response = client.post(reverse("registry:person_export"), {"q": "zs"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    text = " ".join(
        str(value) for row in sheet.iter_rows(values_only=True) for value in row if value
    )
    assert "张三" in text
    assert "李四" not in text
    assert PHONE_A not in text
    assert "v_grid_a" in text
    entry = AuditEntry.objects.filter(action="registry.export").get()
    assert entry.changes["filters"] == {"query": "(search)"}
