"""The case pages: who may open each one (allowed / 403 / 404), what the forms do, and that a
page never undoes the engine's rules (double submit, stale version, actions not offered)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gridgov.cases import services
from gridgov.cases.models import Case, CaseEvent, Channel, Status, Visit
from gridgov.cases.tests.helpers_pages import PNG, POINT_A, CaseWorld, build_case_world, sign_in_as
from gridgov.core.notifications import notify

pytestmark = pytest.mark.django_db

ROLES = (
    "admin",
    "operator",
    "handler",
    "community",
    "gridworker",
    "gridworker_b",
    "property",
    "resident",
    "neighbour",
)


@pytest.fixture
def world(town) -> CaseWorld:
    return build_case_world(town)


@pytest.fixture
def case(world) -> Case:
    return world.report()


def _client(world: CaseWorld, who: str) -> Client:
    return sign_in_as(Client(), world.users[who])


# ---- permission matrix --------------------------------------------------------------------

EXPECTED = {
    #               queue report hotline visits  map  stats  notes  case
    "admin": (200, 200, 200, 200, 200, 200, 200, 200),
    "operator": (200, 200, 200, 403, 200, 200, 200, 200),
    "handler": (200, 403, 403, 403, 200, 200, 200, 200),
    "community": (200, 200, 200, 200, 200, 200, 200, 200),
    "gridworker": (200, 200, 403, 200, 200, 403, 200, 200),
    "gridworker_b": (200, 200, 403, 200, 200, 403, 200, 404),
    "property": (200, 403, 403, 403, 200, 403, 200, 404),
    "resident": (200, 200, 403, 403, 403, 403, 200, 200),
    "neighbour": (200, 200, 403, 403, 403, 403, 200, 404),
}


@pytest.mark.parametrize("who", ROLES)
def test_every_case_page_answers_each_role_as_its_permissions_say(world, case, who):
    client = _client(world, who)
    paths = [
        reverse("cases:queue"),
        reverse("cases:report"),
        reverse("cases:hotline"),
        reverse("cases:visit_home"),
        reverse("cases:map"),
        reverse("cases:statistics"),
        reverse("cases:notifications"),
        reverse("cases:case_detail", args=[case.pk]),
    ]
    statuses = tuple(client.get(path).status_code for path in paths)
    assert statuses == EXPECTED[who]


@pytest.mark.parametrize(
    "name",
    [
        "cases:queue",
        "cases:report",
        "cases:hotline",
        "cases:map",
        "cases:statistics",
        "cases:notifications",
    ],
)
def test_signed_out_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_case_is_not_found(world):
    assert (
        _client(world, "operator").get(reverse("cases:case_detail", args=[999999])).status_code
        == 404
    )


def test_the_map_data_holds_only_cases_in_the_viewers_area(world, case):
    far = world.report(by="operator", lat=31.1, lng=121.25, description="彭渡路灯不亮")
    operator = _client(world, "operator").get(reverse("cases:map_data")).json()
    grid_a = _client(world, "gridworker").get(reverse("cases:map_data")).json()
    assert {f["properties"]["number"] for f in operator["features"]} == {case.number, far.number}
    assert {f["properties"]["number"] for f in grid_a["features"]} == {case.number}
    assert _client(world, "resident").get(reverse("cases:map_data")).status_code == 403


# ---- queues ---------------------------------------------------------------------------------


def _tabs(html: str) -> dict[str, int]:
    return {key: int(count) for key, count in re.findall(r'data-count="([a-z]+)">(\d+)<', html)}


def test_each_role_sees_its_own_queue_tabs_with_counts(world, case):
    world.report(category=world.lift, description="电梯停运", building_id=world.building.pk)
    tabs = {
        who: _tabs(_client(world, who).get(reverse("cases:queue")).content.decode())
        for who in ROLES
    }
    assert set(tabs["resident"]) == {"reported"}
    assert tabs["resident"]["reported"] == 2
    assert tabs["neighbour"] == {"reported": 0}
    assert set(tabs["handler"]) == {"mine", "department", "late", "whistled"}
    assert tabs["handler"]["department"] >= 1
    assert "grab" in tabs["property"]
    assert tabs["property"]["grab"] == 1
    assert tabs["operator"]["cell"] == 2
    assert tabs["gridworker_b"]["cell"] == 0


def test_a_queue_tab_the_user_does_not_have_falls_back_to_the_first(world, case):
    response = _client(world, "resident").get(reverse("cases:queue") + "?tab=late")
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=reported")


def test_the_resident_sees_her_report_in_her_queue(world, case):
    html = _client(world, "resident").get(reverse("cases:queue") + "?tab=reported").content.decode()
    assert f'data-case="{case.number}"' in html


# ---- resident report --------------------------------------------------------------------------


def _report_data(**extra):
    data = {
        "category": "railing",
        "description": "楼下栏杆断了",
        "lat": str(POINT_A[0]),
        "lng": str(POINT_A[1]),
        "submission_key": uuid.uuid4().hex,
    }
    data.update(extra)
    return data


def test_the_report_form_groups_categories_under_their_top_level_category(world):
    html = _client(world, "resident").get(reverse("cases:report")).content.decode()
    assert '<optgroup label="市容环境">' in html
    assert '<optgroup label="物业管理">' in html
    assert 'name="submission_key"' in html
    assert 'capture="environment"' in html


def test_a_resident_report_with_a_photo_files_a_case_and_opens_its_page(world):
    client = _client(world, "resident")
    photo = SimpleUploadedFile("railing.png", PNG, content_type="image/png")
    response = client.post(reverse("cases:report"), {**_report_data(), "photos": [photo]})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:case_detail", args=[case.pk])
    assert case.channel == Channel.RESIDENT
    assert case.reporter == world.users["resident"]
    assert case.attachments.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert case.number in page
    assert reverse("cases:attachment", args=[case.attachments.get().pk]) in page


def test_a_double_submitted_report_files_one_case(world):
    client = _client(world, "resident")
    data = _report_data()
    first = client.post(reverse("cases:report"), data)
    second = client.post(reverse("cases:report"), data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_report_outside_every_area_is_refused_with_the_reason_and_nothing_saved(world):
    response = _client(world, "resident").post(
        reverse("cases:report"), _report_data(lat="40.0", lng="116.4")
    )
    assert response.status_code == 200
    assert Case.objects.count() == 0
    assert "alert-danger" in response.content.decode()


def test_a_non_image_photo_is_refused(world):
    fake = SimpleUploadedFile("evil.png", b"MZ\x90\x00not an image", content_type="image/png")
    response = _client(world, "resident").post(
        reverse("cases:report"), {**_report_data(), "photos": [fake]}
    )
    assert response.status_code == 200
    assert Case.objects.count() == 0


def test_a_report_without_a_description_shows_the_field_error(world):
    response = _client(world, "resident").post(
        reverse("cases:report"), _report_data(description="")
    )
    assert response.status_code == 200
    assert Case.objects.count() == 0
    assert 'data-error-for="description"' in response.content.decode()


def test_building_search_finds_a_building_by_estate_and_label(world):
    html = (
        _client(world, "resident")
        .get(reverse("cases:building_search"), {"bq": "飞碟苑12"})
        .content.decode()
    )
    assert f'data-building-id="{world.building.pk}"' in html
    assert f'data-building-id="{world.building_b.pk}"' not in html
    assert (
        _client(world, "handler").get(reverse("cases:building_search"), {"bq": "x"}).status_code
        == 403
    )


# ---- hotline ------------------------------------------------------------------------------------


def test_the_hotline_form_keeps_the_callers_words_and_masks_the_number(world):
    client = _client(world, "operator")
    response = client.post(
        reverse("cases:hotline"),
        {
            "reporter_name": "王阿姨",
            "reporter_phone": "13912345678",
            "category": "railing",
            "description": "我家楼下栏杆坏了好几天了",
            "building_id": str(world.building.pk),
            "submission_key": uuid.uuid4().hex,
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.channel == Channel.HOTLINE
    assert case.description == "我家楼下栏杆坏了好几天了"
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "13912345678" not in page
    assert "139****5678" in page


def test_the_resident_cannot_post_to_the_hotline_form(world):
    response = _client(world, "resident").post(reverse("cases:hotline"), {"category": "railing"})
    assert response.status_code == 403
    assert Case.objects.count() == 0


# ---- visits -------------------------------------------------------------------------------------


def test_the_qr_sheet_encodes_the_buildings_visit_form(world):
    response = _client(world, "gridworker").get(reverse("cases:qr_sheet", args=[world.building.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html
    assert reverse("cases:visit", args=[world.building.pk]) in html


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("gridworker", 200),
        ("community", 200),
        ("gridworker_b", 404),
        ("resident", 403),
        ("handler", 403),
    ],
)
def test_visit_pages_of_a_building_are_for_its_grid_workers(world, who, status):
    client = _client(world, who)
    assert client.get(reverse("cases:visit", args=[world.building.pk])).status_code == status
    assert client.get(reverse("cases:qr_sheet", args=[world.building.pk])).status_code == status


def test_a_visit_without_a_case_keeps_the_record_with_position_and_voice(world):
    voice = SimpleUploadedFile(
        "voice.webm", bytes.fromhex("1a45dfa3") + b"\x00" * 64, content_type="audio/webm"
    )
    response = _client(world, "gridworker").post(
        reverse("cases:visit", args=[world.building.pk]),
        {
            "note": "走访正常",
            "lat": "31.1001",
            "lng": "121.0502",
            "accuracy_m": "8",
            "voice": [voice],
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.case is None
    assert visit.accuracy_m == 8
    assert visit.worker == world.users["gridworker"]
    assert visit.attachments.count() == 1
    assert Case.objects.count() == 0


def test_a_visit_can_open_a_case_on_the_spot(world):
    response = _client(world, "gridworker").post(
        reverse("cases:visit", args=[world.building.pk]),
        {"note": "楼道栏杆松动", "open_case_category": "railing"},
    )
    visit = Visit.objects.get()
    assert visit.case.channel == Channel.VISIT
    assert response["Location"] == reverse("cases:case_detail", args=[visit.case_id])


# ---- the case page and its actions ----------------------------------------------------------------


def _buttons(html: str) -> set[str]:
    return set(re.findall(r'data-action-toggle="([a-z_]+)"', html))


def test_the_case_page_shows_the_buttons_allowed_actions_gives(world, case):
    handler = (
        _client(world, "handler").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    )
    resident = (
        _client(world, "resident")
        .get(reverse("cases:case_detail", args=[case.pk]))
        .content.decode()
    )
    assert "accept" in _buttons(handler)
    assert _buttons(resident) == set()
    assert 'id="gg-timeline"' in resident
    assert 'data-event="created"' in resident


def test_an_action_the_page_does_not_offer_is_refused(world, case):
    response = _client(world, "resident").post(
        reverse("cases:case_action", args=[case.pk, "accept"]),
        {"accept-expected_version": case.version},
    )
    assert response.status_code == 403
    assert Case.objects.get().status == Status.NEW
    assert (
        _client(world, "handler")
        .post(reverse("cases:case_action", args=[case.pk, "fly"]))
        .status_code
        == 404
    )


def test_an_action_on_a_case_out_of_scope_is_not_found(world, case):
    response = _client(world, "gridworker_b").post(
        reverse("cases:case_action", args=[case.pk, "accept"])
    )
    assert response.status_code == 404


def test_two_dispatchers_on_one_case_one_wins_the_other_is_told(world, case):
    services.case_accept(actor=world.users["handler"], case_id=case.pk)
    version = Case.objects.get(pk=case.pk).version
    data = {"dispatch-department": world.department.pk, "dispatch-expected_version": version}
    url = reverse("cases:case_action", args=[case.pk, "dispatch"])
    first = _client(world, "operator").post(url, data)
    second = _client(world, "community").post(url, data, follow=True)
    assert first.status_code == 302
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.DISPATCHED).count() == 1
    assert second.status_code == 200
    assert "alert-danger" in second.content.decode() or "alert-error" in second.content.decode()


def test_the_whole_walk_through_the_pages_ends_in_a_rated_closure(world, case):
    handler, operator, resident = (
        _client(world, who) for who in ("handler", "operator", "resident")
    )

    def act(client, action, **fields):
        case_now = Case.objects.get(pk=case.pk)
        data = {f"{action}-{key}": value for key, value in fields.items()}
        data[f"{action}-expected_version"] = case_now.version
        response = client.post(reverse("cases:case_action", args=[case.pk, action]), data)
        assert response.status_code == 302, response.content.decode()[:2000]

    act(handler, "accept")
    act(operator, "dispatch", department=world.department.pk, assignee=world.users["handler"].pk)
    act(handler, "start")
    act(handler, "resolve", note="已更换栏杆")
    assert Case.objects.get(pk=case.pk).status == Status.RESOLVED
    page = resident.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert 'id="gg-rate"' in page
    act(resident, "rate", rating=4, comment="满意")
    done = Case.objects.get(pk=case.pk)
    assert done.status == Status.CLOSED
    assert done.rating == 4


def test_resolving_without_a_note_shows_the_error_on_the_form(world, case):
    services.case_accept(actor=world.users["handler"], case_id=case.pk)
    services.case_dispatch(
        actor=world.users["operator"], case_id=case.pk, department_id=world.department.pk
    )
    services.case_start(actor=world.users["handler"], case_id=case.pk)
    response = _client(world, "handler").post(
        reverse("cases:case_action", args=[case.pk, "resolve"]), {"resolve-note": ""}
    )
    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS
    assert 'id="gg-act-resolve"' in response.content.decode()


def test_a_rating_by_someone_who_did_not_report_is_refused(world, case):
    services.case_accept(actor=world.users["handler"], case_id=case.pk)
    services.case_dispatch(
        actor=world.users["operator"], case_id=case.pk, department_id=world.department.pk
    )
    services.case_start(actor=world.users["handler"], case_id=case.pk)
    services.case_resolve(actor=world.users["handler"], case_id=case.pk, note="好了")
    response = _client(world, "operator").post(
        reverse("cases:case_action", args=[case.pk, "rate"]), {"rate-rating": "1"}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).rating is None


# ---- the callback (回访) on a hotline case ---------------------------------------------------


def _resolved_hotline_case(world: CaseWorld) -> Case:
    case = world.report(
        by="operator",
        channel=Channel.HOTLINE,
        reporter_name="王阿姨",
        reporter_phone="13912345678",
    )
    services.case_dispatch(
        actor=world.users["operator"],
        case_id=case.pk,
        department_id=world.department.pk,
        assignee_id=world.users["handler"].pk,
    )
    services.case_start(actor=world.users["handler"], case_id=case.pk)
    return services.case_resolve(actor=world.users["handler"], case_id=case.pk, note="已修好")


# role → (the callback form on the page, POSTing a callback): the page is 404 for whoever
# does not see the case; the handler who resolved it and the grid worker see it, may not record.
CALLBACK = {
    "admin": (True, 302),
    "operator": (True, 302),
    "handler": (False, 403),
    "community": (True, 302),
    "gridworker": (False, 403),
    "gridworker_b": (False, 404),
    "property": (False, 404),
    "resident": (False, 404),
    "neighbour": (False, 404),
}


@pytest.mark.parametrize("who", ROLES)
def test_the_callback_form_and_action_follow_each_roles_rights(world, who):
    case = _resolved_hotline_case(world)
    client = _client(world, who)
    page = client.get(reverse("cases:case_detail", args=[case.pk]))
    shows_form = page.status_code == 200 and 'id="gg-callback"' in page.content.decode()
    response = client.post(
        reverse("cases:case_action", args=[case.pk, "callback"]),
        {"callback-rating": "4", "callback-comment": "修好了"},
    )
    assert (shows_form, response.status_code) == CALLBACK[who]
    case.refresh_from_db()
    if response.status_code == 302:
        assert (case.status, case.rating) == (Status.CLOSED, 4)
    else:
        assert (case.status, case.rating) == (Status.RESOLVED, None)


def test_the_operator_records_a_callback_in_the_page_and_the_case_shows_it(world):
    case = _resolved_hotline_case(world)
    operator = _client(world, "operator")
    page = operator.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "王阿姨" in page
    assert "139****5678" in page
    assert "13912345678" not in page
    assert set(re.findall(r'id="gg-callback-(\d)"', page)) == {"1", "2", "3", "4", "5"}
    assert 'data-action-toggle="callback"' not in page

    response = operator.post(
        reverse("cases:case_action", args=[case.pk, "callback"]),
        {"callback-rating": "5", "callback-comment": "栏杆修好了，很满意"},
        follow=True,
    )

    assert response.status_code == 200
    done = Case.objects.get(pk=case.pk)
    assert (done.status, done.rating, done.rating_comment) == (
        Status.CLOSED,
        5,
        "栏杆修好了，很满意",
    )
    html = response.content.decode()
    assert 'id="gg-callback"' not in html
    assert 'id="gg-rating-callback"' in html
    assert "5/5" in html


def test_a_reopening_callback_with_a_good_rating_shows_the_reason_and_saves_nothing(world):
    case = _resolved_hotline_case(world)
    response = _client(world, "operator").post(
        reverse("cases:case_action", args=[case.pk, "callback"]),
        {"callback-rating": "4", "callback-reopen": "on"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="gg-callback"' in html
    assert "只有 2 分及以下的评价才能重新办理。" in html
    assert re.search(r'id="gg-callback-4" autocomplete="off" checked', html)
    case.refresh_from_db()
    assert (case.status, case.rating) == (Status.RESOLVED, None)


def test_an_unsatisfied_callback_in_the_page_reopens_the_case(world):
    case = _resolved_hotline_case(world)
    response = _client(world, "community").post(
        reverse("cases:case_action", args=[case.pk, "callback"]),
        {"callback-rating": "1", "callback-comment": "栏杆还是松的", "callback-reopen": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.rating, case.reopen_count) == (Status.DISPATCHED, 1, 1)
    assert case.events.get(action=CaseEvent.Action.REOPENED).note == "栏杆还是松的"


def test_a_residents_own_case_offers_no_callback(world, case):
    services.case_accept(actor=world.users["handler"], case_id=case.pk)
    services.case_start(actor=world.users["handler"], case_id=case.pk)
    services.case_resolve(actor=world.users["handler"], case_id=case.pk, note="好了")
    page = _client(world, "operator").get(reverse("cases:case_detail", args=[case.pk]))
    assert 'id="gg-callback"' not in page.content.decode()
    response = _client(world, "operator").post(
        reverse("cases:case_action", args=[case.pk, "callback"]), {"callback-rating": "5"}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).rating is None


def test_whistle_form_summons_departments_and_they_report_in(world, case):
    operator = _client(world, "operator")
    other = world.department.__class__.objects.get(code="dept-greening")
    response = operator.post(
        reverse("cases:case_action", args=[case.pk, "whistle"]),
        {
            "whistle-departments": [world.department.pk, other.pk],
            "whistle-lead_department": world.department.pk,
            "whistle-reason": "多部门联合处置",
            "whistle-report_within_minutes": "30",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.is_whistled
    page = (
        _client(world, "handler").get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    )
    summons = case.whistles.get().summonses.get(department=world.department)
    assert reverse("cases:summons_report_in", args=[case.pk, summons.pk]) in page
    _client(world, "handler").post(
        reverse("cases:summons_report_in", args=[case.pk, summons.pk]), {"note": "已到场"}
    )
    summons.refresh_from_db()
    assert summons.reported_at is not None


def test_whistle_lead_must_be_summoned(world, case):
    other = world.department.__class__.objects.get(code="dept-greening")
    response = _client(world, "operator").post(
        reverse("cases:case_action", args=[case.pk, "whistle"]),
        {
            "whistle-departments": [other.pk],
            "whistle-lead_department": world.department.pk,
            "whistle-reason": "x",
            "whistle-report_within_minutes": "30",
        },
    )
    assert response.status_code == 400
    assert not Case.objects.get(pk=case.pk).is_whistled


def test_merge_suggests_duplicates_nearby_and_merges_by_number(world, case):
    twin = world.report(by="neighbour", description="栏杆断了")
    page = (
        _client(world, "operator")
        .get(reverse("cases:case_detail", args=[twin.pk]))
        .content.decode()
    )
    assert 'id="gg-duplicates"' in page
    assert case.number in page
    response = _client(world, "operator").post(
        reverse("cases:case_action", args=[twin.pk, "merge"]), {"merge-into_case": case.number}
    )
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.status == Status.MERGED
    assert twin.merged_into == case


def test_squad_member_is_added_and_shown(world, case):
    client = _client(world, "operator")
    client.post(
        reverse("cases:case_action", args=[case.pk, "squad"]),
        {
            "squad-name": "李队长",
            "squad-organization": world.department.pk,
            "squad-role": "现场指挥",
        },
    )
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "李队长" in page
    assert "现场指挥" in page


# ---- attachments ---------------------------------------------------------------------------------


def test_an_attachment_is_served_only_to_who_may_see_its_case(world):
    case = world.report(uploads=[services.Upload(name="a.png", content_type="image/png", data=PNG)])
    item = case.attachments.get()
    url = reverse("cases:attachment", args=[item.pk])
    ok = _client(world, "resident").get(url)
    assert ok.status_code == 200
    assert b"".join(ok.streaming_content) == PNG
    assert _client(world, "neighbour").get(url).status_code == 404
    assert _client(world, "gridworker_b").get(url).status_code == 404


# ---- notifications -------------------------------------------------------------------------------


def test_notifications_list_bell_and_opening_one_marks_it_read(world, case):
    user = world.users["handler"]
    target = reverse("cases:case_detail", args=[case.pk])
    (notification,) = notify(
        recipient_id=user.pk, subject="新工单", url=target, dedupe_key="page-test-1"
    )
    client = _client(world, "handler")
    bell = client.get(reverse("cases:notification_bell")).content.decode()
    unread = int(re.search(r'data-unread="(\d+)"', bell).group(1))
    assert unread >= 1
    page = client.get(reverse("cases:notifications")).content.decode()
    assert "新工单" in page
    response = client.post(
        reverse("cases:notification_open", args=[notification.pk]), {"next": target}
    )
    assert response["Location"] == target
    notification.refresh_from_db()
    assert notification.read_at is not None
    # a link elsewhere is not followed
    evil = client.post(
        reverse("cases:notification_open", args=[notification.pk]),
        {"next": "https://evil.example/"},
    )
    assert evil["Location"] == reverse("cases:notifications")


def test_nobody_reads_anothers_notifications(world):
    (notification,) = notify(
        recipient_id=world.users["handler"].pk, subject="机密", dedupe_key="page-test-2"
    )
    html = _client(world, "resident").get(reverse("cases:notifications")).content.decode()
    assert "机密" not in html
    _client(world, "resident").post(reverse("cases:notification_open", args=[notification.pk]))
    notification.refresh_from_db()
    assert notification.read_at is None


# ---- statistics ----------------------------------------------------------------------------------


def test_statistics_page_shows_figures_charts_and_rankings(world, case):
    html = _client(world, "operator").get(reverse("cases:statistics")).content.decode()
    assert 'data-figure="accepted"' in html
    assert 'id="gg-chart-month"' in html
    assert 'data-ranking="department"' in html
    assert "城管执法中队" in html
    assert "echarts/echarts.min.js" in html
    assert 'id="gg-chart-data"' in html


def test_statistics_filters_that_make_no_sense_fall_back_with_a_message(world, case):
    response = _client(world, "operator").get(
        reverse("cases:statistics"), {"start": "2026-06-01", "end": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "alert-warning" in response.content.decode()


def test_statistics_export_is_an_excel_file(world, case):
    response = _client(world, "operator").get(reverse("cases:statistics_export"))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content[:2] == b"PK"
    assert _client(world, "resident").get(reverse("cases:statistics_export")).status_code == 403


# ---- household file and navigation --------------------------------------------------------------


def test_the_household_file_lists_the_cases_about_the_dwelling(world):
    about = world.report(
        by="operator",
        channel=Channel.HOTLINE,
        dwelling_id=world.dwelling.pk,
        reporter_phone="13900000000",
        lat=None,
        lng=None,
    )
    html = (
        _client(world, "community")
        .get(reverse("registry:dwelling_detail", args=[world.dwelling.pk]))
        .content.decode()
    )
    assert 'data-section="cases"' in html
    assert about.number in html


def test_the_page_is_in_chinese_by_default(world, case):
    html = _client(world, "resident").get(reverse("cases:report")).content.decode()
    assert "我要上报" in html
    assert "问题描述" in html
