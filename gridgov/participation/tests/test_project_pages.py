"""The project pages: the programme funnel, starting a project, one project's stages and
documents, and a resident's own doorway."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.participation.models import Project, ProjectDocument
from gridgov.participation.services.projects import (
    ELEVATOR_TEMPLATE,
    project_create,
    project_document_add,
    project_stage_reach,
)
from gridgov.participation.tests.factories import estate_with_households, resident_account

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n%test\n"


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


@pytest.fixture
def place(town):
    return estate_with_households(town.grid_a, households=2, in_unit_2=1)


@pytest.fixture
def project(staff, place):
    return project_create(
        actor=staff,
        template_code=ELEVATOR_TEMPLATE,
        building_id=place.building.pk,
        unit_id=place.unit_1.pk,
    )


def test_the_programme_page_shows_the_funnel_and_the_projects(
    client, staff, project, django_assert_max_num_queries
):
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )
    client.force_login(staff)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("participation:project_programme"))

    html = response.content.decode()
    assert response.status_code == 200
    assert '"projects": [1, 0, 0, 0, 0, 0]' in html
    assert "意向征询" in html
    assert f'data-project="{project.pk}"' in html
    assert "participation/projects.js" in html


def test_the_programme_page_filters_by_the_furthest_stage(client, staff, project, place):
    other = project_create(
        actor=staff,
        template_code=ELEVATOR_TEMPLATE,
        building_id=place.building.pk,
        unit_id=place.unit_2.pk,
    )
    project_stage_reach(
        actor=staff, project_id=other.pk, stage_code="intent", reached_on=timezone.localdate()
    )
    client.force_login(staff)

    response = client.get(reverse("participation:project_programme"), {"stage": "1"})

    html = response.content.decode()
    assert f'data-project="{other.pk}"' in html
    assert f'data-project="{project.pk}"' not in html


def test_a_resident_cannot_open_the_programme(client, town, place):
    client.force_login(resident_account(place.people[0], town.grid_a))

    response = client.get(reverse("participation:project_programme"))

    assert response.status_code == 403


def test_staff_start_a_project_on_a_doorway_from_the_form(client, staff, place):
    client.force_login(staff)
    url = reverse("participation:project_create")

    form = client.get(url, {"estate": place.estate.pk}).content.decode()
    response = client.post(
        f"{url}?estate={place.estate.pk}",
        {"template": ELEVATOR_TEMPLATE, "doorway": f"{place.building.pk}/{place.unit_2.pk}"},
    )

    assert f'value="{place.building.pk}/{place.unit_2.pk}"' in form
    project = Project.objects.get()
    assert response["Location"] == reverse("participation:project_detail", args=[project.pk])
    assert project.unit == place.unit_2


def test_the_project_page_offers_only_the_next_stage(client, staff, project):
    client.force_login(staff)

    response = client.get(reverse("participation:project_detail", args=[project.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="intent">意向征询</option>' in html
    assert '<option value="signed">签约</option>' not in html.split('id="gg-document-form"')[0]


def test_recording_a_stage_from_the_page(client, staff, project):
    client.force_login(staff)

    client.post(
        reverse("participation:project_stage_reach", args=[project.pk]),
        {"stage": "intent", "reached_on": timezone.localdate().isoformat(), "note": "意向书齐"},
    )

    stage = project.stages.get(code="intent")
    assert (stage.reached_on, stage.note) == (timezone.localdate(), "意向书齐")


def test_skipping_a_stage_from_the_page_shows_the_refusal(client, staff, project):
    client.force_login(staff)

    response = client.post(
        reverse("participation:project_stage_reach", args=[project.pk]),
        {"stage": "started", "reached_on": timezone.localdate().isoformat()},
        follow=True,
    )

    assert "阶段须依次完成" in response.content.decode()
    assert project.stages.filter(reached_on__isnull=False).count() == 0


def test_uploading_a_document_and_downloading_it(client, staff, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)

    client.post(
        reverse("participation:project_document_upload", args=[project.pk]),
        {"stage": "signed", "file": SimpleUploadedFile("合同.pdf", PDF)},
    )
    document = ProjectDocument.objects.get()
    download = client.get(reverse("participation:project_document", args=[document.pk]))

    assert document.stage.code == "signed"
    assert b"".join(download.streaming_content) == PDF
    assert download["Cache-Control"] == "no-store"


def test_uploading_a_bad_document_shows_the_refusal(client, staff, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(staff)

    response = client.post(
        reverse("participation:project_document_upload", args=[project.pk]),
        {"stage": "signed", "file": SimpleUploadedFile("合同.pdf", b"not a pdf")},
        follow=True,
    )

    assert "文件须为 PDF，或 JPEG、PNG、WebP 图片。" in response.content.decode()
    assert ProjectDocument.objects.count() == 0


def test_a_resident_sees_their_doorways_project_and_its_documents(
    client, town, staff, place, project, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )
    document = project_document_add(
        actor=staff,
        project_id=project.pk,
        stage_code="intent",
        upload=SimpleUploadedFile("意向书.pdf", PDF),
    )
    resident = resident_account(place.people[0], town.grid_a)
    neighbour = resident_account(place.people[1], town.grid_a)  # lives in doorway 2

    client.force_login(resident)
    page = client.get(reverse("participation:my_projects")).content.decode()
    download = client.get(reverse("participation:project_document", args=[document.pk]))
    client.force_login(neighbour)
    other_page = client.get(reverse("participation:my_projects")).content.decode()
    refused = client.get(reverse("participation:project_document", args=[document.pk]))

    assert f'data-project="{project.pk}"' in page
    assert 'data-stage="intent" data-reached="1"' in page
    assert download.status_code == 200
    assert f'data-project="{project.pk}"' not in other_page
    assert refused.status_code == 404
