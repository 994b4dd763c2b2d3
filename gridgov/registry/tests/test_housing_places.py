"""Places: estates, buildings, units and dwellings — addresses, cells and who may add them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from gridgov.core.models import AuditEntry
from gridgov.registry.models import Building, Dwelling, Estate
from gridgov.registry.selectors.places import (
    PlaceNotFoundError,
    building_get_for_actor,
    building_list_for_actor,
    estate_list_for_actor,
)
from gridgov.registry.services.places import (
    building_create,
    compose_address,
    dwelling_create,
    dwelling_update,
    estate_create,
    unit_create,
)
from gridgov.registry.tests.helpers_housing import community_staff_a


def test_dwelling_address_is_composed_in_chinese_order(town, make_member):
    # given
    staff = community_staff_a(make_member, town)
    estate = estate_create(actor=staff, name="飞碟苑", cell_code=town.grid_a.code)
    building = building_create(actor=staff, estate_id=estate.pk, label="12")
    unit = unit_create(actor=staff, building_id=building.pk, label="1")
    # when
    dwelling = dwelling_create(
        actor=staff, building_id=building.pk, unit_id=unit.pk, room="301", area_m2="89.5"
    )
    # then
    assert dwelling.address == "马桥镇飞碟苑12号楼1单元301室"
    assert building.label == "12号楼"
    assert unit.label == "1单元"
    assert estate.address == "马桥镇飞碟苑"
    assert dwelling.floor == 3
    assert dwelling.area_m2 == Decimal("89.50")


def test_address_keeps_labels_that_already_name_themselves_and_does_not_repeat_the_town():
    assert (
        compose_address(town="马桥镇", estate="马桥镇彭渡村", building="A座", room="商铺3")
        == "马桥镇彭渡村A座商铺3"
    )
    assert compose_address(town="", estate="飞碟苑", building="5号楼", room="1203") == (
        "飞碟苑5号楼1203室"
    )


def test_dwelling_cell_is_derived_from_its_building_unless_given(town, make_member, places):
    # given: building 12号楼 of 飞碟苑 lies in grid A
    staff = community_staff_a(make_member, town)
    # when
    derived = dwelling_create(actor=staff, building_id=places.building_a.pk, room="601")
    given = dwelling_create(
        actor=staff, building_id=places.building_a.pk, room="602", cell_code=town.micro_a2.code
    )
    # then
    assert derived.cell == town.grid_a
    assert given.cell == town.micro_a2


def test_building_cell_is_located_from_its_coordinates(town, make_member, places):
    staff = community_staff_a(make_member, town)
    building = building_create(
        actor=staff, estate_id=places.estate_a.pk, label="15", lng=121.15, lat=31.1
    )
    assert building.cell == town.micro_a2


def test_estate_gets_a_code_when_none_is_given_and_the_creation_is_audited(town, make_member):
    staff = community_staff_a(make_member, town)
    estate = estate_create(actor=staff, name="华银坊", cell_code=town.grid_a.code)
    assert estate.code == f"E{estate.pk:06d}"
    entry = AuditEntry.objects.get(action="registry.estate.create")
    assert (entry.actor_id, entry.object_id) == (staff.pk, str(estate.pk))


def test_common_parts_and_shops_are_representable(town, make_member, places):
    staff = community_staff_a(make_member, town)
    common = dwelling_create(
        actor=staff, building_id=places.building_a.pk, room="公共部位", use=Dwelling.Use.COMMON
    )
    shop = dwelling_create(
        actor=staff,
        building_id=places.building_a.pk,
        room="商铺2",
        use=Dwelling.Use.COMMERCIAL,
        area_m2=Decimal("40"),
    )
    assert (common.use, common.floor, common.address) == (
        "common",
        None,
        "马桥镇飞碟苑12号楼公共部位",
    )
    assert (shop.use, shop.address) == ("commercial", "马桥镇飞碟苑12号楼商铺2")


@pytest.mark.usefixtures("english")
def test_the_same_room_cannot_be_registered_twice_in_a_building(town, make_member, places):
    # given: 12号楼 has no unit-less room 701 yet
    staff = community_staff_a(make_member, town)
    dwelling_create(actor=staff, building_id=places.building_a.pk, room="701")
    before = Dwelling.objects.count()
    # when / then
    with pytest.raises(ValidationError) as caught:
        dwelling_create(actor=staff, building_id=places.building_a.pk, room="701")
    assert caught.value.message_dict == {
        "room": ["this room is already registered in this building"]
    }
    assert Dwelling.objects.count() == before


def test_a_dwelling_with_a_non_positive_area_is_refused(town, make_member, places):
    staff = community_staff_a(make_member, town)
    with pytest.raises(ValidationError) as caught:
        dwelling_create(actor=staff, building_id=places.building_a.pk, room="801", area_m2="0")
    assert list(caught.value.message_dict) == ["area_m2"]
    assert not Dwelling.objects.filter(room="801").exists()


@pytest.mark.usefixtures("english")
def test_a_unit_of_another_building_is_refused(town, make_member, places):
    staff = community_staff_a(make_member, town)
    other = building_create(actor=staff, estate_id=places.estate_a.pk, label="13")
    with pytest.raises(ValidationError) as caught:
        dwelling_create(actor=staff, building_id=other.pk, unit_id=places.unit_1.pk, room="101")
    assert caught.value.message_dict == {"unit": ["this unit is not part of the building"]}
    assert not Dwelling.objects.filter(building=other).exists()


def test_grid_worker_may_not_add_places_in_own_grid(town, grid_worker_a, places):
    with pytest.raises(PermissionDenied):
        building_create(actor=grid_worker_a, estate_id=places.estate_a.pk, label="20")
    assert not Building.objects.filter(label="20号楼").exists()


def test_staff_of_another_community_cannot_see_the_building_to_add_to_it(town, make_member, places):
    staff = community_staff_a(make_member, town)
    with pytest.raises(PlaceNotFoundError):
        dwelling_create(actor=staff, building_id=places.building_b.pk, room="102")
    with pytest.raises(PlaceNotFoundError):
        estate_create(actor=staff, name="彭渡二村", cell_code=town.grid_b.code)
    assert not Dwelling.objects.filter(building=places.building_b, room="102").exists()
    assert not Estate.objects.filter(name="彭渡二村").exists()


def test_place_lists_show_only_the_actors_area_with_their_counts(town, make_member, places):
    # given
    staff = community_staff_a(make_member, town)
    worker_b = make_member("grid_worker", town.grid_b, "worker_b_lists")
    # when
    estates = list(estate_list_for_actor(actor=staff))
    buildings = list(building_list_for_actor(actor=staff))
    # then
    assert [(estate.code, estate.building_count) for estate in estates] == [("FDY", 1)]
    assert [(b.label, b.dwelling_count) for b in buildings] == [("12号楼", 6)]
    assert [estate.code for estate in estate_list_for_actor(actor=worker_b)] == ["PDXC"]
    with pytest.raises(PlaceNotFoundError):
        building_get_for_actor(actor=worker_b, building_id=places.building_a.pk)


def test_a_dwelling_correction_is_saved_and_audited_with_old_and_new_values(
    town, make_member, places
):
    staff = community_staff_a(make_member, town)
    dwelling = places.dwellings[0]
    updated = dwelling_update(
        actor=staff, dwelling_id=dwelling.pk, area_m2="91.2", use=Dwelling.Use.MIXED
    )
    assert (updated.area_m2, updated.use) == (Decimal("91.20"), "mixed")
    entry = AuditEntry.objects.get(action="registry.dwelling.update")
    assert entry.changes == {"area_m2": ["89.50", "91.20"], "use": ["residential", "mixed"]}


@pytest.mark.usefixtures("english")
def test_a_dwelling_room_cannot_be_changed_by_a_correction(town, make_member, places):
    staff = community_staff_a(make_member, town)
    with pytest.raises(ValidationError) as caught:
        dwelling_update(actor=staff, dwelling_id=places.dwellings[0].pk, room="999")
    assert caught.value.message_dict == {"room": ["this field cannot be changed here"]}
    assert Dwelling.objects.get(pk=places.dwellings[0].pk).room == "101"
