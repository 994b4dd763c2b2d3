"""The consultation pages: staff list, open, follow, record door to door, remind, close; a
resident answers from a phone."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.core.models import Notification
from gridgov.participation.models import Consultation, ConsultationAnswer
from gridgov.participation.tests.factories import (
    ConsultationAnswerFactory,
    consultation_over,
    estate_with_households,
    resident_account,
)
from gridgov.registry.tests.factories import HouseholdMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.community_a, "staff_a")


@pytest.fixture
def place(town):
    return estate_with_households(town.grid_a, households=3, name="飞碟苑")


@pytest.fixture
def consultation(town, place):
    return consultation_over([place], cell=town.grid_a, title="加装电梯意向征询")


def test_staff_see_the_consultations_of_their_area_in_chinese(client, staff, consultation, town):
    other = estate_with_households(town.grid_b, households=1)
    consultation_over([other], cell=town.grid_b, title="彭渡征询")
    client.force_login(staff)

    response = client.get(reverse("participation:consultation_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "加装电梯意向征询" in html
    assert "彭渡征询" not in html
    assert 'id="gg-consultation-new"' in html


def test_a_resident_cannot_open_the_staff_list(client, town, place):
    client.force_login(resident_account(place.people[0], town.grid_a))

    response = client.get(reverse("participation:consultation_list"))

    assert response.status_code == 403


def test_staff_open_a_consultation_from_the_form(client, staff, place):
    client.force_login(staff)
    closes = timezone.localdate() + datetime.timedelta(days=10)

    response = client.post(
        reverse("participation:consultation_create"),
        {
            "title": "加装电梯意向征询",
            "question": "是否同意?",
            "audience": "households",
            "basis": "eligible",
            "pass_numerator": "2",
            "pass_denominator": "3",
            "closes_on": closes.isoformat(),
            "estates": [str(place.estate.pk)],
        },
    )

    consultation = Consultation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "participation:consultation_detail", args=[consultation.pk]
    )
    assert timezone.localtime(consultation.closes_at).date() == closes


def test_the_form_shows_the_refusal_when_no_estate_is_chosen(client, staff, place):
    client.force_login(staff)

    response = client.post(
        reverse("participation:consultation_create"),
        {
            "title": "征询",
            "question": "?",
            "audience": "households",
            "basis": "eligible",
            "pass_numerator": "2",
            "pass_denominator": "3",
            "closes_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        },
    )

    assert response.status_code == 200
    assert "请至少选择一个小区、楼栋或门洞" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_the_form_offers_the_doorways_of_one_estate(client, staff, place):
    client.force_login(staff)

    response = client.get(reverse("participation:consultation_create"), {"estate": place.estate.pk})

    html = response.content.decode()
    assert f'value="u:{place.building.pk}/{place.unit_2.pk}"' in html


def test_the_detail_page_shows_the_result_per_estate_and_the_chart_data(
    client, staff, consultation, place, django_assert_max_num_queries
):
    for household in place.households[:2]:
        ConsultationAnswerFactory(consultation=consultation, household=household)
    client.force_login(staff)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("participation:consultation_detail", args=[consultation.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 / 1" not in html
    assert "2 / 3" in html  # answered of consulted
    assert '"percent": [67]' in html
    assert "echarts/echarts.min.js" in html
    assert "已通过" in html


def test_staff_of_another_community_do_not_find_the_consultation(
    client, town, make_member, consultation
):
    client.force_login(make_member(Role.COMMUNITY_STAFF, town.community_b))

    response = client.get(reverse("participation:consultation_detail", args=[consultation.pk]))

    assert response.status_code == 404


def test_staff_record_a_door_to_door_answer_from_the_list_of_unanswered(
    client, staff, consultation, place
):
    client.force_login(staff)
    url = reverse("participation:consultation_record", args=[consultation.pk])

    listing = client.get(url)
    response = client.post(url, {"unit": place.households[2].pk, "choice": "no"})

    assert f'data-unit="{place.households[2].pk}"' in listing.content.decode()
    assert response.status_code == 302
    answer = ConsultationAnswer.objects.get()
    assert (answer.household_id, answer.choice) == (place.households[2].pk, "no")
    after = client.get(url).content.decode()
    assert f'data-unit="{place.households[2].pk}"' not in after


def test_recording_a_second_answer_shows_the_refusal(client, staff, consultation, place):
    ConsultationAnswerFactory(consultation=consultation, household=place.households[0])
    client.force_login(staff)
    url = reverse("participation:consultation_record", args=[consultation.pk])

    response = client.post(url, {"unit": place.households[0].pk, "choice": "no"}, follow=True)

    assert "已经答复" in response.content.decode()
    assert list(ConsultationAnswer.objects.values_list("choice", flat=True)) == ["yes"]


def test_the_remind_button_sends_once_a_day(client, staff, consultation):
    client.force_login(staff)
    url = reverse("participation:consultation_remind", args=[consultation.pk])

    client.post(url)
    second = client.post(url, follow=True)

    assert Notification.objects.count() == 3  # one SMS per household, nobody linked
    assert "今天已发送过提醒" in second.content.decode()


def test_the_close_button_closes_the_consultation(client, staff, consultation):
    client.force_login(staff)

    client.post(reverse("participation:consultation_close", args=[consultation.pk]))

    consultation.refresh_from_db()
    assert consultation.status == Consultation.Status.CLOSED


def test_a_resident_sees_the_consultations_that_ask_their_household(
    client, town, place, consultation
):
    other = estate_with_households(town.grid_a, households=1)
    consultation_over([other], cell=town.grid_a, title="别的小区征询")
    client.force_login(resident_account(place.people[0], town.grid_a))

    response = client.get(reverse("participation:my_consultations"))

    html = response.content.decode()
    assert f'data-consultation="{consultation.pk}"' in html
    assert "别的小区征询" not in html


def test_a_resident_answers_from_the_phone_page_and_then_sees_their_answer(
    client, town, place, consultation
):
    client.force_login(resident_account(place.people[1], town.grid_a))
    url = reverse("participation:my_consultation", args=[consultation.pk])

    before = client.get(url).content.decode()
    client.post(url, {"choice": "yes"})
    after = client.get(url).content.decode()

    assert 'id="gg-answer-yes"' in before
    assert 'id="gg-my-answer"' in after
    assert 'id="gg-answer-yes"' not in after
    assert ConsultationAnswer.objects.get().household_id == place.households[1].pk


def test_a_resident_answering_twice_sees_the_refusal(client, town, place, consultation):
    client.force_login(resident_account(place.people[1], town.grid_a))
    url = reverse("participation:my_consultation", args=[consultation.pk])
    client.post(url, {"choice": "yes"})

    response = client.post(url, {"choice": "no"}, follow=True)

    assert "已经答复" in response.content.decode()
    assert list(ConsultationAnswer.objects.values_list("choice", flat=True)) == ["yes"]


def test_a_resident_outside_the_scope_does_not_find_the_answer_page(client, town, consultation):
    other = estate_with_households(town.grid_a, households=1)
    client.force_login(resident_account(other.people[0], town.grid_a))

    response = client.get(reverse("participation:my_consultation", args=[consultation.pk]))

    assert response.status_code == 404


def test_a_tenant_sees_that_an_owners_consultation_does_not_ask_them(client, town, place):
    consultation = consultation_over([place], cell=town.grid_a, audience="owners")
    tenant = PersonFactory(cell=town.grid_a)
    HouseholdMemberFactory(household=place.households[0], person=tenant, relation="other")
    client.force_login(resident_account(tenant, town.grid_a))

    html = client.get(
        reverse("participation:my_consultation", args=[consultation.pk])
    ).content.decode()

    assert 'id="gg-not-asked"' in html
    assert 'id="gg-answer-yes"' not in html
