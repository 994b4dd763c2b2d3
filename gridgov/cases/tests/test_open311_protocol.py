"""Open311 GeoReport v2: documents, formats, filters, errors and keys, as the specification has them."""

from __future__ import annotations

import datetime
import json
from xml.etree import ElementTree

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from gridgov.accounts.roles import Role
from gridgov.cases.models import ApiClient, Channel, Status
from gridgov.cases.services.api_clients import (
    api_client_for_key,
    api_client_issue,
    api_client_revoke,
    key_digest,
)
from gridgov.cases.tests.helpers_open311 import make_case, make_catalogue
from gridgov.core.models import AuditEntry

BASE = "/open311/v2"


@pytest.fixture
def catalogue(db):
    return make_catalogue()


@pytest.fixture
def api_key(platform_admin):
    _client, key = api_client_issue(actor=platform_admin, name="市民服务App", contact="ops@example")
    return key


def _json(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def _xml(response):
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b"<?xml")
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own output


def _error(response, status):
    assert response.status_code == status, response.content
    body = _json(response)
    assert isinstance(body, list)
    assert body
    assert body[0]["code"] == status
    assert body[0]["description"]
    return body[0]["description"]


# --- discovery and services ------------------------------------------------------------------


def test_discovery_names_the_specification_and_both_formats(db):
    body = _json(Client().get(f"{BASE}/discovery.json"))
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = _xml(Client().get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]
    assert Client().get(f"{BASE}/").status_code == 302


def test_services_lists_active_leaf_categories_in_json(catalogue):
    body = _json(Client().get(f"{BASE}/services.json"))
    codes = [row["service_code"] for row in body]
    assert codes == ["road-damage", "street-light", "noise"]
    pothole = body[0]
    assert pothole == {
        "service_code": "road-damage",
        "service_name": "道路破损",
        "description": "路面坑洞、破损",
        "metadata": True,
        "type": "realtime",
        "keywords": "坑洞,路面",
        "group": "建设交通",
    }
    assert body[1]["metadata"] is False


