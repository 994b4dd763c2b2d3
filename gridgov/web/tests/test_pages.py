"""The signed-in shell: who may open which page, what the navigation shows, the home figures,
the staff directory, languages and error pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from gridgov.accounts.roles import Role
from gridgov.grids.models import Post
from gridgov.grids.selectors import CellNotFoundError
from gridgov.grids.tests.factories import StaffAssignmentFactory
from gridgov.web.tests.conftest import sign_in_as

pytestmark = pytest.mark.django_db

REGISTRY_NAV_KEYS = {"people", "places", "leases", "tags", "imports", "quality"}
CASE_NAV_KEYS = {
    "cases",
    "case_report",
    "case_hotline",
    "case_visits",
    "case_map",
    "case_statistics",
}
ALL_NAV_KEYS = (
    {"home", "notifications", "alarms", "access", "tree", "map", "staff", "admin", "api"}
    | {"my_identity"}
    | REGISTRY_NAV_KEYS
    | CASE_NAV_KEYS
)


def _nav_keys(html: str) -> set[str]:
    return set(re.findall(r'data-nav="([a-z_]+)"', html))


# ---- signed out --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/staff/",
        "/grids/",
        "/grids/map/",
        "/grids/cells/310112106/",
        "/grids/cells/310112106/children/",
        "/grids/boundaries.geojson",
    ],
)
def test_signed_out_visitor_is_sent_to_the_sign_in_page(client, town, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_signed_out_visitor_is_sent_from_admin_to_the_platform_sign_in_page(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert response.status_code == 200


# ---- permission matrix ------------------------------------------------------------------------------

# Each role holds a membership over community A; the in-scope cell is grid A below it.
EXPECTED_STATUS = {
    #                      home staff tree  map  cell children bounds admin
    Role.PLATFORM_ADMIN: (200, 200, 200, 200, 200, 200, 200, 200),
    Role.OPERATOR: (200, 200, 200, 200, 200, 200, 200, 403),
    Role.DEPARTMENT_HANDLER: (200, 403, 200, 200, 200, 200, 200, 403),
    Role.COMMUNITY_STAFF: (200, 200, 200, 200, 200, 200, 200, 403),
    Role.GRID_WORKER: (200, 200, 200, 200, 200, 200, 200, 403),
    Role.PROPERTY_STAFF: (200, 403, 200, 200, 200, 200, 200, 403),
    Role.RESIDENT: (200, 403, 403, 403, 403, 403, 403, 403),
}


def _matrix_paths(town) -> list[str]:
    return [
        reverse("web:home"),
        reverse("web:staff"),
        reverse("grids:tree"),
        reverse("grids:map"),
        reverse("grids:cell_detail", args=[town.grid_a.code]),
        reverse("grids:children", args=[town.grid_a.code]),
        reverse("grids:boundaries") + f"?parent={town.grid_a.code}",
        reverse("admin:index"),
    ]


@pytest.mark.parametrize("role", list(EXPECTED_STATUS))
def test_every_page_answers_each_role_inside_its_scope_as_the_matrix_says(
    client, town, make_member, role
):
    # given
    user = make_member(role, town.community_a)
    sign_in_as(client, user)

    # when
    statuses = tuple(client.get(path).status_code for path in _matrix_paths(town))

    # then
    assert statuses == EXPECTED_STATUS[role]


@pytest.mark.parametrize(
    "role", [Role.OPERATOR, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.PROPERTY_STAFF]
)
def test_cell_pages_outside_the_scope_answer_not_found_for_each_role(
    client, town, make_member, role
):
    # given: a member of community A asks for community B's grid
    user = make_member(role, town.community_a)
    sign_in_as(client, user)
    outside = town.grid_b.code

    # when
    detail = client.get(reverse("grids:cell_detail", args=[outside]))
    children = client.get(reverse("grids:children", args=[outside]))
    bounds = client.get(reverse("grids:boundaries") + f"?parent={outside}")

    # then
    assert (detail.status_code, children.status_code, bounds.status_code) == (404, 404, 404)
    assert town.grid_b.name not in detail.content.decode()
    assert bounds.json()["code"] == "not_found"


# ---- navigation -------------------------------------------------------------------------------------

EXPECTED_NAV = {
    Role.PLATFORM_ADMIN: ALL_NAV_KEYS,
    Role.OPERATOR: {
        "home",
        "notifications",
        "alarms",
        "access",
        "tree",
        "map",
        "staff",
        "people",
        "places",
        "leases",
        "tags",
        "quality",
    }
    | (CASE_NAV_KEYS - {"case_visits"}),
    Role.DEPARTMENT_HANDLER: {
        "home",
        "notifications",
        "tree",
        "map",
        "places",
        "cases",
        "case_map",
        "case_statistics",
    },
    Role.COMMUNITY_STAFF: {"home", "notifications", "alarms", "access", "tree", "map", "staff"}
    | REGISTRY_NAV_KEYS
    | CASE_NAV_KEYS,
    Role.GRID_WORKER: {
        "home",
        "notifications",
        "alarms",
        "access",
        "tree",
        "map",
        "staff",
        "people",
        "places",
        "leases",
        "tags",
        "quality",
        "cases",
        "case_report",
        "case_visits",
        "case_map",
    },
    Role.PROPERTY_STAFF: {
        "home",
        "notifications",
        "alarms",
        "tree",
        "map",
        "places",
        "cases",
        "case_map",
    },
    Role.RESIDENT: {"home", "notifications", "my_identity", "cases", "case_report"},
}


# Property-service rating and disclosure: every role holds one of their permission codes.
SUPERVISION_NAV_KEYS = {"ratings", "disclosure"}
EXPECTED_NAV = {role: keys | SUPERVISION_NAV_KEYS for role, keys in EXPECTED_NAV.items()}
ALL_NAV_KEYS = ALL_NAV_KEYS | SUPERVISION_NAV_KEYS

# Consultations and projects: staff who see participation, residents who take part.
CONSULTATION_STAFF_NAV_KEYS = {"consultations", "projects"}
CONSULTATION_RESIDENT_NAV_KEYS = {"my_consultations", "my_projects"}
EXPECTED_NAV = {
    role: keys
    | (CONSULTATION_RESIDENT_NAV_KEYS if role == Role.RESIDENT else CONSULTATION_STAFF_NAV_KEYS)
    | (CONSULTATION_RESIDENT_NAV_KEYS if role == Role.PLATFORM_ADMIN else set())
    for role, keys in EXPECTED_NAV.items()
}
ALL_NAV_KEYS = ALL_NAV_KEYS | CONSULTATION_STAFF_NAV_KEYS | CONSULTATION_RESIDENT_NAV_KEYS

# Owners' votes: staff who see participation, residents (and administrators) who take part.
VOTE_STAFF_NAV_KEYS = {"votes"}
VOTE_OWNER_NAV_KEYS = {"my_votes"}
EXPECTED_NAV = {
    role: keys
    | (VOTE_OWNER_NAV_KEYS if role == Role.RESIDENT else VOTE_STAFF_NAV_KEYS)
    | (VOTE_OWNER_NAV_KEYS if role == Role.PLATFORM_ADMIN else set())
    for role, keys in EXPECTED_NAV.items()
}
ALL_NAV_KEYS = ALL_NAV_KEYS | VOTE_STAFF_NAV_KEYS | VOTE_OWNER_NAV_KEYS


@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_navigation_shows_only_the_items_the_role_may_use(client, town, make_member, role):
    sign_in_as(client, make_member(role, town.community_a))

    html = client.get(reverse("web:home")).content.decode()

    assert _nav_keys(html) == EXPECTED_NAV[role]


def test_navigation_marks_the_current_page_active(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("grids:map")).content.decode()

    assert re.findall(r'class="active" data-nav="([a-z]+)"', html) == ["map"]


def test_shell_shows_the_users_name_and_roles_and_a_post_logout_form(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("web:home")).content.decode()

    assert str(grid_worker_a) in html
    assert "网格员" in html
    assert f'<form method="post" action="{reverse("accounts:logout")}"' in html


def test_superuser_without_membership_sees_every_navigation_item(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-long-password-1")
    sign_in_as(client, admin)

    html = client.get(reverse("web:home")).content.decode()

    assert _nav_keys(html) == ALL_NAV_KEYS


# ---- home page ----------------------------------------------------------------------------------------


def _figure(html: str, key: str) -> str:
    match = re.search(
        rf'data-figure="{key}">.*?<div class="gg-stat-value">([^<]+)</div>', html, re.DOTALL
    )
    assert match, f"figure {key} missing"
    return match.group(1)


def test_home_page_shows_the_operators_whole_town_in_figures(client, town, operator):
    # given: two grid workers and a micro-grid chief in the town, one worker's post ended
    StaffAssignmentFactory(cell=town.grid_a, post=Post.GRID_WORKER)
    StaffAssignmentFactory(cell=town.grid_b, post=Post.GRID_WORKER)
    StaffAssignmentFactory(cell=town.micro_b1, post=Post.MICRO_GRID_CHIEF)
    ended = StaffAssignmentFactory(cell=town.micro_b2, post=Post.GRID_WORKER)
    ended.ended_on = ended.started_on
    ended.save(update_fields=["ended_on"])
    sign_in_as(client, operator)

    # when
    html = client.get(reverse("web:home")).content.decode()

    # then
    assert _figure(html, "cells-street") == "1"
    assert _figure(html, "cells-community") == "2"
    assert _figure(html, "cells-grid") == "2"
    assert _figure(html, "cells-micro_grid") == "4"
    assert _figure(html, "staff") == "3"
    assert 'data-post="grid_worker"' in html
    assert 'data-post="micro_grid_chief"' in html
    assert town.town.name in html


def test_home_page_of_a_grid_worker_counts_only_the_own_grid(client, town, grid_worker_a):
    StaffAssignmentFactory(cell=town.grid_b, post=Post.GRID_WORKER)
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("web:home")).content.decode()

    assert _figure(html, "cells-grid") == "1"
    assert _figure(html, "cells-micro_grid") == "2"
    assert _figure(html, "staff") == "0"
    assert 'data-figure="cells-street"' not in html
    assert town.grid_b.name not in html


def test_home_page_of_a_resident_has_no_figures(client, town, make_member):
    sign_in_as(client, make_member(Role.RESIDENT, town.micro_a1))

    html = client.get(reverse("web:home")).content.decode()

    assert "data-figure" not in html
    assert "您已登录" in html


def test_home_page_uses_a_bounded_number_of_queries_for_a_few_hundred_cells(
    client, big_town, django_assert_max_num_queries
):
    sign_in_as(client, big_town.operator)

    # session (+ its first last-seen write), user, memberships, roots, 3 grid figures,
    # 6 people-and-housing figures
    with django_assert_max_num_queries(16):
        response = client.get(reverse("web:home"))

    assert response.status_code == 200
    assert _figure(response.content.decode(), "cells-micro_grid") == "240"


def test_demo_banner_says_two_factor_is_off_only_in_the_demo(client, town, grid_worker_a, settings):
    settings.DEMO_MODE = True
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("web:home")).content.decode()

    assert "演示模式" in html
    assert "仅限本演示" in html


def test_no_demo_banner_outside_demo_mode(client, town, grid_worker_a, settings):
    settings.DEMO_MODE = False
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("web:home")).content.decode()

    assert "演示模式" not in html


def test_pages_load_no_asset_from_another_site(client, town, operator):
    sign_in_as(client, operator)

    for name in ("web:home", "grids:tree", "grids:map", "web:staff"):
        html = client.get(reverse(name)).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', html), name


# ---- language ----------------------------------------------------------------------------------------------


def test_interface_is_chinese_by_default(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    response = client.get(reverse("web:home"))

    assert response.headers["Content-Language"] == "zh-hans"
    assert "网格治理平台" in response.content.decode()


def test_switching_to_english_changes_the_interface_language(client, town, grid_worker_a):
    # given
    sign_in_as(client, grid_worker_a)

    # when
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("web:staff")}
    )
    response = client.get(reverse("web:home"))

    # then
    assert switched.status_code == 302
    assert switched["Location"] == reverse("web:staff")
    assert response.headers["Content-Language"] == "en"
    html = response.content.decode()
    assert "Staff directory" in html
    assert "人员名录" not in html


# ---- staff directory --------------------------------------------------------------------------------------


@pytest.fixture
def staffed_town(town):
    return {
        "a_worker": StaffAssignmentFactory(
            cell=town.grid_a, post=Post.GRID_WORKER, user__display_name="王建国"
        ),
        "a_chief": StaffAssignmentFactory(
            cell=town.micro_a1, post=Post.MICRO_GRID_CHIEF, user__display_name="李秀英"
        ),
        "b_worker": StaffAssignmentFactory(
            cell=town.grid_b, post=Post.GRID_WORKER, user__display_name="张伟"
        ),
    }


def test_staff_directory_lists_only_staff_in_scope(client, town, grid_worker_a, staffed_town):
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("web:staff")).content.decode()

    assert "王建国" in html
    assert "李秀英" in html
    assert "张伟" not in html


def test_staff_directory_searches_by_name(client, town, operator, staffed_town):
    sign_in_as(client, operator)

    html = client.get(reverse("web:staff"), {"q": "秀英"}).content.decode()

    assert "李秀英" in html
    assert "王建国" not in html
    assert "张伟" not in html


def test_staff_directory_filters_by_post_and_by_cell(client, town, operator, staffed_town):
    sign_in_as(client, operator)

    by_post = client.get(reverse("web:staff"), {"post": Post.MICRO_GRID_CHIEF}).content.decode()
    by_cell = client.get(reverse("web:staff"), {"cell": town.grid_b.code}).content.decode()

    assert ("李秀英" in by_post, "王建国" in by_post, "张伟" in by_post) == (True, False, False)
    assert ("李秀英" in by_cell, "王建国" in by_cell, "张伟" in by_cell) == (False, False, True)


def test_staff_directory_explains_an_unknown_cell_code_and_lists_nobody(
    client, town, grid_worker_a, staffed_town
):
    sign_in_as(client, grid_worker_a)

    response = client.get(reverse("web:staff"), {"cell": town.grid_b.code})

    html = response.content.decode()
    assert response.status_code == 200
    assert _not_found_message_in_chinese() in html
    assert "王建国" not in html
    assert "张伟" not in html


def test_staff_directory_is_paginated(client, town, operator):
    for _ in range(27):
        StaffAssignmentFactory(cell=town.micro_a2, post=Post.VOLUNTEER)
    sign_in_as(client, operator)

    first = client.get(reverse("web:staff"))
    second = client.get(reverse("web:staff"), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 2
    assert "共 27 条" in first.content.decode()


def test_staff_directory_uses_a_bounded_number_of_queries_for_a_full_page(
    client, big_town, django_assert_max_num_queries
):
    sign_in_as(client, big_town.operator)

    # the first request of a session also stamps it (3 queries with the savepoint)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("web:staff"))

    assert len(response.context["page"].object_list) == 25


def test_staff_directory_htmx_request_returns_only_the_results(
    client, town, operator, staffed_town
):
    sign_in_as(client, operator)

    response = client.get(reverse("web:staff"), {"q": "王"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert "<html" not in html
    assert "王建国" in html


def test_staff_directory_shows_no_username_or_contact_details(client, town, operator, staffed_town):
    sign_in_as(client, operator)

    html = client.get(reverse("web:staff")).content.decode()

    assert staffed_town["a_worker"].user.username not in html


def _not_found_message_in_chinese() -> str:
    with translation.override("zh-hans"):
        message = str(CellNotFoundError("0").args[0])
    assert "区域" in message  # the selector's message is translated, not the English msgid
    return message


# ---- error pages ------------------------------------------------------------------------------------------------


def test_forbidden_page_answers_403_with_a_clear_chinese_message(client, town, make_member):
    sign_in_as(client, make_member(Role.PROPERTY_STAFF, town.community_a))

    response = client.get(reverse("web:staff"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "无权访问" in html
    assert 'data-status="403"' in html


def test_unknown_cell_code_answers_404_with_a_clear_message(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(reverse("grids:cell_detail", args=["999999999"]))

    assert response.status_code == 404
    assert _not_found_message_in_chinese() in response.content.decode()


def test_error_page_follows_the_chosen_language(client, town, operator):
    sign_in_as(client, operator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "This page cannot be found" in response.content.decode()


def test_unknown_address_answers_404_page_for_signed_out_visitor(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert 'data-status="404"' in response.content.decode()
