"""The people-and-housing API writes: each through its service, scoped (404 outside the area,
403 without the permission), refused with field reasons (400) and nothing written, masked."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.registry.models import (
    Building,
    Dwelling,
    Estate,
    Household,
    HouseholdMember,
    ImportJob,
    Lease,
    Ownership,
    Person,
    Residency,
    Unit,
)
from gridgov.registry.tests.helpers_excel import people_xlsx, person_row, valid_id
from gridgov.registry.tests.helpers_quality import (
    live_in,
    make_dwelling,
    make_lease,
    make_person,
    valid_id_number,
)

ID_A = valid_id_number(datetime.date(1980, 5, 17), serial=321)
ID_NEW = valid_id_number(datetime.date(1992, 7, 8), serial=654)
PHONE_A = "13812345678"
PHONE_NEW = "13700001111"
SECRETS = (ID_A, ID_NEW, PHONE_A, PHONE_NEW, ID_A[6:14], ID_NEW[6:14])
TODAY = datetime.date.today()


@pytest.fixture
def world(town, make_member):
    flat_a = make_dwelling(town.micro_a1, "301", area="90")
    flat_b = make_dwelling(town.micro_b1, "101")
    owner_a = make_person(town.micro_a1, name="张三", id_number=ID_A, phone=PHONE_A)
    mover = make_person(town.micro_a1, name="赵六", phone=None)
    live_in(owner_a, flat_a)
    return {
        "flat_a": flat_a,
        "flat_b": flat_b,
        "owner_a": owner_a,
        "mover": mover,
        "staff_a": make_member(Role.COMMUNITY_STAFF, town.community_a),
        "staff_b": make_member(Role.COMMUNITY_STAFF, town.community_b),
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def _no_secret(response) -> None:
    body = response.content.decode(errors="replace")
    for secret in SECRETS:
        assert secret not in body


def _refused(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert set(response.json()) >= {"code", "message"}
    _no_secret(response)


# --- Places ----------------------------------------------------------------------------------


def test_community_staff_registers_an_estate_building_unit_and_dwelling(town, world):
    client = _client(world["staff_a"])

    estate = client.post(
        reverse("api-estates"), {"name": "飞碟苑", "cell_code": town.grid_a.code}, format="json"
    )
    building = client.post(
        reverse("api-buildings"), {"estate_id": estate.json()["id"], "label": "12"}, format="json"
    )
    unit = client.post(
        reverse("api-units"), {"building_id": building.json()["id"], "label": "1"}, format="json"
    )
    dwelling = client.post(
        reverse("api-dwellings"),
        {"building_id": building.json()["id"], "unit_id": unit.json()["id"], "room": "301",
         "area_m2": "89.50"},
        format="json",
    )  # fmt: skip

    assert [estate.status_code, building.status_code, unit.status_code] == [201, 201, 201]
    assert dwelling.status_code == 201
    assert dwelling.json()["address"] == "马桥镇飞碟苑12号楼1单元301室"
    assert dwelling.json()["floor"] == 3
    units = client.get(reverse("api-units"), {"building": building.json()["id"]})
    assert [row["label"] for row in units.json()["results"]] == ["1单元"]
    for name, pk in (("api-estate-detail", estate.json()["id"]),
                     ("api-building-detail", building.json()["id"]),
                     ("api-dwelling-detail", dwelling.json()["id"])):  # fmt: skip
        assert client.get(reverse(name, args=[pk])).status_code == 200
    assert AuditEntry.objects.filter(action="registry.dwelling.create").count() == 1


def test_a_grid_worker_may_not_register_places_and_nothing_is_written(town, grid_worker_a, world):
    client = _client(grid_worker_a)
    building = world["flat_a"].building

    estate = client.post(
        reverse("api-estates"), {"name": "新苑", "cell_code": town.grid_a.code}, format="json"
    )
    unit = client.post(reverse("api-units"), {"building_id": building.pk, "label": "2"})
    dwelling = client.post(reverse("api-dwellings"), {"building_id": building.pk, "room": "501"})

    for response in (estate, unit, dwelling):
        _refused(response, 403)
    assert not Estate.objects.filter(name="新苑").exists()
    assert Unit.objects.count() == 0
    assert Dwelling.objects.count() == 2


def test_places_outside_the_area_are_not_found_and_nothing_is_written(town, world):
    client = _client(world["staff_b"])
    building = world["flat_a"].building

    estate = client.post(
        reverse("api-estates"), {"name": "外苑", "cell_code": town.grid_a.code}, format="json"
    )
    new_building = client.post(
        reverse("api-buildings"), {"estate_id": building.estate_id, "label": "9"}, format="json"
    )
    dwelling = client.post(reverse("api-dwellings"), {"building_id": building.pk, "room": "501"})
    update = client.patch(
        reverse("api-dwelling-detail", args=[world["flat_a"].pk]), {"use": "commercial"}
    )

    for response in (estate, new_building, dwelling, update):
        _refused(response, 404)
    for name, pk in (("api-estate-detail", building.estate_id),
                     ("api-building-detail", building.pk),
                     ("api-dwelling-detail", world["flat_a"].pk)):  # fmt: skip
        _refused(client.get(reverse(name, args=[pk])), 404)
    assert Estate.objects.count() == 2
    assert Building.objects.count() == 2
    assert Dwelling.objects.get(pk=world["flat_a"].pk).use == Dwelling.Use.RESIDENTIAL


def test_a_room_registered_twice_is_a_field_error_and_not_written(world):
    flat = world["flat_a"]

    response = _client(world["staff_a"]).post(
        reverse("api-dwellings"), {"building_id": flat.building_id, "room": "301"}, format="json"
    )

    _refused(response, 400)
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {
        "room": ["this room is already registered in this building"]
    }
    assert Dwelling.objects.filter(building_id=flat.building_id).count() == 1


def test_a_dwelling_is_corrected_with_patch_and_audited(world):
    client = _client(world["staff_a"])
    url = reverse("api-dwelling-detail", args=[world["flat_a"].pk])

    response = client.patch(url, {"area_m2": "75.00", "use": "mixed"}, format="json")
    refused = client.patch(url, {"area_m2": "0"}, format="json")

    assert response.status_code == 200
    assert response.json()["area_m2"] == "75.00"
    assert response.json()["use"] == "mixed"
    _refused(refused, 400)
    assert refused.json()["fields"] == {"area_m2": ["the floor area must be greater than 0 m²"]}
    assert str(Dwelling.objects.get(pk=world["flat_a"].pk).area_m2) == "75.00"
    assert AuditEntry.objects.filter(action="registry.dwelling.update").count() == 1


def test_building_and_unit_refusals_name_the_field(world):
    client = _client(world["staff_a"])
    building = world["flat_a"].building

    floors = client.post(
        reverse("api-buildings"),
        {"estate_id": building.estate_id, "label": "8", "floors": 0},
        format="json",
    )

    _refused(floors, 400)
    assert floors.json()["fields"] == {"floors": ["the number of floors must be between 1 and 200"]}
    assert Building.objects.filter(label="8号楼").count() == 0


# --- Leases ----------------------------------------------------------------------------------


def _lease_body(world, **changes):
    body = {
        "dwelling_id": world["flat_a"].pk,
        "landlord": {"person_id": world["owner_a"].pk},
        "tenants": [{"id_number": ID_NEW, "name": "王五", "phone": PHONE_NEW}],
        "started_on": TODAY.isoformat(),
        "ends_on": (TODAY + datetime.timedelta(days=365)).isoformat(),
    }
    body.update(changes)
    return body


def test_a_lease_is_registered_with_a_new_tenant_read_and_ended(grid_worker_a, world):
    client = _client(grid_worker_a)

    registered = client.post(reverse("api-leases"), _lease_body(world), format="json")
    lease_id = registered.json()["id"]
    detail = client.get(reverse("api-lease-detail", args=[lease_id]))
    ended = client.post(reverse("api-lease-end", args=[lease_id]), {}, format="json")

    assert registered.status_code == 201
    _no_secret(registered)
    tenant = Person.objects.get(name="王五")
    assert registered.json()["tenant_ids"] == [tenant.pk]
    assert registered.json()["landlord"] == world["owner_a"].pk
    assert detail.json()["id"] == lease_id
    assert ended.status_code == 200
    assert ended.json()["status"] == Lease.Status.TERMINATED
    assert Residency.objects.get(person=tenant).ended_on == TODAY


def test_a_lease_ending_before_it_starts_is_refused_and_nobody_is_registered(grid_worker_a, world):
    body = _lease_body(world, ends_on=(TODAY - datetime.timedelta(days=1)).isoformat())

    response = _client(grid_worker_a).post(reverse("api-leases"), body, format="json")

    _refused(response, 400)
    assert response.json()["fields"] == {"ends_on": ["the lease ends before it starts"]}
    assert Lease.objects.count() == 0
    assert not Person.objects.filter(name="王五").exists()


def test_lease_writes_follow_scope_and_permission(town, operator, make_member, world):
    worker_b = make_member(Role.GRID_WORKER, town.grid_b)
    lease = make_lease(world["flat_a"], world["owner_a"], ends_on=TODAY + datetime.timedelta(9))

    outside = _client(worker_b).post(reverse("api-leases"), _lease_body(world), format="json")
    outside_end = _client(worker_b).post(reverse("api-lease-end", args=[lease.pk]))
    outside_read = _client(worker_b).get(reverse("api-lease-detail", args=[lease.pk]))
    forbidden = _client(operator).post(reverse("api-leases"), _lease_body(world), format="json")
    forbidden_end = _client(operator).post(reverse("api-lease-end", args=[lease.pk]))

    for response in (outside, outside_end, outside_read):
        _refused(response, 404)
    _refused(forbidden, 403)
    _refused(forbidden_end, 403)
    assert Lease.objects.get().status == Lease.Status.ACTIVE
    assert not Person.objects.filter(name="王五").exists()


def test_a_party_given_both_ways_is_a_bad_request(grid_worker_a, world):
    tenant = {"person_id": world["mover"].pk, "id_number": ID_NEW}

    response = _client(grid_worker_a).post(
        reverse("api-leases"), _lease_body(world, tenants=[tenant]), format="json"
    )

    _refused(response, 400)
    assert "tenants" in response.json()["fields"]
    assert Lease.objects.count() == 0


# --- Residencies, ownerships, households, verification ---------------------------------------


def test_a_move_in_and_move_out_are_recorded(grid_worker_a, world):
    client = _client(grid_worker_a)
    body = {"person_id": world["mover"].pk, "dwelling_id": world["flat_a"].pk,
            "role": "family", "started_on": "2024-01-01"}  # fmt: skip

    started = client.post(reverse("api-residencies"), body, format="json")
    again = client.post(reverse("api-residencies"), body, format="json")
    ended = client.post(
        reverse("api-residency-end", args=[started.json()["id"]]),
        {"ended_on": "2024-06-30"},
        format="json",
    )

    assert started.status_code == 201
    _refused(again, 400)
    assert again.json()["fields"] == {
        "person": ["this person is already registered as living in this dwelling"]
    }
    assert ended.json()["ended_on"] == "2024-06-30"
    assert Residency.objects.filter(person=world["mover"]).count() == 1


def test_residency_writes_follow_scope_and_permission(operator, world):
    body = {"person_id": world["mover"].pk, "dwelling_id": world["flat_a"].pk,
            "role": "family", "started_on": "2024-01-01"}  # fmt: skip
    residency = Residency.objects.get(person=world["owner_a"])

    outside = _client(world["staff_b"]).post(reverse("api-residencies"), body, format="json")
    outside_end = _client(world["staff_b"]).post(reverse("api-residency-end", args=[residency.pk]))
    forbidden = _client(operator).post(reverse("api-residencies"), body, format="json")

    _refused(outside, 404)
    _refused(outside_end, 404)
    _refused(forbidden, 403)
    assert not Residency.objects.filter(person=world["mover"]).exists()
    assert Residency.objects.get(pk=residency.pk).ended_on is None


def test_owners_are_added_with_exact_shares_and_ended(grid_worker_a, world):
    client = _client(world["staff_a"])
    url = reverse("api-ownerships")
    body = {"dwelling_id": world["flat_a"].pk, "owner_person_id": world["owner_a"].pk,
            "started_on": "2020-01-01", "share_numerator": 1, "share_denominator": 2}  # fmt: skip

    added = client.post(url, body, format="json")
    too_much = client.post(
        url, {**body, "owner_person_id": world["mover"].pk, "share_numerator": 2}, format="json"
    )
    forbidden = _client(grid_worker_a).post(reverse("api-ownership-end", args=[added.json()["id"]]))
    outside = _client(world["staff_b"]).post(url, body, format="json")
    ended = client.post(reverse("api-ownership-end", args=[added.json()["id"]]))

    assert added.status_code == 201
    _refused(too_much, 400)
    assert too_much.json()["fields"] == {
        "share": ["the shares would add up to more than the whole (1/2 already held)"]
    }
    _refused(forbidden, 403)
    _refused(outside, 404)
    assert ended.json()["ended_on"] == TODAY.isoformat()
    assert Ownership.objects.count() == 1


def test_a_household_is_opened_joined_and_left(operator, world):
    client = _client(world["staff_a"])

    created = client.post(
        reverse("api-households"),
        {"head_person_id": world["owner_a"].pk, "dwelling_id": world["flat_a"].pk},
        format="json",
    )
    household_id = created.json()["id"]
    members = reverse("api-household-members", args=[household_id])
    joined = client.post(members, {"person_id": world["mover"].pk, "relation": "spouse"})
    head_first = client.post(
        reverse("api-household-member-remove", args=[household_id, world["owner_a"].pk])
    )
    forbidden = _client(operator).post(
        members, {"person_id": world["mover"].pk, "relation": "child"}
    )
    outside = _client(world["staff_b"]).post(
        reverse("api-household-member-remove", args=[household_id, world["mover"].pk])
    )
    left = client.post(
        reverse("api-household-member-remove", args=[household_id, world["mover"].pk])
    )

    assert created.status_code == 201
    assert created.json()["number"] == f"H{household_id:08d}"
    assert [m["person"] for m in created.json()["members"]] == [world["owner_a"].pk]
    assert joined.status_code == 201
    _refused(head_first, 400)
    assert head_first.json()["fields"] == {
        "person": ["the head of household can only leave after the other members"]
    }
    _refused(forbidden, 403)
    _refused(outside, 404)
    assert left.json()["left_on"] == TODAY.isoformat()
    assert Household.objects.count() == 1
    assert HouseholdMember.objects.filter(left_on__isnull=True).count() == 1


def test_verifying_a_person_is_recorded_and_scoped(
    town, operator, grid_worker_a, make_member, world
):
    worker_b = make_member(Role.GRID_WORKER, town.grid_b)
    url = reverse("api-person-verify", args=[world["owner_a"].pk])

    verified = _client(grid_worker_a).post(url)
    forbidden = _client(operator).post(url)
    outside = _client(worker_b).post(url)

    assert verified.status_code == 200
    _no_secret(verified)
    _refused(forbidden, 403)
    _refused(outside, 404)
    assert AuditEntry.objects.filter(action="registry.person.verify").count() == 1


# --- Exports ---------------------------------------------------------------------------------


def _cells(response) -> str:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return " ".join(
        str(value) for row in workbook.active.iter_rows(values_only=True) for value in row if value
    )


def test_people_export_is_masked_unless_revealed_with_a_purpose(operator, grid_worker_a, world):
    url = reverse("api-people-export")

    masked = _client(grid_worker_a).post(url, {"cell": world["flat_a"].cell.code})
    clear = _client(grid_worker_a).post(url, {"reveal": "1", "purpose": "入户核查登记"})
    no_purpose = _client(grid_worker_a).post(url, {"reveal": "1"})
    not_allowed = _client(operator).post(url, {"reveal": "1", "purpose": "入户核查登记"})

    assert masked.status_code == 200
    assert masked["Cache-Control"] == "no-store"
    assert "张三" in _cells(masked)
    assert ID_A not in _cells(masked)
    assert PHONE_A not in _cells(masked)
    assert ID_A in _cells(clear)
    _refused(no_purpose, 400)
    _refused(not_allowed, 403)
    entries = AuditEntry.objects.filter(action="registry.export").order_by("id")
    assert [entry.purpose for entry in entries] == ["", "入户核查登记"]


def test_a_full_number_is_searched_by_post_and_refused_in_a_url(grid_worker_a, world):
    # when
    in_url = _client(grid_worker_a).get(reverse("api-people"), {"q": ID_A})
    in_body = _client(grid_worker_a).post(reverse("api-people-search"), {"q": ID_A})

    # then
    _refused(in_url, 400)
    assert in_body.status_code == 200
    assert [row["name"] for row in in_body.json()["results"]] == ["张三"]
    assert ID_A not in in_body.content.decode()


def test_lease_export_is_masked_and_needs_the_permission(town, make_member, grid_worker_a, world):
    make_lease(world["flat_a"], world["owner_a"], ends_on=TODAY + datetime.timedelta(9))
    resident = make_member(Role.RESIDENT, town.micro_a1)

    exported = _client(grid_worker_a).get(reverse("api-leases-export"), {"status": "active"})
    refused = _client(resident).get(reverse("api-leases-export"))

    assert exported.status_code == 200
    assert PHONE_A not in _cells(exported)
    assert "张三" in _cells(exported)
    _refused(refused, 403)
    assert AuditEntry.objects.filter(action="registry.export").count() == 1


# --- Imports ---------------------------------------------------------------------------------


def _upload(client, town, content, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("api-imports"),
            {"kind": "people", "cell": town.grid_a.code,
             "file": SimpleUploadedFile("台账.xlsx", content)},
            format="multipart",
        )  # fmt: skip


def test_an_import_is_uploaded_checked_and_committed(
    town, world, media, django_capture_on_commit_callbacks
):
    client = _client(world["staff_a"])

    uploaded = _upload(client, town, people_xlsx([person_row(1), person_row(2)]),
                       django_capture_on_commit_callbacks)  # fmt: skip
    job_id = uploaded.json()["id"]
    checked = client.get(reverse("api-import-detail", args=[job_id]))
    with django_capture_on_commit_callbacks(execute=True):
        committed = client.post(reverse("api-import-commit", args=[job_id]), {"mode": "all"})
    done = client.get(reverse("api-import-detail", args=[job_id]))

    assert uploaded.status_code == 201
    assert checked.json()["status"] == ImportJob.Status.VALIDATED
    assert checked.json()["created_count"] == 2
    assert checked.json()["progress"] == 100
    assert committed.status_code == 202
    assert done.json()["status"] == ImportJob.Status.DONE
    assert Person.objects.filter(cell=town.grid_a).count() == 2
    for response in (uploaded, checked, done):
        assert valid_id(1) not in response.content.decode()


def test_an_import_with_errors_cannot_be_committed_whole_and_has_a_report(
    town, world, media, django_capture_on_commit_callbacks
):
    client = _client(world["staff_a"])
    rows = [person_row(1), person_row(2, 证件号码="12345")]
    job_id = _upload(client, town, people_xlsx(rows), django_capture_on_commit_callbacks).json()[
        "id"
    ]

    detail = client.get(reverse("api-import-detail", args=[job_id]))
    commit = client.post(reverse("api-import-commit", args=[job_id]), {"mode": "all"})
    report = client.get(reverse("api-import-errors", args=[job_id]))

    assert detail.json()["error_count"] == 1
    assert detail.json()["problems"][0]["row"] == "3"
    _refused(commit, 400)
    assert list(commit.json()["fields"]) == ["non_field_errors"]
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ImportJob.objects.get(pk=job_id).status == ImportJob.Status.VALIDATED
    assert Person.objects.filter(cell=town.grid_a).count() == 0


def test_imports_need_the_permission_and_are_the_uploaders_own(
    town, grid_worker_a, world, media, django_capture_on_commit_callbacks
):
    content = people_xlsx([person_row(1)])
    forbidden = _upload(_client(grid_worker_a), town, content, django_capture_on_commit_callbacks)
    job_id = _upload(
        _client(world["staff_a"]), town, content, django_capture_on_commit_callbacks
    ).json()["id"]
    someone_else = _client(world["staff_b"])

    _refused(forbidden, 403)
    _refused(someone_else.get(reverse("api-import-detail", args=[job_id])), 404)
    _refused(someone_else.post(reverse("api-import-commit", args=[job_id])), 404)
    _refused(someone_else.get(reverse("api-import-errors", args=[job_id])), 404)
    _refused(_client(grid_worker_a).get(reverse("api-import-detail", args=[job_id])), 403)
    assert ImportJob.objects.count() == 1
    assert ImportJob.objects.get().is_dry_run


def test_an_unknown_kind_of_import_is_a_bad_request(town, world, media):
    response = _client(world["staff_a"]).post(
        reverse("api-imports"),
        {"kind": "cars", "file": SimpleUploadedFile("a.xlsx", b"x")},
        format="multipart",
    )

    _refused(response, 400)
    assert list(response.json()["fields"]) == ["kind"]
    assert ImportJob.objects.count() == 0


def test_new_endpoints_are_in_the_openapi_schema(operator):
    paths = _client(operator).get(reverse("api-schema"), {"format": "json"}).json()["paths"]

    for path in ("/api/v1/estates/{id}/", "/api/v1/units/", "/api/v1/dwellings/{id}/",
                 "/api/v1/leases/{id}/end/", "/api/v1/residencies/", "/api/v1/ownerships/{id}/end/",
                 "/api/v1/households/{id}/members/{person_id}/remove/",
                 "/api/v1/people/{id}/verify/", "/api/v1/people/export.xlsx",
                 "/api/v1/leases/export.xlsx", "/api/v1/imports/", "/api/v1/imports/{id}/commit/",
                 "/api/v1/imports/{id}/errors.xlsx"):  # fmt: skip
        assert path in paths
