"""Pages of the area hierarchy: tree, children partial, cell page, map and its GeoJSON."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.grids.models import Cell, LevelKind, Post
from gridgov.grids.tests.factories import CellFactory, StaffAssignmentFactory, square

pytestmark = pytest.mark.django_db


def sign_in_as(client: Client, user: User) -> Client:
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_VERIFIED_AT] = timezone.now().timestamp()
    session.save()
    return client


@pytest.fixture
def wide_town(make_member):
    """镇 → 6 communities → 6 grids → 8 micro-grids (295 cells) and an operator over it."""
    town = CellFactory(code="310112108", name="七宝镇", level=LevelKind.STREET)
    for c in range(1, 7):
        community = CellFactory(
            code=f"{town.code}{c:03d}",
            name=f"七宝第{c}社区",
            level=LevelKind.COMMUNITY,
            parent=town,
        )
        for g in range(1, 7):
            grid = CellFactory(
                code=f"{community.code}{g:03d}",
                name=f"七宝{c}-{g}网格",
                level=LevelKind.GRID,
                parent=community,
            )
            for m in range(1, 9):
                CellFactory(
                    code=f"{grid.code}{m:03d}",
                    name=f"七宝{c}-{g}-{m}微网格",
                    level=LevelKind.MICRO_GRID,
                    parent=grid,
                )
    return town, make_member(Role.OPERATOR, town, "wide_operator")


def _node_codes(html: str) -> list[str]:
    return re.findall(r'<li class="gg-tree-item" data-code="(\d+)"', html)


# ---- tree ----------------------------------------------------------------------------------------------


def test_tree_shows_the_operators_town_opened_one_level(client, town, operator):
    sign_in_as(client, operator)

    html = client.get(reverse("grids:tree")).content.decode()

    assert _node_codes(html) == [town.town.code, town.community_a.code, town.community_b.code]
    assert f'hx-get="{reverse("grids:children", args=[town.community_a.code])}"' in html


def test_tree_of_a_grid_worker_starts_at_the_own_grid(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("grids:tree")).content.decode()

    assert _node_codes(html) == [town.grid_a.code, town.micro_a1.code, town.micro_a2.code]
    assert town.town.name not in html
    assert town.grid_b.name not in html


def test_expanding_a_node_loads_its_children_with_counts(client, town, operator):
    # given
    StaffAssignmentFactory(cell=town.micro_a1, post=Post.MICRO_GRID_CHIEF)
    sign_in_as(client, operator)

    # when
    response = client.get(
        reverse("grids:children", args=[town.grid_a.code]), HTTP_HX_REQUEST="true"
    )

    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert _node_codes(html) == [town.micro_a1.code, town.micro_a2.code]
    assert "gg-level-micro_grid" in html


def test_children_of_a_leaf_say_there_is_nothing_below(client, town, operator):
    sign_in_as(client, operator)

    html = client.get(reverse("grids:children", args=[town.micro_a1.code])).content.decode()

    assert _node_codes(html) == []
    assert "No areas below" in html or "无下级区域" in html


def test_tree_search_finds_cells_by_name_within_scope_only(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    inside = client.get(reverse("grids:tree"), {"q": "微网格1"}).content.decode()
    outside = client.get(reverse("grids:tree"), {"q": "彭渡"}).content.decode()

    assert town.micro_a1.name in inside
    assert town.micro_b1.name not in inside
    assert town.grid_b.name not in outside
    assert 'id="gg-search-results"' not in outside


def test_tree_search_by_code_prefix_over_htmx_returns_the_result_table_only(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(
        reverse("grids:tree"), {"q": town.community_b.code}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert "<html" not in html
    assert re.findall(r"<code class=\"gg-code\">(\d+)</code>", html) == [
        town.community_b.code,
        town.grid_b.code,
        town.micro_b1.code,
        town.micro_b2.code,
    ]


def test_tree_and_children_use_a_bounded_number_of_queries(
    client, wide_town, django_assert_max_num_queries
):
    town, operator = wide_town
    sign_in_as(client, operator)
    community = Cell.objects.get(code=f"{town.code}001")

    # the first request of a session also stamps it (3 queries with the savepoint)
    with django_assert_max_num_queries(9):
        tree = client.get(reverse("grids:tree"))
    with django_assert_max_num_queries(6):
        children = client.get(reverse("grids:children", args=[community.code]))

    assert len(_node_codes(tree.content.decode())) == 7
    assert len(_node_codes(children.content.decode())) == 6


# ---- cell page -----------------------------------------------------------------------------------------------


def test_cell_page_shows_breadcrumbs_children_staff_and_map(client, town, operator):
    # given
    StaffAssignmentFactory(cell=town.grid_a, post=Post.GRID_CHIEF, user__display_name="陈国强")
    StaffAssignmentFactory(cell=town.grid_b, post=Post.GRID_CHIEF, user__display_name="赵敏")
    sign_in_as(client, operator)

    # when
    response = client.get(reverse("grids:cell_detail", args=[town.grid_a.code]))

    # then
    html = response.content.decode()
    breadcrumb = re.search(r'id="gg-breadcrumb">(.*?)</ol>', html, re.DOTALL).group(1)
    assert [town.town.name, town.community_a.name] == re.findall(r'">([^<]+)</a></li>', breadcrumb)[
        1:
    ]
    assert town.micro_a1.name in html
    assert town.micro_a2.name in html
    assert "陈国强" in html
    assert "赵敏" not in html
    assert 'id="gg-cell-map"' in html
    assert 'id="gg-own-feature"' in html
    assert f"?parent={town.grid_a.code}" in html


def test_cell_page_links_only_the_ancestors_inside_the_scope(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    html = client.get(reverse("grids:cell_detail", args=[town.micro_a1.code])).content.decode()

    breadcrumb = re.search(r'id="gg-breadcrumb">(.*?)</ol>', html, re.DOTALL).group(1)
    assert re.findall(r'<a href="/grids/cells/(\d+)/">', breadcrumb) == [town.grid_a.code]
    assert f'<span class="gg-muted">{town.community_a.name}</span>' in breadcrumb


def test_cell_page_hides_staff_from_roles_without_the_staff_directory(client, town, make_member):
    StaffAssignmentFactory(cell=town.grid_a, post=Post.GRID_CHIEF, user__display_name="陈国强")
    sign_in_as(client, make_member(Role.PROPERTY_STAFF, town.community_a))

    html = client.get(reverse("grids:cell_detail", args=[town.grid_a.code])).content.decode()

    assert "陈国强" not in html
    assert 'id="gg-cell-staff"' not in html


def test_cell_page_without_boundary_says_so_instead_of_a_map(client, town, operator):
    cell = CellFactory(
        code=f"{town.grid_a.code}009",
        name="无边界微网格",
        level=LevelKind.MICRO_GRID,
        parent=town.grid_a,
    )
    sign_in_as(client, operator)

    html = client.get(reverse("grids:cell_detail", args=[cell.code])).content.decode()

    assert 'id="gg-cell-map"' not in html


def test_unknown_cell_code_answers_404_and_names_nothing(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(reverse("grids:cell_detail", args=["310112106999"]))

    assert response.status_code == 404
    assert 'data-status="404"' in response.content.decode()


# ---- map and boundaries -----------------------------------------------------------------------------------------


def test_map_defaults_to_the_level_below_the_users_outermost_area(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(reverse("grids:map"))

    assert response.context["selected_level"] == LevelKind.COMMUNITY
    assert [level["value"] for level in response.context["levels"]] == [
        LevelKind.STREET,
        LevelKind.COMMUNITY,
        LevelKind.GRID,
        LevelKind.MICRO_GRID,
    ]


def test_map_keeps_a_requested_level_and_ignores_an_unknown_one(client, town, operator):
    sign_in_as(client, operator)

    chosen = client.get(reverse("grids:map"), {"level": LevelKind.MICRO_GRID})
    unknown = client.get(reverse("grids:map"), {"level": "planet"})

    assert chosen.context["selected_level"] == LevelKind.MICRO_GRID
    assert unknown.context["selected_level"] == LevelKind.COMMUNITY


def test_map_without_tile_server_makes_no_tile_request(client, town, operator, settings):
    settings.MAP_TILE_URL = ""
    sign_in_as(client, operator)

    html = client.get(reverse("grids:map")).content.decode()

    assert 'data-tile-url=""' in html
    assert "http" not in re.search(r'id="gg-map"[^>]*>', html).group(0)


def test_map_uses_the_configured_tile_server(client, town, operator, settings):
    settings.MAP_TILE_URL = "https://tiles.gov.example/{z}/{x}/{y}.png"
    sign_in_as(client, operator)

    html = client.get(reverse("grids:map")).content.decode()

    assert 'data-tile-url="https://tiles.gov.example/{z}/{x}/{y}.png"' in html


def test_boundaries_of_a_level_are_geojson_features_in_scope(client, town, grid_worker_a):
    sign_in_as(client, grid_worker_a)

    response = client.get(reverse("grids:boundaries"), {"level": LevelKind.MICRO_GRID})

    data = response.json()
    assert response.status_code == 200
    assert data["type"] == "FeatureCollection"
    assert [feature["properties"]["code"] for feature in data["features"]] == [
        town.micro_a1.code,
        town.micro_a2.code,
    ]
    assert data["features"][0]["geometry"]["type"] == "Polygon"


def test_boundaries_of_a_parent_are_its_children(client, town, operator):
    sign_in_as(client, operator)

    data = client.get(reverse("grids:boundaries"), {"parent": town.town.code}).json()

    assert [feature["id"] for feature in data["features"]] == [
        town.community_a.code,
        town.community_b.code,
    ]


def test_boundaries_refuse_an_unknown_level_with_a_json_error(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(reverse("grids:boundaries"), {"level": "planet"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_boundaries_of_an_unknown_parent_answer_404_json(client, town, operator):
    sign_in_as(client, operator)

    response = client.get(reverse("grids:boundaries"), {"parent": "999999"})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_boundaries_refuse_a_resident_with_a_json_403(client, town, make_member):
    sign_in_as(client, make_member(Role.RESIDENT, town.micro_a1))

    response = client.get(reverse("grids:boundaries"))

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_boundary_feature_keeps_the_stored_geometry(client, town, operator):
    sign_in_as(client, operator)

    data = client.get(reverse("grids:boundaries"), {"parent": town.community_b.code}).json()

    assert data["features"][0]["geometry"] == square(121.2, 31.0, 0.2)
