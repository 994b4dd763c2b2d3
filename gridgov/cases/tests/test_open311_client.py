"""A published third-party GeoReport v2 client (PyPI ``georeport``), used unchanged against a
live server on loopback: it lists the services, reads a definition, and reads back a request.

``georeport`` does not file requests, so the request is filed exactly as the specification
describes it: a form-encoded ``POST requests.json`` with ``api_key`` — using ``requests``,
the HTTP library the client itself is built on.
"""

from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from gridgov.accounts.roles import Role
from gridgov.cases.models import Case, Channel
from gridgov.cases.services.api_clients import api_client_issue
from gridgov.cases.tests.helpers_open311 import make_catalogue

JURISDICTION = "maqiao.gridgov.cn"


@pytest.fixture
def endpoint(live_server, audit_chain_genesis, town, make_member, settings):
    settings.GRIDGOV_OPEN311_JURISDICTION = JURISDICTION
    make_catalogue()
    admin = make_member(Role.PLATFORM_ADMIN, town.town, "open311admin")
    _client, key = api_client_issue(actor=admin, name="第三方311客户端")
    return {"root": f"{live_server.url}/open311/v2", "key": key}


def _file_request(endpoint: dict[str, str]) -> str:
    response = requests.post(
        f"{endpoint['root']}/requests.json",
        data={
            "jurisdiction_id": JURISDICTION,
            "api_key": endpoint["key"],
            "service_code": "road-damage",
            "lat": "31.1",
            "long": "121.05",
            "address_string": "马桥镇飞碟苑12号楼",
            "attribute[danger]": "yes",
            "description": "飞碟苑门口路面塌陷",
            "first_name": "三",
            "last_name": "张",
            "phone": "13812345678",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    (created,) = response.json()
    return str(created["service_request_id"])


def test_the_georeport_client_lists_posts_and_reads_back_in_json(endpoint):
    client = GeoReport(endpoint["root"], jurisdiction=JURISDICTION, api_key=endpoint["key"])

    services = client.get_service_list()
    assert [service["service_code"] for service in services] == [
        "road-damage",
        "street-light",
        "noise",
    ]
    definition = client.get_service_definition("road-damage")
    assert [attribute["code"] for attribute in definition["attributes"]] == ["danger", "size"]

    request_id = _file_request(endpoint)
    case = Case.objects.get(number=request_id)
    assert case.channel == Channel.OPEN311

    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id
    assert read["service_code"] == "road-damage"
    assert read["status"] == "open"
    assert read["description"] == "飞碟苑门口路面塌陷"
    assert read["requested_datetime"].endswith("+08:00")
    listed = client.get_service_requests(service_code="road-damage", status="open")
    assert [row["service_request_id"] for row in listed] == [request_id]


def test_the_georeport_client_reads_the_xml_format(endpoint):
    client = GeoReport(endpoint["root"], jurisdiction=JURISDICTION, output_format="xml")
    services = client.get_service_list()
    assert [service["service_code"] for service in services] == [
        "road-damage",
        "street-light",
        "noise",
    ]
    definition = client.get_service_definition("road-damage")
    assert definition["service_code"] == "road-damage"

    request_id = _file_request(endpoint)
    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id
    assert read["status"] == "open"
    assert read["service_name"] == "道路破损"


def test_the_client_sees_the_specifications_errors(endpoint):
    wrong_place = GeoReport(endpoint["root"], jurisdiction="chicago.il")
    with pytest.raises(requests.HTTPError) as raised:
        wrong_place.get_service_list()
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()[0]["code"] == 404
    client = GeoReport(endpoint["root"], jurisdiction=JURISDICTION)
    with pytest.raises(requests.HTTPError) as raised:
        client.get_service_definition("no-such-service")
    assert raised.value.response.status_code == 404
