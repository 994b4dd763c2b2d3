"""实名认证 pages and API: the resident's "my identity" page, the staff block, ``/api/v1/me/person/``."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.core.models import Notification
from gridgov.registry.models import PersonAccount, PersonAccountCode, Residency
from gridgov.registry.services.accounts import person_account_link_by_staff
from gridgov.registry.tests.factories import OwnershipFactory, ResidencyFactory
from gridgov.registry.tests.helpers_views import sign_in_as

pytestmark = pytest.mark.django_db

ID_NUMBER = "310112198001011230"
UNIFORM_ANSWER = (
    "如姓名和身份证号与登记信息一致且登记了手机号，验证码已通过短信发送到该手机，10 分钟内有效。"
)


@pytest.fixture
def owner(person_factory, places):
    person = person_factory(name="王建国", id_number=ID_NUMBER, phone="13912345678")
    ResidencyFactory(person=person, dwelling=places.dwellings[0], role=Residency.Role.OWNER)
    OwnershipFactory(owner=person, dwelling=places.dwellings[0], share_numerator=1,
                     share_denominator=2)  # fmt: skip
    return person


@pytest.fixture
def resident(town, make_member):
    return make_member(Role.RESIDENT, town.grid_a, "resident_wang")


@pytest.fixture
def worker_a(town, make_member):
    return make_member(Role.GRID_WORKER, town.grid_a, "worker_a")


def _page(client: Client, **data: str):
    return client.post(reverse("registry:my_identity"), data)


def test_the_my_identity_page_offers_the_code_request_to_a_resident(resident):
    client = sign_in_as(Client(), resident)

    response = client.get(reverse("registry:my_identity"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "我的身份" in html
    assert 'name="id_number"' in html
    assert 'name="code"' in html


def test_staff_without_the_take_part_permission_get_403_on_my_identity(worker_a):
    client = sign_in_as(Client(), worker_a)

    assert client.get(reverse("registry:my_identity")).status_code == 403


def test_asking_for_a_code_answers_the_same_whether_or_not_the_person_exists(owner, resident):
    client = sign_in_as(Client(), resident)

    known = _page(client, step="request", name="王建国", id_number=ID_NUMBER)
    unknown = _page(client, step="request", name="王建国", id_number="310112198001011249")

    assert (known.status_code, unknown.status_code) == (200, 200)
    for response in (known, unknown):
        html = response.content.decode()
        assert UNIFORM_ANSWER in html
        assert ID_NUMBER not in html
        assert "310112198001011249" not in html
    assert Notification.objects.filter(channel=Notification.Channel.SMS).count() == 1


def test_a_refused_request_does_not_echo_the_id_number(owner, resident):
    client = sign_in_as(Client(), resident)
    for _ in range(3):
        _page(client, step="request", name="王建国", id_number=ID_NUMBER)

    response = _page(client, step="request", name="王建国", id_number=ID_NUMBER)

    html = response.content.decode()
    assert response.status_code == 400
    assert "最近一小时内您已申请 3 次验证码" in html
    assert ID_NUMBER not in html
    assert PersonAccountCode.objects.count() == 3


def test_confirming_the_code_links_and_shows_the_record_masked(owner, resident):
    client = sign_in_as(Client(), resident)
    _page(client, step="request", name="王建国", id_number=ID_NUMBER)
    sms = Notification.objects.get(channel=Notification.Channel.SMS)
    code = re.search(r"\d{6}", sms.subject).group(0)

    response = _page(client, step="confirm", code=code)
    page = client.get(reverse("registry:my_identity")).content.decode()

    assert response.status_code == 302
    assert PersonAccount.objects.get().person_id == owner.pk
    assert "王**" in page
    assert "王建国" not in page
    assert "310112********1230" in page
    assert ID_NUMBER not in page
    assert "139****5678" in page
    assert "12号楼 ***" in page
    assert "101室" not in page
    assert "份额 1/2" in page


def test_a_wrong_code_on_the_page_shows_the_reason_and_links_nothing(owner, resident):
    client = sign_in_as(Client(), resident)
    _page(client, step="request", name="王建国", id_number=ID_NUMBER)
    sms = Notification.objects.get(channel=Notification.Channel.SMS)
    code = re.search(r"\d{6}", sms.subject).group(0)

    response = _page(client, step="confirm", code=f"{(int(code) + 1) % 1_000_000:06d}")

    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert PersonAccount.objects.count() == 0


def test_the_person_page_lets_staff_link_an_account_by_username(owner, resident, worker_a):
    client = sign_in_as(Client(), worker_a)
    detail = reverse("registry:person_detail", args=[owner.pk])
    assert 'id="gg-account-link"' in client.get(detail).content.decode()

    response = client.post(
        reverse("registry:person_account_link", args=[owner.pk]), {"username": "resident_wang"}
    )

    assert response.status_code == 302
    link = PersonAccount.objects.get()
    assert (link.user_id, link.method, link.verified_by_id) == (resident.pk, "staff", worker_a.pk)
    html = client.get(detail).content.decode()
    assert 'id="gg-account-unlink"' in html
    assert "resident_wang" in html


def test_the_person_page_lets_staff_unlink_with_a_reason(owner, resident, worker_a):
    person_account_link_by_staff(actor=worker_a, user_id=resident.pk, person_id=owner.pk)
    client = sign_in_as(Client(), worker_a)

    response = client.post(
        reverse("registry:person_account_unlink", args=[owner.pk]), {"reason": "账号绑定错误"}
    )

    assert response.status_code == 302
    assert PersonAccount.objects.count() == 0


def test_staff_who_may_only_view_see_the_link_but_no_forms(
    town, owner, resident, worker_a, make_member
):
    person_account_link_by_staff(actor=worker_a, user_id=resident.pk, person_id=owner.pk)
    operator = make_member(Role.OPERATOR, town.town, "operator")
    client = sign_in_as(Client(), operator)

    html = client.get(reverse("registry:person_detail", args=[owner.pk])).content.decode()
    refused = client.post(
        reverse("registry:person_account_unlink", args=[owner.pk]), {"reason": "账号绑定错误"}
    )

    assert "resident_wang" in html
    assert 'id="gg-account-unlink"' not in html
    assert refused.status_code == 403
    assert PersonAccount.objects.count() == 1


def test_staff_of_another_grid_cannot_link_from_the_page(town, owner, resident, make_member):
    worker_b = make_member(Role.GRID_WORKER, town.grid_b, "worker_b")
    client = sign_in_as(Client(), worker_b)

    response = client.post(
        reverse("registry:person_account_link", args=[owner.pk]), {"username": "resident_wang"}
    )

    assert response.status_code == 404
    assert PersonAccount.objects.count() == 0


def test_the_api_gives_the_linked_person_masked(owner, resident, worker_a):
    person_account_link_by_staff(actor=worker_a, user_id=resident.pk, person_id=owner.pk)
    api = APIClient()
    api.force_authenticate(resident)

    response = api.get("/api/v1/me/person/")

    body = response.json()
    assert response.status_code == 200
    assert (body["name_masked"], body["id_number_masked"], body["phone_masked"]) == (
        "王**",
        "310112********1230",
        "139****5678",
    )
    assert body["method"] == "staff"
    assert [row["address_masked"] for row in body["dwellings"]] == [body["ownerships"][0][
        "address_masked"]]  # fmt: skip
    assert body["ownerships"][0]["relation"] == "1/2"
    assert "王建国" not in response.content.decode()
    assert ID_NUMBER not in response.content.decode()


def test_the_api_answers_404_not_linked_for_an_account_without_a_link(resident):
    api = APIClient()
    api.force_authenticate(resident)

    response = api.get("/api/v1/me/person/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_linked"


def test_the_api_refuses_an_anonymous_caller():
    response = APIClient().get("/api/v1/me/person/")

    assert response.status_code == 401
