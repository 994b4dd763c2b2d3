"""``/api/v1/cells/`` and ``/api/v1/staff/``: scoped like the pages, JSON errors."""

from __future__ import annotations

from gridgov.grids.models import Post
from gridgov.grids.tests.factories import CellFactory, StaffAssignmentFactory


def test_the_cell_list_is_scoped_and_paginated(town, grid_worker_a, api_client):
    api_client.force_authenticate(grid_worker_a)
    response = api_client.get("/api/v1/cells/")
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["code"] for row in response.json()["results"]] == [
        town.grid_a.code,
        town.micro_a1.code,
        town.micro_a2.code,
    ]
    assert response.json()["results"][1]["parent_code"] == town.grid_a.code


def test_the_cell_list_filters_by_parent_and_level(town, operator, api_client):
    api_client.force_authenticate(operator)
    by_parent = api_client.get("/api/v1/cells/", {"parent": town.town.code})
    by_level = api_client.get("/api/v1/cells/", {"level": "micro_grid"})
    assert [row["code"] for row in by_parent.json()["results"]] == [
        town.community_a.code,
        town.community_b.code,
    ]
    assert by_level.json()["count"] == 4


def test_an_unknown_level_filter_is_a_400_json_error(town, operator, api_client):
    api_client.force_authenticate(operator)
    response = api_client.get("/api/v1/cells/", {"level": "province"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["fields"]) == ["level"]


def test_cell_detail_carries_the_boundary_as_geojson(town, operator, api_client):
    api_client.force_authenticate(operator)
    response = api_client.get(f"/api/v1/cells/{town.micro_b1.code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == town.micro_b1.code
    assert body["parent_code"] == town.grid_b.code
    assert body["boundary"]["type"] == "Polygon"


def test_an_unknown_or_out_of_scope_cell_is_a_404_json_error(town, grid_worker_a, api_client):
    api_client.force_authenticate(grid_worker_a)
    unknown = api_client.get("/api/v1/cells/310112106999/")
    foreign = api_client.get(f"/api/v1/cells/{town.grid_b.code}/")
    assert unknown.status_code == foreign.status_code == 404
    assert unknown.json() == foreign.json()
    assert unknown.json()["code"] == "not_found"
    assert unknown.json()["message"]


def test_children_of_a_cell_come_with_their_child_counts(town, operator, api_client):
    api_client.force_authenticate(operator)
    response = api_client.get(f"/api/v1/cells/{town.town.code}/children/")
    assert response.status_code == 200
    assert [(row["code"], row["child_count"], row["parent_code"]) for row in response.json()] == [
        (town.community_a.code, 1, town.town.code),
        (town.community_b.code, 1, town.town.code),
    ]
    assert api_client.get("/api/v1/cells/310112106999/children/").status_code == 404


def test_locate_answers_the_micro_grid_under_a_point(town, operator, api_client):
    api_client.force_authenticate(operator)
    response = api_client.get("/api/v1/cells/locate/", {"lng": "121.25", "lat": "31.1"})
    assert response.status_code == 200
    assert response.json()["code"] == town.micro_b1.code


def test_locate_outside_every_area_is_a_404_with_a_clear_message(
    town, operator, api_client, settings
):
    settings.LANGUAGE_CODE = "en"
    api_client.force_authenticate(operator)
    response = api_client.get("/api/v1/cells/locate/", {"lng": "100", "lat": "31.1"})
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No area in your responsibility contains this point.",
    }


def test_locate_with_bad_coordinates_is_a_400_json_error(town, operator, api_client):
    api_client.force_authenticate(operator)
    missing = api_client.get("/api/v1/cells/locate/", {"lng": "121.2"})
    nonsense = api_client.get("/api/v1/cells/locate/", {"lng": "east", "lat": "31"})
    out_of_range = api_client.get("/api/v1/cells/locate/", {"lng": "200", "lat": "31"})
    assert [r.status_code for r in (missing, nonsense, out_of_range)] == [400, 400, 400]
    assert list(missing.json()["fields"]) == ["lat"]
    assert list(nonsense.json()["fields"]) == ["lng"]
    assert out_of_range.json()["code"] == "invalid"


def test_the_staff_list_is_scoped_and_filterable(town, grid_worker_a, operator, api_client):
    mine = StaffAssignmentFactory(cell=town.micro_a1, post=Post.MICRO_GRID_CHIEF)
    StaffAssignmentFactory(cell=town.micro_b1, post=Post.BUILDING_CHIEF)
    api_client.force_authenticate(grid_worker_a)
    worker_view = api_client.get("/api/v1/staff/").json()
    api_client.force_authenticate(operator)
    chiefs = api_client.get("/api/v1/staff/", {"post": "building_chief"}).json()
    in_b = api_client.get("/api/v1/staff/", {"cell": town.community_b.code}).json()
    assert [row["id"] for row in worker_view["results"]] == [mine.pk]
    assert worker_view["results"][0]["cell"]["code"] == town.micro_a1.code
    assert set(worker_view["results"][0]["user"]) == {"id", "username", "display_name"}
    assert chiefs["count"] == 1
    assert in_b["count"] == 1


def test_the_api_needs_authentication(town, api_client):
    response = api_client.get("/api/v1/cells/")
    assert response.status_code in {401, 403}
    assert "code" in response.json()


def test_list_endpoints_take_a_bounded_number_of_queries(
    town, operator, api_client, django_assert_max_num_queries
):
    for index in range(1, 60):
        grid = CellFactory(
            code=f"{town.community_b.code}{index + 1:03d}", level="grid", parent=town.community_b
        )
        StaffAssignmentFactory(cell=grid)
    api_client.force_authenticate(operator)
    with django_assert_max_num_queries(4):
        assert api_client.get("/api/v1/cells/").status_code == 200
    with django_assert_max_num_queries(4):
        assert api_client.get("/api/v1/staff/").status_code == 200
    with django_assert_max_num_queries(4):
        children = api_client.get(f"/api/v1/cells/{town.community_b.code}/children/")
    assert len(children.json()) == 60