def test_services_in_xml(catalogue):
    root = _xml(Client().get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == [
        "road-damage",
        "street-light",
        "noise",
    ]
    assert services[0].findtext("metadata") == "true"
    assert services[1].findtext("metadata") == "false"


def test_service_definition_carries_its_attributes(catalogue):
    body = _json(Client().get(f"{BASE}/services/road-damage.json"))
    assert body["service_code"] == "road-damage"
    danger, size = body["attributes"]
    assert danger["code"] == "danger"
    assert danger["variable"] is True
    assert danger["required"] is True
    assert danger["datatype"] == "singlevaluelist"
    assert danger["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    assert size["datatype"] == "number"
    assert "values" not in size
    root = _xml(Client().get(f"{BASE}/services/road-damage.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "road-damage"
    assert [v.findtext("key") for v in root.findall("attributes/attribute/values/value")] == [
        "yes",
        "no",
    ]


@pytest.mark.parametrize("code", ["nope", "retired", "construction"])
def test_unknown_or_unfilable_service_is_404(catalogue, code):
    _error(Client().get(f"{BASE}/services/{code}.json"), 404)
    response = Client().get(f"{BASE}/services/{code}.xml")
    assert response.status_code == 404
    root = _xml(response)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert root.findtext("error/description")


def test_unknown_format_and_wrong_method_are_refused(catalogue):
    assert Client().get(f"{BASE}/services.csv").status_code == 404
    assert Client().get(f"{BASE}/services.JSON").status_code == 200
    response = Client().post(f"{BASE}/services.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_jurisdiction_is_checked_against_the_configured_one(catalogue, settings):
    settings.GRIDGOV_OPEN311_JURISDICTION = "maqiao.gridgov.cn"
    assert Client().get(f"{BASE}/services.json").status_code == 200
    ok = Client().get(f"{BASE}/services.json", {"jurisdiction_id": "maqiao.gridgov.cn"})
    assert ok.status_code == 200
    _error(Client().get(f"{BASE}/services.json", {"jurisdiction_id": "chicago.il"}), 404)


# --- POST requests: the refusals before anything is written ---------------------------------


def _post(data, fmt="json"):
    return Client().post(f"{BASE}/requests.{fmt}", data)


def test_post_without_or_with_a_bad_key_is_403(catalogue, api_key, platform_admin):
    data = {"service_code": "street-light", "lat": "31.1", "long": "121.05"}
    _error(_post(data), 403)
    _error(_post({**data, "api_key": "not-a-key"}), 403)
    client = ApiClient.objects.get()
    api_client_revoke(actor=platform_admin, client_id=client.pk)
    _error(_post({**data, "api_key": api_key}), 403)
    response = _post({**data, "api_key": api_key}, fmt="xml")
    assert response.status_code == 403
    assert _xml(response).findtext("error/code") == "403"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"lat": "31.1", "long": "121.05"}, 400),  # no service_code
        ({"service_code": "nope", "lat": "31.1", "long": "121.05"}, 404),
        ({"service_code": "retired", "lat": "31.1", "long": "121.05"}, 404),
        ({"service_code": "street-light"}, 400),  # no location
        ({"service_code": "street-light", "lat": "31.1"}, 400),  # lat without long
        ({"service_code": "street-light", "lat": "north", "long": "121"}, 400),
        ({"service_code": "street-light", "lat": "91", "long": "121"}, 400),
        ({"service_code": "street-light", "address_id": "12号楼"}, 400),
        (
            {"service_code": "road-damage", "lat": "31.1", "long": "121.05", "attribute[x]": "1"},
            400,
        ),
        (
            {
                "service_code": "street-light",
                "lat": "31.1",
                "long": "121.05",
                "media_url": "javascript:alert(1)",
            },
            400,
        ),
    ],
)
def test_post_refuses_missing_or_malformed_arguments(catalogue, api_key, data, status):
    _error(_post({**data, "api_key": api_key}), status)


# --- GET requests ----------------------------------------------------------------------------


@pytest.fixture
def requests_town(town, catalogue):
    now = timezone.now()
    cases = {
        "new": make_case(
            town.micro_a1, catalogue["pothole"], created_at=now - datetime.timedelta(1)
        ),
        "suspended": make_case(
            town.micro_a1,
            catalogue["light"],
            status=Status.SUSPENDED,
            created_at=now - datetime.timedelta(2),
        ),
        "resolved": make_case(
            town.micro_b1,
            catalogue["light"],
            status=Status.RESOLVED,
            created_at=now - datetime.timedelta(3),
        ),
        "merged": make_case(
            town.micro_b1,
            catalogue["noise"],
            status=Status.MERGED,
            created_at=now - datetime.timedelta(4),
        ),
        "old": make_case(
            town.micro_a1, catalogue["noise"], created_at=now - datetime.timedelta(100)
        ),
        "hotline": make_case(
            town.micro_a1,
            catalogue["noise"],
            channel=Channel.HOTLINE,
            created_at=now - datetime.timedelta(1),
            reporter_name="王五",
        ),
    }
    return cases


def _ids(response):
    return [row["service_request_id"] for row in _json(response)]


def test_requests_default_to_the_last_90_days_newest_first(requests_town):
    cases = requests_town
    listed = _ids(Client().get(f"{BASE}/requests.json"))
    assert listed == [cases[k].number for k in ("new", "suspended", "resolved", "merged")]


def test_requests_map_our_statuses_to_open_and_closed(requests_town):
    cases = requests_town
    rows = {r["service_request_id"]: r for r in _json(Client().get(f"{BASE}/requests.json"))}
    assert rows[cases["new"].number]["status"] == "open"
    assert rows[cases["suspended"].number]["status"] == "open"
    assert rows[cases["resolved"].number]["status"] == "closed"
    assert rows[cases["merged"].number]["status"] == "closed"
    open_only = _ids(Client().get(f"{BASE}/requests.json", {"status": "open"}))
    assert open_only == [cases["new"].number, cases["suspended"].number]
    closed_only = _ids(Client().get(f"{BASE}/requests.json", {"status": "closed"}))
    assert closed_only == [cases["resolved"].number, cases["merged"].number]
    both = _ids(Client().get(f"{BASE}/requests.json", {"status": "open,closed"}))
    assert len(both) == 4
    _error(Client().get(f"{BASE}/requests.json", {"status": "pending"}), 400)


def test_requests_filter_by_service_code_and_dates(requests_town):
    cases = requests_town
    listed = _ids(Client().get(f"{BASE}/requests.json", {"service_code": "noise,road-damage"}))
    assert listed == [cases["new"].number, cases["merged"].number]
    old = cases["old"].created_at
    window = {
        "start_date": (old - datetime.timedelta(1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (old + datetime.timedelta(1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert _ids(Client().get(f"{BASE}/requests.json", window)) == [cases["old"].number]
    only_start = {"start_date": window["start_date"]}
    assert _ids(Client().get(f"{BASE}/requests.json", only_start)) == [cases["old"].number]
    too_long = {"start_date": "2026-01-01T00:00:00+08:00", "end_date": "2026-06-01T00:00:00+08:00"}
    _error(Client().get(f"{BASE}/requests.json", too_long), 400)
    backwards = {"start_date": "2026-06-01", "end_date": "2026-05-01"}
    _error(Client().get(f"{BASE}/requests.json", backwards), 400)
    _error(Client().get(f"{BASE}/requests.json", {"start_date": "yesterday"}), 400)


def test_service_request_id_list_overrides_the_other_filters(requests_town):
    cases = requests_town
    wanted = f"{cases['old'].number},{cases['resolved'].number}"
    listed = _ids(
        Client().get(f"{BASE}/requests.json", {"service_request_id": wanted, "status": "open"})
    )
    assert sorted(listed) == sorted([cases["old"].number, cases["resolved"].number])


def test_requests_are_capped(requests_town, settings):
    settings.GRIDGOV_OPEN311_MAX_REQUESTS = 2
    assert len(_ids(Client().get(f"{BASE}/requests.json"))) == 2


def test_only_open311_cases_are_published_unless_configured(requests_town, settings):
    hotline = requests_town["hotline"].number
    assert hotline not in _ids(Client().get(f"{BASE}/requests.json"))
    _error(Client().get(f"{BASE}/requests/{hotline}.json"), 404)
    settings.GRIDGOV_OPEN311_PUBLISH_ALL = True
    assert hotline in _ids(Client().get(f"{BASE}/requests.json"))
    body = Client().get(f"{BASE}/requests/{hotline}.json").content.decode()
    assert "王五" not in body


def test_one_request_in_both_formats(requests_town):
    case = requests_town["resolved"]
    (row,) = _json(Client().get(f"{BASE}/requests/{case.number}.json"))
    assert row["service_request_id"] == case.number
    assert row["service_code"] == "street-light"
    assert row["status"] == "closed"
    assert row["requested_datetime"].endswith("+08:00")
    assert row["lat"] == pytest.approx(31.1)
    assert row["long"] == pytest.approx(121.05)
    assert row["address"] == "马桥镇飞碟苑12号楼"
    assert "Accepted" in row["service_notice"] or "受理" in row["service_notice"]
    root = _xml(Client().get(f"{BASE}/requests/{case.number}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == case.number
    assert root.findtext("request/status") == "closed"
    _error(Client().get(f"{BASE}/requests/19990101000001.json"), 404)


def test_token_gives_the_request_id(requests_town):
    case = requests_town["new"]
    (row,) = _json(Client().get(f"{BASE}/tokens/{case.token}.json"))
    assert row == {"service_request_id": case.number, "token": str(case.token)}
    root = _xml(Client().get(f"{BASE}/tokens/{case.token}.xml"))
    assert root.findtext("request/service_request_id") == case.number
    _error(Client().get(f"{BASE}/tokens/not-a-token.json"), 404)
    _error(Client().get(f"{BASE}/tokens/00000000-0000-0000-0000-000000000000.json"), 404)


def test_a_bad_key_on_a_read_is_refused(requests_town):
    _error(Client().get(f"{BASE}/requests.json", {"api_key": "wrong"}), 403)


# --- keys ------------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_stored_hashed(platform_admin):
    client, key = api_client_issue(actor=platform_admin, name="12345热线", contact="")
    assert len(key) >= 40
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.key_hash == key_digest(key)
    assert key not in {stored.key_hash, stored.key_prefix, stored.name}
    assert stored.key_prefix == key[:8]
    assert api_client_for_key(key) == client
    assert ApiClient.objects.get(pk=client.pk).last_used_at is not None
    assert AuditEntry.objects.filter(action="cases.api_client_issue").count() == 1
    assert all(key not in json.dumps(e.changes) for e in AuditEntry.objects.all())


def test_revoked_keys_stop_working(platform_admin):
    client, key = api_client_issue(actor=platform_admin, name="App")
    api_client_revoke(actor=platform_admin, client_id=client.pk)
    first = ApiClient.objects.get(pk=client.pk).revoked_at
    api_client_revoke(actor=platform_admin, client_id=client.pk)
    assert ApiClient.objects.get(pk=client.pk).revoked_at == first
    assert api_client_for_key(key) is None
    assert AuditEntry.objects.filter(action="cases.api_client_revoke").count() == 1


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.COMMUNITY_STAFF, Role.RESIDENT])
def test_only_platform_administrators_issue_or_revoke(town, make_member, platform_admin, role):
    user = make_member(role, town.town)
    with pytest.raises(PermissionDenied):
        api_client_issue(actor=user, name="App")
    client, _key = api_client_issue(actor=platform_admin, name="App")
    with pytest.raises(PermissionDenied):
        api_client_revoke(actor=user, client_id=client.pk)
    assert ApiClient.objects.get(pk=client.pk).revoked_at is None


# --- the command and the admin site ----------------------------------------------------------


def test_the_command_issues_lists_and_revokes(platform_admin, town, make_member):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("open311_key", "--by", platform_admin.username, "--name", "12345热线", stdout=out)
    key = out.getvalue().split("Open311 API key: ")[1].strip()
    client = ApiClient.objects.get()
    assert api_client_for_key(key) == client
    listed = StringIO()
    call_command("open311_key", "--list", stdout=listed)
    assert "12345热线" in listed.getvalue()
    assert key not in listed.getvalue()
    call_command("open311_key", "--by", platform_admin.username, "--revoke", str(client.pk))
    assert api_client_for_key(key) is None
    operator = make_member(Role.OPERATOR, town.town, "op311")
    with pytest.raises(CommandError):
        call_command("open311_key", "--by", operator.username, "--name", "App")
    with pytest.raises(CommandError):
        call_command("open311_key", "--name", "App")


def test_the_admin_site_issues_a_key_once_and_revokes(platform_admin, town, make_member, settings):
    from django.test import Client as BrowserClient

    settings.DEMO_MODE = True  # no second factor to set up in this test

    browser = BrowserClient()
    browser.force_login(platform_admin)
    added = browser.post(
        "/admin/cases/apiclient/add/", {"name": "城管App", "contact": "张工"}, follow=False
    )
    assert added.status_code == 200, added.content[:500]
    client = ApiClient.objects.get()
    page = added.content.decode()
    key = page.split('id="open311-key"')[1].split(">")[1].split("<")[0]
    assert api_client_for_key(key) == client
    assert key not in browser.get(f"/admin/cases/apiclient/{client.pk}/change/").content.decode()
    browser.post(
        "/admin/cases/apiclient/",
        {"action": "revoke_keys", "_selected_action": [client.pk]},
    )
    assert api_client_for_key(key) is None

    operator = make_member(Role.OPERATOR, town.town, "op-admin")
    other = BrowserClient()
    other.force_login(operator)
    assert other.get("/admin/cases/apiclient/add/").status_code in (302, 403)
