"""Open311 POST requests go through the cases engine: located, routed, answered, read back."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gridgov.cases.models import Case, Channel
from gridgov.cases.services.api_clients import api_client_issue
from gridgov.cases.tests.helpers_open311 import make_catalogue

BASE = "/open311/v2"


@pytest.fixture
def setup(town, platform_admin):
    catalogue = make_catalogue()
    client, key = api_client_issue(actor=platform_admin, name="市民服务App")
    return {"catalogue": catalogue, "client": client, "key": key}


def _post(data, fmt="json"):
    return Client().post(f"{BASE}/requests.{fmt}", data)


def test_a_posted_request_becomes_a_case_and_reads_back(setup, town):
    response = _post(
        {
            "api_key": setup["key"],
            "service_code": "road-damage",
            "lat": "31.1",
            "long": "121.05",
            "description": "飞碟苑门口路面塌陷",
            "attribute[danger]": "yes",
            "attribute[size]": "2.5",
            "first_name": "三",
            "last_name": "张",
            "phone": "13812345678",
            "email": "zhang@example.com",
            "account_id": "acct-7",
        }
    )
    assert response.status_code == 200, response.content
    (created,) = json.loads(response.content)
    assert created["account_id"] == "acct-7"
    assert created["service_notice"]
    case = Case.objects.get(number=created["service_request_id"])
    assert case.channel == Channel.OPEN311
    assert case.api_client == setup["client"]
    assert case.cell == town.micro_a1
    assert case.description == "飞碟苑门口路面塌陷"
    assert case.attributes["danger"] == "yes"
    assert case.attributes["size"] == 2.5
    assert case.reporter_name == "张三"
    assert case.reporter_phone_encrypted
    assert "13812345678" not in case.reporter_phone_encrypted

    read = Client().get(f"{BASE}/requests/{case.number}.json")
    (row,) = json.loads(read.content)
    assert row["status"] == "open"
    assert row["service_code"] == "road-damage"
    assert row["description"] == "飞碟苑门口路面塌陷"
    body = read.content.decode()
    for private in ("13812345678", "张三", "zhang@example.com", "5678"):
        assert private not in body


def test_post_in_xml_answers_in_xml(setup):
    response = _post(
        {"api_key": setup["key"], "service_code": "street-light", "lat": "31.1", "long": "121.25"},
        fmt="xml",
    )
    assert response.status_code == 200, response.content
    assert b"<service_requests><request><service_request_id>" in response.content


@pytest.mark.parametrize(
    "answers",
    [
        {},  # the required question unanswered
        {"attribute[danger]": "maybe"},  # not one of the values
        {"attribute[danger]": "yes", "attribute[size]": "big"},  # not a number
    ],
)
def test_attribute_answers_are_checked(setup, answers):
    data = {
        "api_key": setup["key"],
        "service_code": "road-damage",
        "lat": "31.1",
        "long": "121.05",
        **answers,
    }
    response = _post(data)
    assert response.status_code == 400, response.content
    assert json.loads(response.content)[0]["code"] == 400
    assert not Case.objects.exists()


def test_a_point_outside_every_area_is_400(setup):
    data = {"api_key": setup["key"], "service_code": "noise", "lat": "39.9", "long": "116.4"}
    response = _post(data)
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_media_url_is_kept_and_published(setup):
    data = {
        "api_key": setup["key"],
        "service_code": "noise",
        "lat": "31.1",
        "long": "121.05",
        "media_url": "https://img.example.org/p/1.jpg",
    }
    response = _post(data)
    assert response.status_code == 200, response.content
    number = json.loads(response.content)[0]["service_request_id"]
    (row,) = json.loads(Client().get(f"{BASE}/requests/{number}.json").content)
    assert row["media_url"] == "https://img.example.org/p/1.jpg"
