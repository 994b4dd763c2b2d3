"""The Excel import pages: upload and check, the row-by-row error list and report, confirm."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.helpers_excel import (
    people_xlsx,
    person_row,
    valid_id,
    wrong_check_digit,
)
from gridgov.registry.tests.helpers_views import (
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


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _upload(client: Client, content: bytes, town, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("registry:import_new"),
            {
                "kind": ImportJob.Kind.PEOPLE,
                "cell_code": town.grid_a.code,
                "upload": SimpleUploadedFile("居委人员台账.xlsx", content),
            },
        )


def test_an_upload_is_checked_first_and_its_bad_rows_are_listed_with_column_and_reason(
    world: World, town, media, django_capture_on_commit_callbacks
) -> None:
    # given a sheet with two good rows and one with a wrong check digit
    rows = [
        person_row(1),
        person_row(2, 证件号码=wrong_check_digit(valid_id(2))),
        person_row(3),
    ]
    client = sign_in_as(Client(), world.users["community_staff"])
    people_before = Person.objects.count()
    # when it is uploaded
    response = _upload(client, people_xlsx(rows), town, django_capture_on_commit_callbacks)
    # then the worker lands on the check result: nothing written, row 3 named with its reason
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:import_detail", args=[job.pk])
    assert (job.status, job.total_rows, job.error_count) == (ImportJob.Status.VALIDATED, 3, 1)
    assert Person.objects.count() == people_before
    html = client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    problems = html.split('id="gg-import-problems"')[1]
    assert '<td class="text-end">3</td>' in problems
    assert "证件号码" in problems
    assert wrong_check_digit(valid_id(2)) not in html
    report = client.get(reverse("registry:import_report", args=[job.pk]))
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")


def test_confirming_the_good_rows_imports_them_and_reports_the_counts(
    world: World, town, media, django_capture_on_commit_callbacks
) -> None:
    rows = [person_row(1), person_row(2, 证件号码=wrong_check_digit(valid_id(2)))]
    client = sign_in_as(Client(), world.users["community_staff"])
    _upload(client, people_xlsx(rows), town, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    people_before = Person.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("registry:import_commit", args=[job.pk]), {"mode": "partial"}
        )
    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 1)
    assert Person.objects.count() == people_before + 1


def test_all_or_nothing_cannot_be_confirmed_while_rows_have_errors(
    world: World, town, media, django_capture_on_commit_callbacks
) -> None:
    rows = [person_row(1), person_row(2, 证件号码=wrong_check_digit(valid_id(2)))]
    client = sign_in_as(Client(), world.users["community_staff"])
    _upload(client, people_xlsx(rows), town, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    people_before = Person.objects.count()
    client.post(reverse("registry:import_commit", args=[job.pk]), {"mode": "all"})
    job.refresh_from_db()
    assert (job.status, job.is_dry_run) == (ImportJob.Status.VALIDATED, True)
    assert Person.objects.count() == people_before


def test_a_file_with_wrong_columns_fails_with_a_clear_message(
    world: World, town, media, django_capture_on_commit_callbacks
) -> None:
    from gridgov.registry.tests.helpers_excel import xlsx

    client = sign_in_as(Client(), world.users["community_staff"])
    _upload(
        client, xlsx(["名字", "号码"], [["张三", "1"]]), town, django_capture_on_commit_callbacks
    )
    job = ImportJob.objects.get()
    html = client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert job.status == ImportJob.Status.FAILED
    assert job.message
    assert escape(job.message) in html


def test_someone_elses_upload_answers_404(
    world: World, town, media, django_capture_on_commit_callbacks
) -> None:
    owner = sign_in_as(Client(), world.users["community_staff"])
    _upload(owner, people_xlsx([person_row(1)]), town, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    other = sign_in_as(Client(), world.users["platform_admin"])
    assert other.get(reverse("registry:import_detail", args=[job.pk])).status_code == 404
    assert other.get(reverse("registry:import_report", args=[job.pk])).status_code == 404


def test_the_people_template_downloads_as_xlsx(world: World) -> None:
    client = sign_in_as(Client(), world.users["community_staff"])
    response = client.get(reverse("registry:import_template", args=[ImportJob.Kind.PEOPLE]))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "filename*=UTF-8''" in response["Content-Disposition"]


def test_a_running_job_page_polls_for_progress(world: World, media) -> None:
    from gridgov.registry.tests.factories import ImportJobFactory

    job = ImportJobFactory(
        created_by=world.users["community_staff"],
        status=ImportJob.Status.VALIDATING,
        total_rows=1000,
        processed_rows=250,
    )
    client = sign_in_as(Client(), world.users["community_staff"])
    html = client.get(
        reverse("registry:import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "width: 25%" in html
