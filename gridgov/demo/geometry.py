"""Synthetic boundaries: an irregular town outline, subdivided by clipped Voronoi cells.

Children tile their parent exactly (up to the 1e-7° coordinate grid, about a centimetre):
seeded points inside the parent, Voronoi cells clipped to it, a few rounds of Lloyd
relaxation so that areas come out even, every vertex snapped to the same grid.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

GRID_SIZE = 1e-7
_DECIMALS = 7
_KM_PER_DEGREE_LAT = 110.574


def _km_per_degree_lng(lat: float) -> float:
    return 111.320 * math.cos(math.radians(lat))


def irregular_outline(
    rng: random.Random, *, lng: float, lat: float, area_km2: float, vertices: int = 48
) -> BaseGeometry:
    """A star-shaped, smoothly irregular polygon of ``area_km2`` centred near (lng, lat)."""
    harmonics = [(rng.uniform(0.05, 0.22) / k, rng.uniform(0, 2 * math.pi)) for k in range(2, 6)]
    points_km = []
    for index in range(vertices):
        angle = 2 * math.pi * index / vertices
        radius = 1 + sum(
            a * math.sin(k * angle + phase) for k, (a, phase) in enumerate(harmonics, 2)
        )
        radius *= 1 + rng.uniform(-0.025, 0.025)
        points_km.append((radius * math.cos(angle), radius * math.sin(angle)))
    unit = Polygon(points_km)
    scale = math.sqrt(area_km2 / unit.area)
    ring = [
        (lng + x * scale / _km_per_degree_lng(lat), lat + y * scale / _KM_PER_DEGREE_LAT)
        for x, y in points_km
    ]
    return snap(Polygon(ring))


def snap(geometry: BaseGeometry) -> BaseGeometry:
    """Snap to the shared coordinate grid and keep only the polygonal parts."""
    snapped = shapely.set_precision(geometry, GRID_SIZE)
    return _polygonal(snapped)


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts: list[Polygon] = []
    for part in getattr(geometry, "geoms", []):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon):
            parts.extend(part.geoms)
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


Density = Callable[[Point], float]


def _points_inside(
    parent: BaseGeometry, count: int, rng: random.Random, density: Density | None
) -> list[Point]:
    """Seeded points inside ``parent``; ``density`` (0–1) thins them out where it is low."""
    min_x, min_y, max_x, max_y = parent.bounds
    prepared = prep(parent)
    points: list[Point] = []
    while len(points) < count:
        candidate = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        accept = rng.random()
        if prepared.contains(candidate) and (density is None or accept < density(candidate)):
            points.append(candidate)
    return points


def centre_weighted(parent: BaseGeometry, *, rim_density: float) -> Density:
    """Dense at the centroid, ``rim_density`` at the rim: built-up estates in the middle of
    a town and larger villages around them."""
    centre = parent.centroid
    min_x, min_y, max_x, max_y = parent.bounds
    radius = max(max_x - min_x, max_y - min_y) / 2

    def density(point: Point) -> float:
        distance = min(point.distance(centre) / radius, 1.0)
        return rim_density + (1.0 - rim_density) * (1.0 - distance) ** 2

    return density


def _clipped_voronoi(points: list[Point], parent: BaseGeometry) -> list[BaseGeometry]:
    diagram = shapely.voronoi_polygons(
        shapely.MultiPoint(points), extend_to=parent.envelope.buffer(0.01), ordered=True
    )
    return [cell.intersection(parent) for cell in diagram.geoms]


def _relaxed_point(cell: BaseGeometry, parent: BaseGeometry) -> Point:
    centroid = cell.centroid
    if cell.contains(centroid) and parent.contains(centroid):
        return centroid
    return cell.representative_point()


def subdivide(
    parent: BaseGeometry,
    count: int,
    rng: random.Random,
    *,
    relax_rounds: int = 2,
    density: Density | None = None,
) -> list[BaseGeometry]:
    """``count`` pieces that tile ``parent``, ordered north-west to south-east.

    Lloyd relaxation evens the areas out; with a ``density`` use fewer rounds so that the
    pieces stay smaller where the points were denser."""
    if count == 1:
        return [parent]
    points = _points_inside(parent, count, rng, density)
    cells = _clipped_voronoi(points, parent)
    for _round in range(relax_rounds):
        points = [_relaxed_point(cell, parent) for cell in cells]
        cells = _clipped_voronoi(points, parent)
    pieces = [snap(cell) for cell in cells]
    if any(piece.is_empty for piece in pieces):  # pragma: no cover - a degenerate sample
        raise ValueError("a subdivision produced an empty piece; use another seed")
    return sorted(pieces, key=_reading_order)


def _reading_order(piece: BaseGeometry) -> tuple[float, float]:
    centroid = piece.centroid
    # Rows of about 500 m from north to south, west to east within a row.
    return (-round(centroid.y * 200), centroid.x)


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON with counter-clockwise outer rings (RFC 7946) and rounded coordinates."""
    oriented = shapely.orient_polygons(geometry)

    def ring(coords: Any) -> list[list[float]]:
        return [[round(x, _DECIMALS), round(y, _DECIMALS)] for x, y in coords]

    def polygon(poly: Polygon) -> list[list[list[float]]]:
        return [ring(poly.exterior.coords), *(ring(hole.coords) for hole in poly.interiors)]

    if isinstance(oriented, Polygon):
        return {"type": "Polygon", "coordinates": polygon(oriented)}
    return {"type": "MultiPolygon", "coordinates": [polygon(p) for p in oriented.geoms]}
