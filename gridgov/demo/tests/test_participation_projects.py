"""The demo town's elevator programme and consultations."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import User
from gridgov.demo.participation_projects import SEED_FUNNEL, _funnel_counts
from gridgov.demo.services import demo_town_generate
from gridgov.participation.models import Consultation, Project
from gridgov.participation.selectors.consultations import (
    consultation_list_for_resident,
    consultation_result,
)
from gridgov.participation.selectors.projects import project_funnel, project_list_for_resident
from gridgov.participation.services.projects import ELEVATOR_TEMPLATE


@pytest.fixture
def small_town(db):
    return demo_town_generate(profile="small", seed=5)


def test_the_seed_funnel_scales_to_the_seed_itself_and_halves_exactly():
    assert _funnel_counts(1406) == list(SEED_FUNNEL)
    assert _funnel_counts(703) == [703, 211, 142, 67, 48, 36]
    assert _funnel_counts(2) == [2, 1, 1, 1, 1, 1]


def test_the_demo_programme_has_the_seed_funnel_shape(small_town):
    admin = User.objects.get(username="admin")

    funnel = project_funnel(actor=admin, template_code=ELEVATOR_TEMPLATE)

    doorways = Project.objects.count()
    assert funnel.total == doorways
    assert [step.projects for step in funnel.steps] == _funnel_counts(doorways)
    assert funnel.steps[-1].projects >= 1


def test_the_multi_estate_consultation_fails_in_exactly_one_estate(small_town):
    consultation = Consultation.objects.get(status=Consultation.Status.CLOSED)

    result = consultation_result(consultation)

    assert len(result.estates) >= 2
    assert result.estates_passed == len(result.estates) - 1


def test_the_demo_resident_has_an_open_consultation_and_a_doorway_project(small_town):
    resident = User.objects.get(username="resident")

    open_ones = consultation_list_for_resident(actor=resident).filter(status="open")

    assert open_ones.count() == 1
    assert project_list_for_resident(actor=resident).exists()
