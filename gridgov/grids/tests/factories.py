from __future__ import annotations

import datetime

import factory
from factory.django import DjangoModelFactory

from gridgov.grids.models import Cell, LevelKind, Post, StaffAssignment


def square(lng: float, lat: float, size: float) -> dict[str, object]:
    """A GeoJSON square polygon with its south-west corner at (lng, lat)."""
    ring = [
        [lng, lat],
        [lng + size, lat],
        [lng + size, lat + size],
        [lng, lat + size],
        [lng, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


class CellFactory(DjangoModelFactory):
    class Meta:
        model = Cell
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"310112{n:03d}")
    name = factory.Sequence(lambda n: f"区域{n}")
    level = LevelKind.STREET
    parent = None
    depth = factory.LazyAttribute(lambda cell: cell.parent.depth + 1 if cell.parent else 0)


class StaffAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = StaffAssignment

    cell = factory.SubFactory(CellFactory)
    user = factory.SubFactory("gridgov.accounts.tests.factories.UserFactory")
    post = Post.GRID_WORKER
    started_on = datetime.date(2026, 1, 1)
