"""Geometry of cell boundaries: validation, metrics and the point → cell index (DESIGN D12).

Boundaries are GeoJSON geometries in WGS-84 (longitude, latitude).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

# Mean Earth radius (m) for the local equal-area approximation of small areas.
_EARTH_RADIUS_M = 6_371_008.8


class InvalidBoundaryError(ValueError):
    """A boundary is not a valid GeoJSON Polygon or MultiPolygon."""


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
        raise InvalidBoundaryError("boundary must be a GeoJSON Polygon or MultiPolygon")
    try:
        geometry = shape(boundary)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise InvalidBoundaryError(f"boundary coordinates are malformed: {error}") from error
    if geometry.is_empty:
        raise InvalidBoundaryError("boundary is empty")
    if not geometry.is_valid:
        raise InvalidBoundaryError("boundary is not a valid polygon (self-intersecting or open ring)")
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidBoundaryError("boundary coordinates must be longitude/latitude in WGS-84")
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
