# ruff: noqa: F811 - the world fixture is imported from the engine helpers
"""The cases API: every endpoint for every role (allowed, 403 or 404), steps, 409 and 400."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from gridgov.accounts.roles import Role
from gridgov.cases.models import Case, CaseEvent, Channel, Status
from gridgov.cases.services import (
    case_dispatch,
    case_resolve,
    case_start,
    case_whistle,
)
from gridgov.cases.tests.helpers_engine import (  # noqa: F401 - fixture
    POINT_A1,
    _member,
    report,
    world,
)
from gridgov.core.notifications import notify

ROLES = (
    "admin",
    "operator",
    "handler",
    "other_handler",
    "community",
    "gridworker",
    "property_staff",
    "resident",
    "other_resident",
)


@pytest.fixture
def users(world):
    found = {name: getattr(world, name) for name in ROLES if name != "admin"}
    found["admin"] = _member(Role.PLATFORM_ADMIN, world.town.town, "platformadmin")
    return found


@pytest.fixture
def case(world):
    return report(world, now=None)


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


# role → sees the resident's street-light case in micro-grid a1 (routed to 城管)
SEES = {
    "admin": True,
    "operator": True,
    "handler": True,
    "other_handler": False,
    "community": False,
    "gridworker": True,
    "property_staff": False,
    "resident": True,
    "other_resident": False,
}


@pytest.mark.parametrize("role", ROLES)
def test_reads_follow_each_roles_scope(role, users, case):
    client = _client(users[role])
    listed = client.get("/api/v1/cases/")
    assert listed.status_code == 200
    numbers = [row["number"] for row in listed.json()["results"]]
    assert (case.number in numbers) is SEES[role]
    detail = client.get(f"/api/v1/cases/{case.pk}/")
    assert detail.status_code == (200 if SEES[role] else 404)
    duplicates = client.get(f"/api/v1/cases/{case.pk}/duplicates/")
    assert duplicates.status_code == (200 if SEES[role] else 404)
    geo = client.get("/api/v1/cases/map/")
    assert geo.status_code == 200
    on_map = [f["properties"]["number"] for f in geo.json()["features"]]
    assert (case.number in on_map) is SEES[role]
    assert client.get("/api/v1/case-categories/").status_code == 200
    assert client.get("/api/v1/notifications/").status_code == 200
    if SEES[role]:
        body = detail.json()
        assert body["reporter_phone"] == "138****5678"
        assert "13812345678" not in detail.content.decode()
        assert body["timeline"][0]["action"] == "created"


# role → may file a resident report / a hotline call
FILES = {
    "admin": (201, 201),
    "operator": (201, 201),
    "handler": (403, 403),
    "other_handler": (403, 403),
    "community": (201, 201),
    "gridworker": (201, 403),
    "property_staff": (403, 403),
    "resident": (201, 403),
    "other_resident": (201, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_filing_a_case_needs_the_channels_permission(role, users, world):
    client = _client(users[role])
    data = {"category_code": "street-light", "description": "路灯坏了", **POINT_A1}
    as_resident = client.post("/api/v1/cases/", {**data, "channel": "resident"}, format="json")
    hotline = client.post(
        "/api/v1/cases/",
        {**data, "channel": "hotline", "reporter_phone": "13900001111"},
        format="json",
    )
    assert (as_resident.status_code, hotline.status_code) == FILES[role], (
        as_resident.content,
        hotline.content,
    )
    if as_resident.status_code == 201:
        assert as_resident.json()["status"] == Status.NEW
        assert as_resident.json()["channel"] == "resident"


# role → GET visits, GET statistics
GATES = {
    "admin": (200, 200),
    "operator": (403, 200),
    "handler": (403, 200),
    "other_handler": (403, 200),
    "community": (200, 200),
    "gridworker": (200, 403),
    "property_staff": (403, 403),
    "resident": (403, 403),
    "other_resident": (403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_visits_and_statistics_gates(role, users, case):
    client = _client(users[role])
    visits = client.get("/api/v1/visits/")
    statistics = client.get("/api/v1/cases/statistics/")
    assert (visits.status_code, statistics.status_code) == GATES[role]
    if statistics.status_code == 200:
        body = statistics.json()
        assert {"summary", "breakdowns", "rankings", "thresholds"} <= set(body)


# role → accepting the case: 200, 403 (sees it, not theirs to take) or 404 (does not see it)
ACCEPT = {
    "admin": 200,
    "operator": 200,
    "handler": 200,
    "other_handler": 404,
    "community": 404,
    "gridworker": 200,
    "property_staff": 404,
    "resident": 403,
    "other_resident": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_accepting_follows_each_roles_rights(role, users, case):
    response = _client(users[role]).post(
        f"/api/v1/cases/{case.pk}/actions/accept/", {"expected_version": case.version}
    )
    assert response.status_code == ACCEPT[role], response.content
    if response.status_code == 200:
        assert response.json()["status"] == Status.ACCEPTED
    else:
        assert set(response.json()) >= {"code", "message"}


def _resolved_hotline_case(world) -> Case:
    case = report(world, actor=world.operator, channel=Channel.HOTLINE, now=None)
    case_dispatch(
        actor=world.operator,
        case_id=case.pk,
        department_id=world.urban.pk,
        assignee_id=world.handler.pk,
    )
    case_start(actor=world.handler, case_id=case.pk)
    return case_resolve(actor=world.handler, case_id=case.pk, note="已更换灯泡")


# role → recording the callback (回访) of a resolved hotline case in micro-grid a1: 200, 403
# (sees it but holds no callback right, or resolved it) or 404 (does not see it)
CALLBACK = {
    "admin": 200,
    "operator": 200,
    "handler": 403,
    "other_handler": 404,
    "community": 404,
    "gridworker": 403,
    "property_staff": 404,
    "resident": 404,
    "other_resident": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_recording_a_callback_follows_each_roles_rights(role, users, world):
    case = _resolved_hotline_case(world)
    client = _client(users[role])
    response = client.post(
        f"/api/v1/cases/{case.pk}/callback/", {"rating": 4, "comment": "灯亮了"}, format="json"
    )
    assert response.status_code == CALLBACK[role], response.content
    case.refresh_from_db()
    if response.status_code == 200:
        body = response.json()
        assert (body["status"], body["rating"]) == (Status.CLOSED, 4)
        assert [step["action"] for step in body["timeline"]][-2:] == ["rated", "closed"]
        assert "callback" not in body["allowed_actions"]
    else:
        assert set(response.json()) >= {"code", "message"}
        assert (case.status, case.rating) == (Status.RESOLVED, None)


def test_the_callback_endpoint_is_offered_refused_once_and_reopens(world):
    case = _resolved_hotline_case(world)
    operator = _client(world.operator)
    assert "callback" in operator.get(f"/api/v1/cases/{case.pk}/").json()["allowed_actions"]
    assert (
        "callback"
        not in (_client(world.handler).get(f"/api/v1/cases/{case.pk}/").json()["allowed_actions"])
    )
    out_of_range = operator.post(f"/api/v1/cases/{case.pk}/callback/", {"rating": 6})
    assert out_of_range.status_code == 400
    mild = operator.post(f"/api/v1/cases/{case.pk}/callback/", {"rating": 3, "reopen": True})
    assert mild.status_code == 400
    assert mild.json()["code"] == "reopen_needs_low_rating"
    assert Case.objects.get(pk=case.pk).rating is None

    reopened = operator.post(
        f"/api/v1/cases/{case.pk}/callback/",
        {"rating": 1, "comment": "还是不亮", "reopen": True},
        format="json",
    )

    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] == Status.DISPATCHED
    assert reopened.json()["reopen_count"] == 1
    rated = CaseEvent.objects.get(case=case, action=CaseEvent.Action.RATED)
    assert rated.data["callback"] is True
    assert rated.data["recorded_by"] == world.operator.pk
    again = operator.post(f"/api/v1/cases/{case.pk}/callback/", {"rating": 5})
    assert again.status_code == 400
    assert again.json()["code"] == "rating_not_allowed"


def test_a_residents_own_case_takes_no_callback_over_the_api(world, case):
    response = _client(world.operator).post(f"/api/v1/cases/{case.pk}/callback/", {"rating": 5})
    assert response.status_code == 400
    assert response.json()["code"] == "callback_wrong_channel"


def test_anonymous_callers_get_nothing(case):
    client = _client()
    for url in (
        "/api/v1/cases/",
        f"/api/v1/cases/{case.pk}/",
        "/api/v1/case-categories/",
        "/api/v1/visits/",
        "/api/v1/cases/statistics/",
        "/api/v1/notifications/",
        "/api/v1/cases/map/",
    ):
        assert client.get(url).status_code in (401, 403), url
    assert client.post(f"/api/v1/cases/{case.pk}/actions/accept/").status_code in (401, 403)


def test_a_stale_version_is_409_and_an_impossible_step_400(world, case):
    client = _client(world.handler)
    first = client.post(
        f"/api/v1/cases/{case.pk}/actions/accept/", {"expected_version": case.version}
    )
    assert first.status_code == 200
    stale = client.post(
        f"/api/v1/cases/{case.pk}/actions/start/", {"expected_version": case.version}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    version = first.json()["version"]
    impossible = client.post(
        f"/api/v1/cases/{case.pk}/actions/accept/", {"expected_version": version}
    )
    assert impossible.status_code == 400
    assert impossible.json()["code"] == "illegal_transition"
    assert client.post(f"/api/v1/cases/{case.pk}/actions/fly/").status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_a_case_walks_to_a_rated_closure(world, case):
    handler, operator = _client(world.handler), _client(world.operator)
    version = case.version
    for client, action, data in (
        (handler, "accept", {}),
        (operator, "dispatch", {"department_id": world.urban.pk, "assignee_id": world.handler.pk}),
        (handler, "start", {"note": "已到现场"}),
        (handler, "resolve", {"note": "已更换灯泡"}),
    ):
        response = client.post(
            f"/api/v1/cases/{case.pk}/actions/{action}/", {"expected_version": version, **data}
        )
        assert response.status_code == 200, (action, response.content)
        version = response.json()["version"]
    assert response.json()["status"] == Status.RESOLVED
    assert (
        _client(world.other_resident)
        .post(f"/api/v1/cases/{case.pk}/rating/", {"rating": 5})
        .status_code
        == 404
    )
    rated = _client(world.resident).post(
        f"/api/v1/cases/{case.pk}/rating/", {"rating": 5, "comment": "很快"}
    )
    assert rated.status_code == 200, rated.content
    assert rated.json()["rating"] == 5
    actions = [step["action"] for step in rated.json()["timeline"]]
    assert actions[:5] == ["created", "accepted", "dispatched", "started", "resolved"]
    assert "rated" in actions
    again = _client(world.resident).post(f"/api/v1/cases/{case.pk}/rating/", {"rating": 1})
    assert again.status_code == 400


def test_missing_fields_are_400_with_a_code(world):
    client = _client(world.resident)
    unknown = client.post(
        "/api/v1/cases/",
        {"category_code": "nope", "description": "x", **POINT_A1},
        format="json",
    )
    assert unknown.status_code == 400
    assert unknown.json()["code"] == "unknown_category"
    outside = client.post(
        "/api/v1/cases/",
        {"category_code": "street-light", "description": "x", "lat": 39.9, "lng": 116.4},
        format="json",
    )
    assert outside.status_code == 400
    assert not Case.objects.exists()


def test_queues_and_filters(world, case):
    client = _client(world.handler)
    department = client.get("/api/v1/cases/", {"queue": "department"}).json()["results"]
    assert [row["number"] for row in department] == [case.number]
    assert client.get("/api/v1/cases/", {"queue": "late"}).json()["results"] == []
    assert client.get("/api/v1/cases/", {"queue": "nope"}).status_code == 400
    by_status = client.get("/api/v1/cases/", {"status": "resolved,closed"}).json()
    assert by_status["results"] == []
    by_number = client.get("/api/v1/cases/", {"q": case.number}).json()["results"]
    assert len(by_number) == 1
    reported = _client(world.resident).get("/api/v1/cases/", {"queue": "reported"}).json()
    assert [row["number"] for row in reported["results"]] == [case.number]


def test_whistle_report_in(world, case):
    case_dispatch(actor=world.operator, case_id=case.pk, department_id=world.urban.pk)
    whistle = case_whistle(
        actor=world.operator,
        case_id=case.pk,
        department_ids=[world.urban.pk, world.fire.pk],
        lead_department_id=world.urban.pk,
        reason="需要多部门联合处置",
    )
    summons = whistle.summonses.get(department=world.fire)
    outsider = _client(world.housing_handler).post(
        f"/api/v1/whistle-summonses/{summons.pk}/report-in/", {"note": "到"}
    )
    assert outsider.status_code == 404
    response = _client(world.other_handler).post(
        f"/api/v1/whistle-summonses/{summons.pk}/report-in/", {"note": "已到场"}
    )
    assert response.status_code == 200, response.content
    fire = [
        row
        for row in response.json()["whistles"][0]["summonses"]
        if row["department"]["id"] == world.fire.pk
    ]
    assert fire[0]["reported_at"] is not None


def test_visits_can_be_recorded_and_listed(world):
    client = _client(world.gridworker)
    response = client.post(
        "/api/v1/visits/",
        {"building_id": world.building.pk, "note": "楼道堆物", "lat": 31.1, "lng": 121.05},
        format="json",
    )
    assert response.status_code == 201, response.content
    listed = client.get("/api/v1/visits/").json()["results"]
    assert [row["id"] for row in listed] == [response.json()["id"]]
    assert _client(world.community).get("/api/v1/visits/").json()["results"] == []


def test_notifications_are_ones_own(world):
    (mine,) = notify(
        recipient_id=world.handler.pk, subject="新工单", dedupe_key="t-1", channels=("in_app",)
    )
    listed = _client(world.handler).get("/api/v1/notifications/", {"unread": "1"}).json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert _client(world.operator).post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 404
    assert _client(world.handler).post(f"/api/v1/notifications/{mine.pk}/read/").status_code == 204
    assert (
        _client(world.handler).get("/api/v1/notifications/", {"unread": "1"}).json()["results"]
        == []
    )


def test_the_cases_endpoints_are_in_the_schema_without_warnings(world):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    for path in (
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/actions/{action}/",
        "/api/v1/cases/{id}/rating/",
        "/api/v1/cases/{id}/callback/",
        "/api/v1/cases/statistics/",
        "/api/v1/case-categories/",
        "/api/v1/visits/",
        "/api/v1/whistle-summonses/{id}/report-in/",
        "/api/v1/notifications/",
    ):
        assert path in schema["paths"], path
    served = _client(world.operator).get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
