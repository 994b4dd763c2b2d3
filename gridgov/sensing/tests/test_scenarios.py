"""Scenarios as data: the catalogue, versions, validation, permission and audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from gridgov.core.models import AuditEntry
from gridgov.sensing.models import Scenario, ScenarioVersion
from gridgov.sensing.scenario_catalogue import SCENARIO_CATALOGUE
from gridgov.sensing.services.scenarios import (
    install_scenarios,
    scenario_create,
    scenario_set_enabled,
    scenario_update,
    scenario_validate,
)

pytestmark = pytest.mark.django_db

REQUIRED_NAMES = {
    "门禁常开",
    "消防通道占用",
    "电瓶车进电梯",
    "楼道液化气罐",
    "烟感报警",
    "燃气泄漏",
    "高空抛物",
    "垃圾违规投放",
    "跨门经营",
    "井盖异动",
    "消防栓水压不足",
    "垃圾满溢",
    "水表异常用水",
    "陌生人夜间多次出现",
    "尾随进入",
    "设备离线",
    "独居老人多日未出门",
    "未成年人到家提醒",
}


def test_the_catalogue_holds_the_named_scenarios_each_valid():
    names = {entry["name"] for entry in SCENARIO_CATALOGUE}

    assert names >= REQUIRED_NAMES
    assert len({entry["code"] for entry in SCENARIO_CATALOGUE}) == len(SCENARIO_CATALOGUE)
    for entry in SCENARIO_CATALOGUE:
        scenario_validate(entry)
        assert entry["source"]


def test_installing_the_catalogue_twice_creates_version_one_once(town):
    install_scenarios()
    install_scenarios()

    assert Scenario.objects.count() == len(SCENARIO_CATALOGUE)
    assert set(Scenario.objects.values_list("version", flat=True)) == {1}
    assert ScenarioVersion.objects.count() == len(SCENARIO_CATALOGUE)
    door = Scenario.objects.get(code="door-held-open")
    assert (door.kind, door.params) == ("held", {"state": "open", "seconds": 300})


def test_installing_keeps_a_scenario_switched_off_by_staff_off(town, platform_admin):
    install_scenarios()
    scenario_set_enabled(actor=platform_admin, code="bin-full", enabled=False)

    install_scenarios()

    bin_full = Scenario.objects.get(code="bin-full")
    assert (bin_full.enabled, bin_full.version) == (False, 2)


def test_each_change_is_a_new_version_with_its_whole_content_and_an_audit_row(town, platform_admin):
    install_scenarios()

    scenario_update(
        actor=platform_admin,
        code="door-held-open",
        params={"state": "open", "seconds": 600},
        note="物业要求放宽到 10 分钟",
    )

    door = Scenario.objects.get(code="door-held-open")
    assert door.version == 2
    latest = door.versions.get(version=2)
    assert latest.content["params"] == {"state": "open", "seconds": 600}
    assert latest.content["name"] == "门禁常开"
    assert (latest.changed_by, latest.note) == (platform_admin, "物业要求放宽到 10 分钟")
    assert door.versions.get(version=1).content["params"]["seconds"] == 300
    entry = AuditEntry.objects.filter(action="sensing.scenario_update").get()
    assert entry.changes == {"version": 2, "enabled": True}


def test_saving_without_a_change_is_no_new_version(town, platform_admin):
    install_scenarios()

    scenario_update(actor=platform_admin, code="smoke-alarm", severity="critical")

    assert Scenario.objects.get(code="smoke-alarm").version == 1


def test_a_grid_worker_cannot_change_a_scenario(town, grid_worker_a):
    install_scenarios()

    with pytest.raises(PermissionDenied):
        scenario_update(actor=grid_worker_a, code="smoke-alarm", severity="info")

    assert Scenario.objects.get(code="smoke-alarm").severity == "critical"


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("threshold", {"value": "lel", "op": "=>", "limit": 25}, "params.op"),
        ("threshold", {"value": "lel", "op": ">", "limit": "25"}, "params.limit"),
        ("threshold", {"op": ">", "limit": 25}, "params.value"),
        ("held", {"state": "open", "seconds": 0}, "params.seconds"),
        ("outside_hours", {"allowed": ["6:30-9:00"]}, "params.allowed"),
        ("count", {"count": 3, "window_seconds": 60, "group_by": "person"}, "params.group_by"),
        ("missing", {"subject": "person", "tag": "elderly-alone"}, "params.days"),
        ("arrival", {"tags": []}, "params.tags"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(town, platform_admin, kind, params, field):
    with pytest.raises(ValidationError) as refused:
        scenario_create(
            actor=platform_admin,
            code="bad-one",
            name="坏场景",
            kind=kind,
            event_kinds=["reading"],
            params=params,
        )

    assert list(refused.value.message_dict) == [field]
    assert not Scenario.objects.filter(code="bad-one").exists()


def test_the_error_is_in_chinese(town, platform_admin):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        scenario_create(
            actor=platform_admin,
            code="bad-one",
            name="坏场景",
            kind="held",
            params={"state": "open", "seconds": -1},
        )

    assert refused.value.message_dict == {"params.seconds": ["参数“seconds”必须是大于 0 的整数。"]}


def test_a_scenario_that_opens_a_case_needs_its_category(town, platform_admin):
    with pytest.raises(ValidationError) as refused:
        scenario_create(
            actor=platform_admin,
            code="smoke-2",
            name="烟感",
            kind="event",
            event_kinds=["smoke_alarm"],
            opens_case=True,
        )

    assert list(refused.value.message_dict) == ["case_category_code"]
