"""Shared registry fixtures: a few places in the test town and a person factory."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from gridgov.conftest import Town
from gridgov.registry.models import Building, Dwelling, Estate, Person, Unit
from gridgov.registry.tests.factories import (
    BuildingFactory,
    DwellingFactory,
    EstateFactory,
    PersonFactory,
    UnitFactory,
)


@dataclass
class Places:
    """飞碟苑 (grid A): 12号楼, units 1 and 2, six dwellings; 彭渡新村 (grid B): one dwelling."""

    estate_a: Estate
    building_a: Building
    unit_1: Unit
    unit_2: Unit
    dwellings: list[Dwelling]
    estate_b: Estate
    building_b: Building
    dwelling_b: Dwelling


@pytest.fixture
def places(town: Town) -> Places:
    estate_a = EstateFactory(code="FDY", name="飞碟苑", cell=town.grid_a, address="马桥镇飞碟苑")
    building_a = BuildingFactory(estate=estate_a, label="12号楼", cell=town.grid_a)
    unit_1 = UnitFactory(building=building_a, label="1单元", sort_order=1)
    unit_2 = UnitFactory(building=building_a, label="2单元", sort_order=2)
    dwellings = []
    areas = ("89.50", "62.00", "120.30", "45.00", "75.80", "30.00")
    for index, area in enumerate(areas):
        unit = unit_1 if index < 3 else unit_2
        room = f"{index % 3 + 1}01"
        dwellings.append(
            DwellingFactory(
                building=building_a,
                unit=unit,
                room=room,
                floor=index % 3 + 1,
                area_m2=Decimal(area),
                cell=town.grid_a,
                address=f"马桥镇飞碟苑12号楼{unit.label}{room}室",
            )
        )
    estate_b = EstateFactory(
        code="PDXC",
        name="彭渡新村",
        kind=Estate.Kind.VILLAGE,
        cell=town.grid_b,
        address="马桥镇彭渡新村",
    )
    building_b = BuildingFactory(estate=estate_b, label="3号", cell=town.grid_b)
    dwelling_b = DwellingFactory(
        building=building_b,
        unit=None,
        room="101",
        floor=1,
        area_m2=Decimal("96.00"),
        cell=town.grid_b,
        address="马桥镇彭渡新村3号101室",
    )
    return Places(
        estate_a=estate_a,
        building_a=building_a,
        unit_1=unit_1,
        unit_2=unit_2,
        dwellings=dwellings,
        estate_b=estate_b,
        building_b=building_b,
        dwelling_b=dwelling_b,
    )


@pytest.fixture
def person_factory(town: Town):
    """``person_factory(**fields)`` → a Person in grid A unless ``cell=`` says otherwise.

    Accepts the clear ``id_number`` / ``phone`` and the ``born`` / ``is_female`` parameters of
    ``PersonFactory``.
    """

    def make(**fields: object) -> Person:
        fields.setdefault("cell", town.grid_a)
        person: Person = PersonFactory(**fields)
        return person

    return make


@pytest.fixture
def english():
    """Messages in English, for exact assertions on them (the default language is zh-hans)."""
    from django.utils import translation

    with translation.override("en"):
        yield
