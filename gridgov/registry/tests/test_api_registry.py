"""The people-and-housing API: scoped per role, masked everywhere, JSON errors, 409 on stale edits."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.models import Person
from gridgov.registry.tests.helpers_quality import (
    live_in,
    make_dwelling,
    make_lease,
    make_person,
    valid_id_number,
)

ID_A = valid_id_number(datetime.date(1980, 5, 17), serial=123)
ID_B = valid_id_number(datetime.date(1975, 1, 2), serial=456)
PHONE_A = "13812345678"
PHONE_B = "13998765432"


@pytest.fixture
def registry(town):
    flat_a = make_dwelling(town.micro_a1, "301")
    flat_b = make_dwelling(town.micro_b1, "101")
    person_a = make_person(town.micro_a1, name="张三", id_number=ID_A, phone=PHONE_A)
    person_b = make_person(town.micro_b1, name="李四", id_number=ID_B, phone=PHONE_B)
    live_in(person_a, flat_a)
    live_in(person_b, flat_b)
    lease_b = make_lease(flat_b, person_b, ends_on=datetime.date.today() + datetime.timedelta(9))
    return {"a": person_a, "b": person_b, "flat_a": flat_a, "flat_b": flat_b, "lease_b": lease_b}


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _users(town, make_member, operator, grid_worker_a):
    return {
        "operator": operator,
        "grid_worker_a": grid_worker_a,
        "grid_worker_b": make_member(Role.GRID_WORKER, town.grid_b),
        "community_a": make_member(Role.COMMUNITY_STAFF, town.community_a),
        "handler": make_member(Role.DEPARTMENT_HANDLER, town.town),
        "resident": make_member(Role.RESIDENT, town.micro_a1),
    }


# role → (sees person A, sees person B)
PEOPLE_MATRIX = {
    "operator": (True, True),
    "grid_worker_a": (True, False),
    "grid_worker_b": (False, True),
    "community_a": (True, False),
    "handler": (False, False),
    "resident": (False, False),
}


@pytest.mark.parametrize("role", sorted(PEOPLE_MATRIX))
def test_people_endpoints_follow_each_roles_scope(
    role, town, make_member, operator, grid_worker_a, registry
):
    user = _users(town, make_member, operator, grid_worker_a)[role]
    client = _client(user)
    sees_a, sees_b = PEOPLE_MATRIX[role]

    listed = client.get(reverse("api-people"))
    detail_a = client.get(reverse("api-person-detail", args=[registry["a"].pk]))
    detail_b = client.get(reverse("api-person-detail", args=[registry["b"].pk]))
    file_a = client.get(reverse("api-dwelling-file", args=[registry["flat_a"].pk]))
    leases = client.get(reverse("api-leases"))

    assert listed.status_code == 200
    expected = [pk for pk, seen in ((registry["a"].pk, sees_a), (registry["b"].pk, sees_b)) if seen]
    assert sorted(row["id"] for row in listed.json()["results"]) == sorted(expected)
    assert detail_a.status_code == (200 if sees_a else 404)
    assert detail_b.status_code == (200 if sees_b else 404)
    if not sees_a:
        assert detail_a.json() == {"code": "not_found", "message": detail_a.json()["message"]}
    assert [row["id"] for row in leases.json()["results"]] == (
        [registry["lease_b"].pk] if sees_b else []
    )
    if sees_a:
        assert file_a.status_code == 200
        assert file_a.json()["current_residents"][0]["person"]["id"] == registry["a"].pk


def test_dwelling_file_outside_scope_is_not_found(town, make_member, registry):
    worker_b = make_member(Role.GRID_WORKER, town.grid_b)

    response = _client(worker_b).get(reverse("api-dwelling-file", args=[registry["flat_a"].pk]))

    assert response.status_code == 404


def test_no_clear_identifier_appears_in_any_response_without_reveal(
    town, operator, grid_worker_a, registry
):
    urls = [
        reverse("api-people"),
        reverse("api-people") + "?q=1234",
        reverse("api-people") + f"?q={ID_A}",
        reverse("api-person-detail", args=[registry["a"].pk]),
        reverse("api-person-detail", args=[registry["b"].pk]),
        reverse("api-dwelling-file", args=[registry["flat_a"].pk]),
        reverse("api-dwelling-file", args=[registry["flat_b"].pk]),
        reverse("api-dwellings"),
        reverse("api-leases"),
        reverse("api-estates"),
        reverse("api-quality"),
        reverse("api-tags"),
    ]
    for user in (operator, grid_worker_a):
        client = _client(user)
        for url in urls:
            body = client.get(url).content.decode()
            for secret in (ID_A, ID_B, PHONE_A, PHONE_B, ID_A[6:14]):
                assert secret not in body, (user.username, url)
            assert "encrypted" not in body
            assert "_hash" not in body


def test_person_rows_are_masked(operator, registry):
    response = _client(operator).get(reverse("api-person-detail", args=[registry["a"].pk]))

    assert response.json()["id_number_masked"] == f"{ID_A[:6]}********{ID_A[-4:]}"
    assert response.json()["phone_masked"] == "138****5678"


def test_search_finds_a_person_by_exact_id_through_the_hash(operator, registry):
    response = _client(operator).post(reverse("api-people-search"), {"q": ID_A})

    assert [row["id"] for row in response.json()["results"]] == [registry["a"].pk]


def test_reveal_gives_the_clear_value_with_a_purpose_and_is_audited(grid_worker_a, registry):
    response = _client(grid_worker_a).post(
        reverse("api-person-reveal", args=[registry["a"].pk]),
        {"field": "phone", "purpose": "上门走访联系"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": PHONE_A}
    assert response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="registry.person.reveal")
    assert entry.purpose == "上门走访联系"
    assert PHONE_A not in entry.object_label


def test_operator_without_reveal_permission_is_refused_and_nothing_is_audited(operator, registry):
    response = _client(operator).post(
        reverse("api-person-reveal", args=[registry["a"].pk]),
        {"field": "id_number", "purpose": "核对身份信息"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert ID_A not in response.content.decode()
    assert not AuditEntry.objects.filter(action="registry.person.reveal").exists()


def test_stale_version_is_refused_with_409_and_nothing_changes(grid_worker_a, registry):
    person = registry["a"]
    client = _client(grid_worker_a)
    url = reverse("api-person-detail", args=[person.pk])
    first = client.patch(url, {"version": 1, "ethnicity": "回族"}, format="json")

    second = client.patch(url, {"version": 1, "ethnicity": "满族"}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert Person.objects.get(pk=person.pk).ethnicity == "回族"


def test_registering_a_person_with_a_wrong_check_digit_is_a_field_error(
    town, grid_worker_a, registry
):
    wrong = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")

    response = _client(grid_worker_a).post(
        reverse("api-people"),
        {"cell_code": town.micro_a1.code, "id_number": wrong, "name": "王五"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert wrong not in response.content.decode()
    assert Person.objects.count() == 2


def test_registering_a_person_returns_the_masked_row(town, grid_worker_a, registry):
    number = valid_id_number(datetime.date(1990, 3, 4), serial=789)

    response = _client(grid_worker_a).post(
        reverse("api-people"),
        {"cell_code": town.micro_a1.code, "id_number": number, "name": "王五",
         "phone": "13700001111"},
        format="json",
    )  # fmt: skip

    assert response.status_code == 201
    assert response.json()["id_number_masked"] == f"{number[:6]}********{number[-4:]}"
    assert number not in response.content.decode()
    assert Person.objects.count() == 3


def test_quality_endpoint_lists_cells_in_scope(town, grid_worker_a, registry):
    response = _client(grid_worker_a).get(reverse("api-quality"), {"level": "grid"})

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["cells"]] == [town.grid_a.code]
    assert response.json()["total"]["residents"] == 1


def test_registry_endpoints_are_in_the_openapi_schema(operator):
    response = _client(operator).get(reverse("api-schema"), {"format": "json"})

    paths = response.json()["paths"]
    for path in ("/api/v1/people/", "/api/v1/people/{id}/reveal/", "/api/v1/dwellings/{id}/file/",
                 "/api/v1/leases/", "/api/v1/quality/", "/api/v1/estates/"):  # fmt: skip
        assert path in paths
