"""Geometry of cell boundaries: validation, metrics and the point → cell index (DESIGN D12).

Boundaries are GeoJSON geometries in WGS-84 (longitude, latitude).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# Mean Earth radius (m) for the local equal-area approximation of small areas.
_EARTH_RADIUS_M = 6_371_008.8


class InvalidBoundaryError(ValueError):
    """A boundary is not a valid GeoJSON Polygon or MultiPolygon (message is translatable)."""


@dataclass(frozen=True)
class BoundaryMetrics:
    min_lng: float
    min_lat: float
    max_lng: float
    max_lat: float
    centroid_lng: float
    centroid_lat: float
    area_km2: float


def boundary_geometry(boundary: dict[str, Any]) -> BaseGeometry:
    """Parse a GeoJSON Polygon/MultiPolygon; raise ``InvalidBoundaryError`` with a reason."""
    if not isinstance(boundary, dict) or boundary.get("type") not in {"Polygon", "MultiPolygon"}:
        raise InvalidBoundaryError(_("the boundary is not a GeoJSON Polygon or MultiPolygon"))
    try:
        geometry = shape(boundary)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise InvalidBoundaryError(_("the boundary coordinates are malformed")) from error
    except shapely.errors.ShapelyError as error:
        raise InvalidBoundaryError(_("the boundary coordinates are malformed")) from error
    if geometry.is_empty:
        raise InvalidBoundaryError(_("the boundary is empty"))
    if not geometry.is_valid:
        raise InvalidBoundaryError(
            _("the boundary is not a valid polygon (self-intersecting or open ring)")
        )
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidBoundaryError(
            _("the boundary coordinates must be longitude/latitude in WGS-84")
        )
    return geometry


def boundary_metrics(boundary: dict[str, Any]) -> BoundaryMetrics:
    """Bounding box, centroid and approximate area (km²) of a boundary."""
    geometry = boundary_geometry(boundary)
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    centroid = geometry.centroid
    # Equirectangular projection about the centroid latitude: accurate to well under 1 %
    # for areas the size of a town.
    scale_x = math.radians(1) * _EARTH_RADIUS_M * math.cos(math.radians(centroid.y))
    scale_y = math.radians(1) * _EARTH_RADIUS_M
    area_km2 = geometry.area * scale_x * scale_y / 1_000_000
    return BoundaryMetrics(
        min_lng=min_lng,
        min_lat=min_lat,
        max_lng=max_lng,
        max_lat=max_lat,
        centroid_lng=centroid.x,
        centroid_lat=centroid.y,
        area_km2=round(area_km2, 6),
    )


# --- Point → cell index --------------------------------------------------------------------
# A uniform grid of buckets over the bounding box of all boundaries. Each bucket lists, in the
# index's global order (deepest cell first, then lowest code), the cells whose boundary touches
# it, cut off after the first cell that covers the whole bucket. A lookup finds the bucket by
# arithmetic and returns the first cell in its list that covers the point — usually the first
# entry, without any geometry test. "Covers" includes the boundary, so a point on an edge that
# two cells share goes to the one that comes first in the global order (the lower code).

_BUCKETS_PER_CELL = 8
_MIN_BUCKETS = 256
_MAX_BUCKETS = 1 << 18

# (code, geometry, covers_whole_bucket)
_Candidate = tuple[str, BaseGeometry, bool]


class CellIndex:
    """Finds the deepest cell whose boundary covers a point."""

    def __init__(
        self,
        *,
        bounds: tuple[float, float, float, float] | None,
        columns: int,
        rows: int,
        buckets: list[tuple[_Candidate, ...]],
        size: int,
    ) -> None:
        self._bounds = bounds
        self._columns = columns
        self._rows = rows
        self._buckets = buckets
        self._size = size
        if bounds is not None:
            min_x, min_y, max_x, max_y = bounds
            self._x_scale = columns / (max_x - min_x) if max_x > min_x else 0.0
            self._y_scale = rows / (max_y - min_y) if max_y > min_y else 0.0

    def __len__(self) -> int:
        return self._size

    @classmethod
    def build(cls, items: Iterable[tuple[str, dict[str, Any]]]) -> CellIndex:
        """Index ``(code, GeoJSON boundary)`` pairs; invalid or empty boundaries are skipped.

        A longer code is a deeper cell (codes extend their parent's), so when boundaries
        of several levels are given the deepest covering cell wins.
        """
        entries: list[tuple[str, BaseGeometry]] = []
        for code, boundary in items:
            try:
                geometry = boundary_geometry(boundary)
            except InvalidBoundaryError:
                continue
            shapely.prepare(geometry)
            entries.append((code, geometry))
        if not entries:
            return cls(bounds=None, columns=0, rows=0, buckets=[], size=0)
        entries.sort(key=lambda entry: (-len(entry[0]), entry[0]))
        all_bounds = np.array([geometry.bounds for _code, geometry in entries])
        min_x, min_y = all_bounds[:, 0].min(), all_bounds[:, 1].min()
        max_x, max_y = all_bounds[:, 2].max(), all_bounds[:, 3].max()
        columns, rows = _grid_shape(len(entries), max_x - min_x, max_y - min_y)
        width = (max_x - min_x) / columns
        height = (max_y - min_y) / rows
        lists: list[list[_Candidate]] = [[] for _ in range(columns * rows)]
        closed = np.zeros(columns * rows, dtype=bool)
        for (code, geometry), (x0, y0, x1, y1) in zip(entries, all_bounds, strict=True):
            col_range = _span(x0, x1, min_x, width, columns)
            row_range = _span(y0, y1, min_y, height, rows)
            cols, rws = np.meshgrid(np.arange(*col_range), np.arange(*row_range))
            indexes = (rws * columns + cols).ravel()
            indexes = indexes[~closed[indexes]]
            if indexes.size == 0:
                continue
            boxes = shapely.box(
                min_x + (indexes % columns) * width,
                min_y + (indexes // columns) * height,
                min_x + (indexes % columns + 1) * width,
                min_y + (indexes // columns + 1) * height,
            )
            touches = shapely.intersects(geometry, boxes)
            covers = shapely.covers(geometry, boxes)
            for index, touching, covering in zip(
                indexes.tolist(), touches.tolist(), covers.tolist(), strict=True
            ):
                if touching:
                    lists[index].append((code, geometry, bool(covering)))
                    if covering:
                        closed[index] = True
        return cls(
            bounds=(float(min_x), float(min_y), float(max_x), float(max_y)),
            columns=columns,
            rows=rows,
            buckets=[tuple(candidates) for candidates in lists],
            size=len(entries),
        )

    def locate(self, lng: float, lat: float) -> str | None:
        """The code of the deepest cell covering (lng, lat), or ``None``."""
        bounds = self._bounds
        if bounds is None or not (bounds[0] <= lng <= bounds[2] and bounds[1] <= lat <= bounds[3]):
            return None
        column = min(int((lng - bounds[0]) * self._x_scale), self._columns - 1)
        row = min(int((lat - bounds[1]) * self._y_scale), self._rows - 1)
        intersects_xy = shapely.intersects_xy
        for code, geometry, covers_bucket in self._buckets[row * self._columns + column]:
            if covers_bucket or intersects_xy(geometry, lng, lat):
                return code
        return None

    def locate_many(self, lngs: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """``locate`` for each pair of ``lngs`` and ``lats``."""
        locate = self.locate
        return [locate(float(lng), float(lat)) for lng, lat in zip(lngs, lats, strict=True)]


def _grid_shape(count: int, width: float, height: float) -> tuple[int, int]:
    buckets = min(max(count * _BUCKETS_PER_CELL, _MIN_BUCKETS), _MAX_BUCKETS)
    if width <= 0 or height <= 0:
        return (1, 1)
    columns = max(1, round(math.sqrt(buckets * width / height)))
    rows = max(1, math.ceil(buckets / columns))
    return columns, rows


def _span(low: float, high: float, origin: float, step: float, count: int) -> tuple[int, int]:
    """Bucket indexes [first, last + 1) that the closed interval [low, high] touches."""
    first = max(0, min(count - 1, int((low - origin) / step) - 1))
    last = max(0, min(count - 1, int((high - origin) / step) + 1))
    return first, last + 1


class _IndexCache:
    """The process-wide index, rebuilt when the cells change (checked with one aggregate)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._index: CellIndex | None = None
        self._fresh_sql: tuple[str, tuple[Any, ...]] | None = None
        self.generation = 0

    def get(self) -> CellIndex:
        from gridgov.grids.models import Cell

        active = Cell.objects.filter(is_active=True, boundary__isnull=False)
        if self._fresh_sql is None:  # compiled once: the check runs on every located report
            fresh = active.order_by().values("is_active")
            fresh = fresh.annotate(total=Count("id"), newest=Max("updated_at"), last=Max("id"))
            self._fresh_sql = fresh.values_list("total", "newest", "last").query.sql_with_params()
        sql, params = self._fresh_sql
        connection = connections[DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        key = (connection.settings_dict.get("NAME"), self.generation, *(row or (0, None, None)))
        with self._lock:
            if self._index is not None and self._key == key:
                return self._index
        rows = active.order_by().values_list("code", "boundary").iterator()
        index = CellIndex.build((code, boundary) for code, boundary in rows if boundary)
        with self._lock:
            self._key, self._index = key, index
        return index

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._index = None


_cache = _IndexCache()


def cell_index() -> CellIndex:
    """The point → cell index of the current database's active cells."""
    return _cache.get()


def invalidate_cell_index() -> None:
    """Forget the cached index (the services call this after changing boundaries)."""
    _cache.invalidate()
