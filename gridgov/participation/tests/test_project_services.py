"""Multi-stage projects (加装电梯): stages in order, dates, decisions, documents, the funnel."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEntry
from gridgov.participation.models import Project, ProjectDocument, ProjectStage, Vote
from gridgov.participation.selectors.projects import project_funnel
from gridgov.participation.services.projects import (
    ELEVATOR_TEMPLATE,
    project_create,
    project_document_add,
    project_stage_reach,
)
from gridgov.participation.tests.factories import (
    ConsultationAnswerFactory,
    consultation_over,
    estate_with_households,
)

PDF = b"%PDF-1.7\n%test document\n"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


@pytest.fixture
def doorway(town):
    return estate_with_households(town.grid_a, households=2)


@pytest.fixture
def project(staff, doorway):
    return project_create(
        actor=staff,
        template_code=ELEVATOR_TEMPLATE,
        building_id=doorway.building.pk,
        unit_id=doorway.unit_1.pk,
    )


def _reached(project: Project) -> list[tuple[str, datetime.date | None]]:
    return list(project.stages.order_by("order").values_list("code", "reached_on"))


def test_an_elevator_project_gets_the_six_stages_of_the_template_in_chinese(project):
    names = list(project.stages.order_by("order").values_list("name", flat=True))

    assert names == ["意向征询", "征询通过", "签约", "开工", "竣工", "投入使用"]
    assert project.title.endswith("1单元加装电梯")


def test_a_second_project_on_the_same_doorway_is_refused(staff, doorway, project):
    with pytest.raises(ValidationError) as refusal:
        project_create(
            actor=staff,
            template_code=ELEVATOR_TEMPLATE,
            building_id=doorway.building.pk,
            unit_id=doorway.unit_1.pk,
        )

    assert refusal.value.code == "project_exists"
    assert Project.objects.count() == 1


def test_staff_outside_the_area_cannot_start_a_project(town, make_member, doorway):
    outsider = make_member(Role.COMMUNITY_STAFF, town.community_b)

    with pytest.raises(PermissionDenied):
        project_create(
            actor=outsider, template_code=ELEVATOR_TEMPLATE, building_id=doorway.building.pk
        )

    assert Project.objects.count() == 0


def test_stages_are_reached_in_order_with_their_dates(staff, project):
    today = timezone.localdate()

    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=today - 2 * DAY
    )
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="consulted", reached_on=today
    )

    project.refresh_from_db()
    assert project.stage_order == 2
    assert _reached(project)[:3] == [
        ("intent", today - 2 * DAY),
        ("consulted", today),
        ("signed", None),
    ]
    assert AuditEntry.objects.filter(action="participation.project_stage_reach").count() == 2


def test_skipping_a_stage_is_refused_and_nothing_changes(staff, project):
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )

    with pytest.raises(ValidationError) as refusal:
        project_stage_reach(
            actor=staff,
            project_id=project.pk,
            stage_code="signed",
            reached_on=timezone.localdate(),
        )

    assert refusal.value.code == "stage_skipped"
    project.refresh_from_db()
    assert project.stage_order == 1
    assert ProjectStage.objects.filter(reached_on__isnull=False).count() == 1


def test_an_optional_stage_may_be_passed_over(staff, project):
    ProjectStage.objects.filter(project=project, code="consulted").update(is_optional=True)
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )

    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="signed", reached_on=timezone.localdate()
    )

    project.refresh_from_db()
    assert project.stage_order == 3
    assert project.stages.get(code="consulted").reached_on is None


def test_a_stage_reached_twice_is_refused(staff, project):
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )

    with pytest.raises(ValidationError) as refusal:
        project_stage_reach(
            actor=staff,
            project_id=project.pk,
            stage_code="intent",
            reached_on=timezone.localdate(),
        )

    assert refusal.value.code == "stage_reached"


def test_a_date_before_the_previous_stage_or_in_the_future_is_refused(staff, project):
    today = timezone.localdate()
    project_stage_reach(actor=staff, project_id=project.pk, stage_code="intent", reached_on=today)

    for bad_date in (today - DAY, today + DAY):
        with pytest.raises(ValidationError) as refusal:
            project_stage_reach(
                actor=staff, project_id=project.pk, stage_code="consulted", reached_on=bad_date
            )
        assert refusal.value.code == "invalid_date"

    assert project.stages.get(code="consulted").reached_on is None


def test_reaching_the_last_stage_completes_the_project(staff, project):
    for code in ("intent", "consulted", "signed", "started", "completed", "in_use"):
        project_stage_reach(
            actor=staff, project_id=project.pk, stage_code=code, reached_on=timezone.localdate()
        )

    project.refresh_from_db()
    assert (project.status, project.stage_order) == (Project.Status.COMPLETED, 6)


def test_a_passed_consultation_can_pass_a_stage_but_an_open_one_cannot(
    town, staff, doorway, project
):
    consultation = consultation_over([doorway], cell=town.grid_a)
    for household in doorway.households:
        ConsultationAnswerFactory(consultation=consultation, household=household)
    project_stage_reach(
        actor=staff, project_id=project.pk, stage_code="intent", reached_on=timezone.localdate()
    )

    with pytest.raises(ValidationError) as refusal:
        project_stage_reach(
            actor=staff,
            project_id=project.pk,
            stage_code="consulted",
            reached_on=timezone.localdate(),
            consultation_id=consultation.pk,
        )
    assert refusal.value.code == "invalid_decision"

    consultation.status = "closed"
    consultation.save(update_fields=["status"])
    stage = project_stage_reach(
        actor=staff,
        project_id=project.pk,
        stage_code="consulted",
        reached_on=timezone.localdate(),
        consultation_id=consultation.pk,
    )
    assert stage.consultation == consultation


def test_a_pdf_document_is_attached_to_a_stage(staff, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    document = project_document_add(
        actor=staff,
        project_id=project.pk,
        stage_code="signed",
        upload=SimpleUploadedFile("合同.pdf", PDF, content_type="application/pdf"),
    )

    assert (document.original_name, document.content_type, document.size) == (
        "合同.pdf",
        "application/pdf",
        len(PDF),
    )


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("合同.exe", PDF, "upload_not_document"),  # a name that is not what the file is
        ("合同.pdf", b"MZ\x90\x00 not a pdf", "upload_not_document"),  # content not accepted
        ("合同.pdf", b"", "upload_empty"),
        ("合同.pdf", b"%PDF-" + b"0" * 200, "upload_too_large"),  # the limit is 100 bytes here
    ],
)
def test_a_bad_document_is_refused(staff, project, settings, tmp_path, name, content, code):
    settings.MEDIA_ROOT = tmp_path
    settings.GRIDGOV_UPLOAD_MAX_BYTES = 100

    with pytest.raises(ValidationError) as refusal:
        project_document_add(
            actor=staff,
            project_id=project.pk,
            stage_code="signed",
            upload=SimpleUploadedFile(name, content),
        )

    assert refusal.value.code == code
    assert ProjectDocument.objects.count() == 0
    assert list(tmp_path.iterdir()) == []


def test_the_funnel_counts_projects_that_reached_each_stage(town, staff):
    today = timezone.localdate()
    furthest = [0, 1, 1, 2, 3, 6]
    for reached in furthest:
        place = estate_with_households(town.grid_a, households=1)
        project = project_create(
            actor=staff, template_code=ELEVATOR_TEMPLATE, building_id=place.building.pk
        )
        for stage in project.stages.order_by("order")[:reached]:
            project_stage_reach(
                actor=staff, project_id=project.pk, stage_code=stage.code, reached_on=today
            )

    funnel = project_funnel(actor=staff, template_code=ELEVATOR_TEMPLATE)

    assert funnel.total == 6
    assert [step.projects for step in funnel.steps] == [5, 3, 2, 1, 1, 1]
    assert [step.at_stage for step in funnel.steps] == [2, 1, 1, 0, 0, 1]


def test_the_funnel_keeps_to_the_chosen_area(town, make_member, staff):
    operator = make_member(Role.OPERATOR, town.town)
    staff_b = make_member(Role.COMMUNITY_STAFF, town.community_b)
    for actor, cell in ((staff, town.grid_a), (staff_b, town.grid_b), (staff_b, town.grid_b)):
        place = estate_with_households(cell, households=1)
        project_create(actor=actor, template_code=ELEVATOR_TEMPLATE, building_id=place.building.pk)

    in_b = project_funnel(
        actor=operator, template_code=ELEVATOR_TEMPLATE, cell_code=town.community_b.code
    )
    everywhere = project_funnel(actor=operator, template_code=ELEVATOR_TEMPLATE)
    staff_view = project_funnel(actor=staff, template_code=ELEVATOR_TEMPLATE)

    assert (in_b.total, everywhere.total, staff_view.total) == (2, 3, 1)


def test_the_funnel_takes_three_queries_whatever_the_number_of_projects(
    town, staff, django_assert_max_num_queries
):
    for _index in range(5):
        place = estate_with_households(town.grid_a, households=1)
        project_create(actor=staff, template_code=ELEVATOR_TEMPLATE, building_id=place.building.pk)

    with django_assert_max_num_queries(3):
        funnel = project_funnel(actor=staff, template_code=ELEVATOR_TEMPLATE)

    assert funnel.steps[0].projects == 0
    assert funnel.total == 5


def _vote(place, cell, staff, *, status: str, passed: bool | None) -> Vote:
    now = timezone.now()
    return Vote.objects.create(
        created_by=staff,
        title="1单元加装电梯表决",
        unit=place.unit_1,
        matter="item7_alteration",
        opens_at=now - 10 * DAY,
        closes_at=now - DAY,
        status=status,
        cell=cell,
        result=None if passed is None else {"passed": passed},
    )


def test_a_closed_vote_that_passed_can_pass_a_stage_and_one_that_failed_cannot(
    town, staff, doorway, project
):
    failed = _vote(doorway, town.grid_a, staff, status="closed", passed=False)
    passed = _vote(doorway, town.grid_a, staff, status="closed", passed=True)
    today = timezone.localdate()
    project_stage_reach(actor=staff, project_id=project.pk, stage_code="intent", reached_on=today)

    with pytest.raises(ValidationError) as refusal:
        project_stage_reach(
            actor=staff,
            project_id=project.pk,
            stage_code="consulted",
            reached_on=today,
            vote_id=failed.pk,
        )
    assert refusal.value.code == "invalid_decision"
    assert project.stages.get(code="consulted").vote_id is None

    stage = project_stage_reach(
        actor=staff,
        project_id=project.pk,
        stage_code="consulted",
        reached_on=today,
        vote_id=passed.pk,
    )
    assert stage.vote == passed
