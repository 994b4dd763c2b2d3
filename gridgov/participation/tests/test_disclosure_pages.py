"""The disclosure page (四公开一监督): published in versions by staff, read by the estate's
residents with committee names masked, and by the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gridgov.core.models import AuditEntry
from gridgov.participation.models import DisclosureVersion
from gridgov.participation.services.disclosure import (
    disclosure_content_from_lines,
    disclosure_update,
)
from gridgov.participation.tests.factories import resident_account, supervision_world

CONTENT = {
    "fees": [{"item": "物业服务费", "standard": "1.80 元/㎡·月"}],
    "fund_income": [{"date": "2026-01-05", "item": "维修资金续筹", "amount": "12000"}],
    "fund_spending": [{"date": "2026-02-10", "item": "屋面防水", "amount": "4500.5"}],
    "contracts": [
        {"name": "电梯维保合同", "party": "某电梯公司", "amount": "36000", "period": "2026"}
    ],
    "committee": [{"name": "张建国", "role": "主任"}, {"name": "欧阳明华", "role": "委员"}],
    "notes": "每季度公示",
}


@pytest.fixture
def world(town):
    return supervision_world(town)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_staff_publish_versions_and_each_is_audited(world):
    first = disclosure_update(actor=world.staff, estate=world.a.estate, content=CONTENT)
    second = disclosure_update(
        actor=world.staff, estate=world.a.estate, content={**CONTENT, "notes": "更正"}, note="更正"
    )
    assert (first.version, second.version) == (1, 2)
    assert first.content["fund_spending"][0]["amount"] == "4500.50"
    assert second.edited_by == world.staff
    assert AuditEntry.objects.filter(action="participation.disclosure_update").count() == 2


def test_bad_amounts_and_dates_are_refused_and_nothing_is_published(world):
    bad_amount = {**CONTENT, "fund_income": [{"date": "2026-01-05", "item": "x", "amount": "-3"}]}
    bad_date = {**CONTENT, "fund_income": [{"date": "2026-13-40", "item": "x", "amount": "3"}]}
    for content in (bad_amount, bad_date, {"fees": "not a list"}, ["not", "a", "dict"]):
        with pytest.raises(ValidationError):
            disclosure_update(actor=world.staff, estate=world.a.estate, content=content)
    assert DisclosureVersion.objects.count() == 0


def test_grid_worker_and_residents_cannot_publish(world, grid_worker_a):
    for actor in (grid_worker_a, world.resident):
        with pytest.raises(PermissionDenied):
            disclosure_update(actor=actor, estate=world.a.estate, content=CONTENT)
    assert DisclosureVersion.objects.count() == 0


def test_lines_with_bars_become_rows():
    content = disclosure_content_from_lines(
        {"fees": "物业服务费 | 1.80 元/㎡·月\n\n停车费|150 元/月", "committee": "张建国 | 主任"}
    )
    assert content["fees"] == [
        {"item": "物业服务费", "standard": "1.80 元/㎡·月"},
        {"item": "停车费", "standard": "150 元/月"},
    ]
    assert content["committee"] == [{"name": "张建国", "role": "主任"}]
    with pytest.raises(ValidationError):
        disclosure_content_from_lines({"fees": "a | b | c"})


def test_resident_reads_the_page_with_committee_names_masked_and_a_report_link(world):
    disclosure_update(actor=world.staff, estate=world.a.estate, content=CONTENT)
    response = _client(world.resident).get(
        reverse("participation:disclosure", args=[world.a.estate.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "张**" in body
    assert "欧阳**" in body
    assert "张建国" not in body
    assert "欧阳明华" not in body
    assert "7499.50" in body  # 12000 in, 4500.50 out
    assert reverse("cases:report") in body
    assert 'id="gg-disclosure-edit"' not in body


def test_resident_of_another_estate_cannot_read_it(world, town):
    other = resident_account(world.b.people[0], town.grid_b, "resident_b")
    response = _client(other).get(reverse("participation:disclosure", args=[world.a.estate.pk]))
    assert response.status_code == 404


def test_resident_cannot_open_the_edit_page(world):
    response = _client(world.resident).get(
        reverse("participation:disclosure_edit", args=[world.a.estate.pk])
    )
    assert response.status_code == 403


def test_staff_publish_from_the_edit_page(world):
    url = reverse("participation:disclosure_edit", args=[world.a.estate.pk])
    posted = _client(world.staff).post(
        url,
        {
            "fees": "物业服务费 | 1.80 元/㎡·月",
            "fund_income": "2026-01-05 | 续筹 | 100",
            "committee": "李四 | 委员",
            "note": "首次公示",
        },
    )
    refused = _client(world.staff).post(url, {"fund_income": "2026-01-05 | 续筹 | 一百"})
    version = DisclosureVersion.objects.get()
    assert posted.status_code == 302
    assert refused.status_code == 400
    assert version.content["fund_income"] == [
        {"date": "2026-01-05", "item": "续筹", "amount": "100.00"}
    ]
    assert version.note == "首次公示"


def test_disclosure_api_reads_masked_and_publishes_a_version(world):
    staff = APIClient()
    staff.force_authenticate(world.staff)
    resident = APIClient()
    resident.force_authenticate(world.resident)
    url = reverse("api-participation-disclosure", args=[world.a.estate.pk])

    put = staff.put(url, {"content": CONTENT, "note": "首次"}, format="json")
    read = resident.get(url)
    refused = resident.put(url, {"content": CONTENT}, format="json")
    invalid = staff.put(url, {"content": {**CONTENT, "fees": "x"}}, format="json")

    assert put.status_code == 200
    assert read.json()["version"] == 1
    assert read.json()["content"]["committee"][0] == {"name": "张**", "role": "主任"}
    assert read.json()["content"]["fund_balance"] == "7499.50"
    assert read.json()["can_edit"] is False
    assert (refused.status_code, invalid.status_code) == (403, 400)
    assert DisclosureVersion.objects.count() == 1
