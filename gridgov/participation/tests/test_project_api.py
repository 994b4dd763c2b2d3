"""The project API: scoped lists, starting a project, reaching stages in order, documents,
the funnel, a resident's own project, and the schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.participation.models import Project, ProjectDocument
from gridgov.participation.services.projects import ELEVATOR_TEMPLATE, project_create
from gridgov.participation.tests.factories import estate_with_households, resident_account

pytestmark = pytest.mark.django_db

BASE = "/api/v1/participation"


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def place(town):
    return estate_with_households(town.grid_a, households=2)


@pytest.fixture
def project(staff, place):
    return project_create(
        actor=staff,
        template_code=ELEVATOR_TEMPLATE,
        building_id=place.building.pk,
        unit_id=place.unit_1.pk,
    )


def test_staff_start_a_project_and_a_second_on_the_same_doorway_is_409(api, staff, place):
    api.force_authenticate(staff)
    body = {"building_id": place.building.pk, "unit_id": place.unit_1.pk}

    first = api.post(f"{BASE}/projects/", body, format="json")
    second = api.post(f"{BASE}/projects/", body, format="json")

    assert first.status_code == 201
    assert [stage["code"] for stage in first.json()["stages"]] == [
        "intent",
        "consulted",
        "signed",
        "started",
        "completed",
        "in_use",
    ]
    assert second.status_code == 409
    assert second.json()["code"] == "project_exists"
    assert Project.objects.count() == 1


def test_reaching_stages_in_order_and_the_skip_refusal(api, staff, project):
    api.force_authenticate(staff)
    today = timezone.localdate().isoformat()

    reached = api.post(
        f"{BASE}/projects/{project.pk}/stages/intent/reach/", {"reached_on": today}, format="json"
    )
    skipped = api.post(
        f"{BASE}/projects/{project.pk}/stages/started/reach/", {"reached_on": today}, format="json"
    )
    again = api.post(
        f"{BASE}/projects/{project.pk}/stages/intent/reach/", {"reached_on": today}, format="json"
    )

    assert reached.status_code == 200
    assert reached.json()["stage_order"] == 1
    assert (skipped.status_code, skipped.json()["code"]) == (400, "stage_skipped")
    assert (again.status_code, again.json()["code"]) == (409, "stage_reached")
    project.refresh_from_db()
    assert project.stage_order == 1


def test_a_document_upload_is_checked(api, staff, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api.force_authenticate(staff)
    url = f"{BASE}/projects/{project.pk}/documents/"

    good = api.post(url, {"stage": "signed", "file": SimpleUploadedFile("合同.pdf", b"%PDF-1.4 x")})
    bad = api.post(url, {"stage": "signed", "file": SimpleUploadedFile("合同.png", b"%PDF-1.4")})

    assert good.status_code == 201
    signed = next(s for s in good.json()["stages"] if s["code"] == "signed")
    assert [d["name"] for d in signed["documents"]] == ["合同.pdf"]
    assert (bad.status_code, bad.json()["code"]) == (400, "upload_not_document")
    assert ProjectDocument.objects.count() == 1


def test_the_funnel_endpoint_counts_per_stage(api, staff, project):
    api.force_authenticate(staff)
    api.post(
        f"{BASE}/projects/{project.pk}/stages/intent/reach/",
        {"reached_on": timezone.localdate().isoformat()},
        format="json",
    )

    response = api.get(f"{BASE}/projects/funnel/")

    body = response.json()
    assert body["total"] == 1
    assert [step["projects"] for step in body["steps"]] == [1, 0, 0, 0, 0, 0]


def test_staff_of_another_community_do_not_see_the_project(api, town, make_member, project):
    api.force_authenticate(make_member(Role.COMMUNITY_STAFF, town.community_b))

    listing = api.get(f"{BASE}/projects/")
    detail = api.get(f"{BASE}/projects/{project.pk}/")
    reach = api.post(
        f"{BASE}/projects/{project.pk}/stages/intent/reach/",
        {"reached_on": timezone.localdate().isoformat()},
        format="json",
    )

    assert listing.json()["count"] == 0
    assert detail.status_code == 404
    assert reach.status_code == 404
    assert project.stages.filter(reached_on__isnull=False).count() == 0


def test_a_resident_sees_their_doorways_project(api, town, place, project):
    api.force_authenticate(resident_account(place.people[0], town.grid_a))

    response = api.get(f"{BASE}/my/projects/")

    assert [row["id"] for row in response.json()["results"]] == [project.pk]


def test_the_project_endpoints_are_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})

    paths = response.json()["paths"]
    for path in (
        "/api/v1/participation/projects/",
        "/api/v1/participation/projects/funnel/",
        "/api/v1/participation/projects/{project_id}/",
        "/api/v1/participation/projects/{project_id}/stages/{stage_code}/reach/",
        "/api/v1/participation/projects/{project_id}/documents/",
        "/api/v1/participation/my/projects/",
    ):
        assert path in paths
