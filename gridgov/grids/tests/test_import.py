"""Importing a cell tree from GeoJSON: all or nothing, every problem named."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from gridgov.core.models import AuditEntry
from gridgov.grids.models import Cell
from gridgov.grids.services import CellImportError, cell_tree_export, cell_tree_import
from gridgov.grids.tests.conftest import collection, feature
from gridgov.grids.tests.factories import square

BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[121.0, 31.0], [121.1, 31.1], [121.1, 31.0], [121.0, 31.1], [121.0, 31.0]]],
}


def _snapshot() -> list[tuple]:
    return list(Cell.objects.order_by("code").values_list("code", "name", "boundary", "is_active"))


def _new_community_file() -> bytes:
    return collection(
        feature("310112106003", "新村", "community", square(121.0, 31.2, 0.2)),
        feature("310112106003001", "新村第一网格", "网格", square(121.0, 31.2, 0.1)),
        feature(
            "310112106003002",
            "新村第二网格",
            "grid",
            square(121.1, 31.2, 0.1),
            parent_code="310112106003",
        ),
        feature("310112106001", "飞碟苑社区", "community", square(121.0, 31.0, 0.2)),
    )


def test_a_feature_collection_creates_and_updates_cells_by_code(town, platform_admin):
    audit_before = AuditEntry.objects.count()
    result = cell_tree_import(actor=platform_admin, data=_new_community_file(), filename="new.json")
    assert (result.created, result.updated, result.unchanged) == (3, 1, 0)
    new_grid = Cell.objects.get(code="310112106003001")
    assert new_grid.parent.code == "310112106003"
    assert new_grid.depth == 2
    assert new_grid.level == "grid"
    assert new_grid.min_lat == 31.2
    assert Cell.objects.get(code="310112106001").name == "飞碟苑社区"
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == audit_before + 1
    assert entry.action == "grids.cell_tree_import"
    assert entry.changes == {"created": 3, "updated": 1, "unchanged": 0}


def test_importing_the_same_file_again_changes_nothing(town, platform_admin):
    cell_tree_import(actor=platform_admin, data=_new_community_file(), filename="new.json")
    result = cell_tree_import(actor=platform_admin, data=_new_community_file(), filename="new.json")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)


def test_an_export_reads_back_as_an_unchanged_import(town, platform_admin):
    # given an import that fills the metrics the factories leave out
    cell_tree_import(
        actor=platform_admin, data=json.dumps(cell_tree_export(actor=platform_admin)), filename="x"
    )
    # when
    exported = cell_tree_export(actor=platform_admin)
    result = cell_tree_import(actor=platform_admin, data=json.dumps(exported), filename="x")
    # then
    assert len(exported["features"]) == 9
    assert (result.created, result.updated, result.unchanged) == (0, 0, 9)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "The file is not valid JSON (line 1, column 2)."),
        (b"\xff\xfe\x00", "The file is not UTF-8 text."),
        (b'{"type": "Feature"}', "The file is not a GeoJSON FeatureCollection."),
        (
            b'{"type": "FeatureCollection", "features": {}}',
            "The FeatureCollection has no list of features.",
        ),
        (
            b'{"type": "FeatureCollection", "features": []}',
            "The FeatureCollection has no features.",
        ),
    ],
)
def test_a_file_that_is_not_a_feature_collection_is_refused_and_nothing_changes(
    town, platform_admin, data, message, english
):
    before, audit_before = _snapshot(), AuditEntry.objects.count()
    with pytest.raises(CellImportError) as error:
        cell_tree_import(actor=platform_admin, data=data, filename="bad.json")
    assert error.value.problems == [message]
    assert _snapshot() == before
    assert AuditEntry.objects.count() == audit_before


def test_every_bad_feature_is_listed_with_its_number_and_code_and_nothing_changes(
    town, platform_admin, english
):
    before = _snapshot()
    data = collection(
        feature("310112106003", "好的新村", "community"),
        feature("310112106001", "自交社区", "community", BOW_TIE),
        feature("310112106777001", "孤儿网格", "grid"),
        feature("31011210600A", "坏编码", "community"),
        feature("310112106004", "", "village"),
        {"type": "Feature", "properties": {"name": "无编码"}, "geometry": square(121, 31, 0.1)},
        feature("310112106003", "重复", "community"),
    )
    with pytest.raises(CellImportError) as error:
        cell_tree_import(actor=platform_admin, data=data, filename="bad.json")
    assert error.value.problems == [
        "Feature 2 (code 310112106001): the boundary is not a valid polygon "
        "(self-intersecting or open ring)",
        "Feature 3 (code 310112106777001): its parent area 310112106777 is unknown",
        "Feature 4 (code 31011210600A): the code must consist of digits only",
        "Feature 5 (code 310112106004): the name is missing",
        "Feature 5 (code 310112106004): the level is not one of district, street, community, "
        "grid, micro-grid",
        "Feature 6: the property code is missing",
        "Feature 7 (code 310112106003): the code appears more than once in the file",
    ]
    assert _snapshot() == before


def test_problems_are_reported_in_chinese_by_default(town, platform_admin):
    data = collection(feature("310112106777001", "孤儿网格", "grid"))
    with pytest.raises(CellImportError) as error:
        cell_tree_import(actor=platform_admin, data=data, filename="bad.json")
    assert error.value.problems == ["要素 1（编码 310112106777001）：上级区域 310112106777 不存在"]


def test_an_explicit_unknown_parent_and_a_higher_level_child_are_refused(
    town, platform_admin, english
):
    data = collection(
        feature("310112106005", "无父", "community", parent_code="310112199"),
        feature("310112106001001009", "越级", "street"),
    )
    with pytest.raises(CellImportError) as error:
        cell_tree_import(actor=platform_admin, data=data, filename="bad.json")
    assert error.value.problems == [
        "Feature 1 (code 310112106005): its parent area 310112199 is unknown",
        "Feature 2 (code 310112106001001009): an area cannot be of a higher level than the area "
        "it belongs to",
    ]
    assert not Cell.objects.filter(code__in=["310112106005", "310112106001001009"]).exists()


def test_an_export_is_audited(town, operator):
    exported = cell_tree_export(actor=operator, root_code="310112106002")
    assert [f["properties"]["code"] for f in exported["features"]] == [
        "310112106002",
        "310112106002001",
        "310112106002001001",
        "310112106002001002",
    ]
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.action, entry.changes) == ("grids.cell_tree_export", {"cells": 4})


def test_an_operator_without_the_manage_permission_cannot_import(town, operator):
    with pytest.raises(PermissionDenied):
        cell_tree_import(actor=operator, data=_new_community_file(), filename="new.json")
    assert not Cell.objects.filter(code="310112106003").exists()


def test_the_import_command_reports_progress_and_counts(town, platform_admin, tmp_path):
    path = tmp_path / "tree.geojson"
    path.write_bytes(_new_community_file())
    out = StringIO()
    call_command("import_cells", str(path), "--as", platform_admin.username, stdout=out)
    assert "tree.geojson" in out.getvalue()
    assert Cell.objects.filter(code__startswith="310112106003").count() == 3


def test_the_import_command_fails_with_the_list_of_problems(town, platform_admin, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_bytes(collection(feature("310112106777001", "孤儿网格", "grid")))
    with pytest.raises(CommandError) as error:
        call_command("import_cells", str(path), "--as", platform_admin.username)
    assert "310112106777001" in str(error.value)
    assert not Cell.objects.filter(code="310112106777001").exists()
