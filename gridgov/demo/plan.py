"""Pure plans of the demo towns: the cell tree with boundaries, computed without a database.

Everything follows from the profile and the seed (``random.Random`` seeded per cell, so one
subtree does not shift when another changes): the same seed gives the same codes, names and
boundaries byte for byte.

Codes follow GB/T 2260 and the statistical division numbering: a 6-digit county, 3 digits for
the street/town, 3 for the community (居委会 001–199, 村委会 201–399), then 3 for the grid and
3 for the micro-grid — a child's code always extends its parent's.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

from gridgov.demo import geometry, names
from gridgov.grids.models import LevelKind

PROFILES: tuple[str, ...] = ("maqiao", "sanjiang", "small")
DEFAULT_SEED = 20201027


class UnknownProfileError(ValueError):
    """The requested demo profile does not exist."""


@dataclass(frozen=True)
class PlannedCell:
    code: str
    name: str
    level: str
    parent_code: str | None
    depth: int
    sort_order: int
    boundary: dict[str, Any]
    # What the cell is in the story: town, committee, village, community, estate, group, grid, micro.
    kind: str


@dataclass
class CellTree:
    """The cells in depth order (parents before children), and their geometries."""

    seed: int
    cells: list[PlannedCell] = field(default_factory=list)
    geometries: dict[str, BaseGeometry] = field(default_factory=dict)

    def rng(self, key: str) -> random.Random:
        return random.Random(f"{self.seed}:{key}")

    def add(
        self,
        *,
        code: str,
        name: str,
        level: str,
        parent: PlannedCell | None,
        shape: BaseGeometry,
        kind: str,
        sort_order: int = 0,
    ) -> PlannedCell:
        cell = PlannedCell(
            code=code,
            name=name,
            level=level,
            parent_code=parent.code if parent else None,
            depth=parent.depth + 1 if parent else 0,
            sort_order=sort_order,
            boundary=geometry.to_geojson(shape),
            kind=kind,
        )
        self.cells.append(cell)
        self.geometries[code] = shape
        return cell

    def children_of(
        self, parent: PlannedCell, count: int, *, rim_density: float | None = None
    ) -> list[BaseGeometry]:
        shape = self.geometries[parent.code]
        if rim_density is None:
            return geometry.subdivide(shape, count, self.rng(parent.code))
        density = geometry.centre_weighted(shape, rim_density=rim_density)
        return geometry.subdivide(
            shape, count, self.rng(parent.code), relax_rounds=1, density=density
        )

    def in_depth_order(self) -> list[PlannedCell]:
        return sorted(self.cells, key=lambda cell: (cell.depth, cell.code))


def exact_split(total: int, parts: int, rng: random.Random, *, spread: float = 0.3) -> list[int]:
    """``parts`` positive integers summing exactly to ``total``, unevenly but not wildly."""
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    shares = [weight * scale for weight in weights]
    counts = [1 + int(share) for share in shares]
    by_remainder = sorted(range(parts), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _estate_and_village_town(
    tree: CellTree,
    town: PlannedCell,
    *,
    committees: Sequence[tuple[str, tuple[str, ...]]],
    villages: Sequence[str],
    groups_per_village: tuple[int, int],
    micro_per_estate: tuple[int, int],
    micro_per_group: tuple[int, int],
) -> None:
    """Committees nearest the town centre, villages around them (as in Maqiao): each estate one
    grid named after it, each villagers' group (村民小组) one grid, micro-grids under each."""
    pieces = tree.children_of(town, len(committees) + len(villages), rim_density=0.03)
    centre = tree.geometries[town.code].centroid
    by_distance = sorted(pieces, key=lambda piece: piece.centroid.distance(centre))
    urban = geometry_sorted(by_distance[: len(committees)])
    rural = geometry_sorted(by_distance[len(committees) :])
    for index, ((committee_name, estates), shape) in enumerate(zip(committees, urban, strict=True)):
        committee = tree.add(
            code=f"{town.code}{index + 1:03d}",
            name=committee_name,
            level=LevelKind.COMMUNITY,
            parent=town,
            shape=shape,
            kind="committee",
            sort_order=index,
        )
        for grid_index, (estate, grid_shape) in enumerate(
            zip(estates, tree.children_of(committee, len(estates)), strict=True)
        ):
            grid = tree.add(
                code=f"{committee.code}{grid_index + 1:03d}",
                name=f"{estate}网格",
                level=LevelKind.GRID,
                parent=committee,
                shape=grid_shape,
                kind="estate",
                sort_order=grid_index,
            )
            _micro_grids(tree, grid, estate, micro_per_estate)
    for index, (village_name, shape) in enumerate(zip(villages, rural, strict=True)):
        village = tree.add(
            code=f"{town.code}{201 + index:03d}",
            name=village_name,
            level=LevelKind.COMMUNITY,
            parent=town,
            shape=shape,
            kind="village",
            sort_order=len(committees) + index,
        )
        group_count = tree.rng(f"groups:{village.code}").randint(*groups_per_village)
        for group_index, group_shape in enumerate(tree.children_of(village, group_count)):
            group_name = f"{village_name}{names.chinese_number(group_index + 1)}组"
            grid = tree.add(
                code=f"{village.code}{group_index + 1:03d}",
                name=f"{group_name}网格",
                level=LevelKind.GRID,
                parent=village,
                shape=group_shape,
                kind="group",
                sort_order=group_index,
            )
            _micro_grids(tree, grid, group_name, micro_per_group)


def geometry_sorted(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    return sorted(pieces, key=lambda piece: (-round(piece.centroid.y * 200), piece.centroid.x))


def _micro_grids(
    tree: CellTree, grid: PlannedCell, base_name: str, count_range: tuple[int, int] | int
) -> None:
    if isinstance(count_range, int):
        count = count_range
    else:
        count = tree.rng(f"micro:{grid.code}").randint(*count_range)
    for index, shape in enumerate(tree.children_of(grid, count)):
        tree.add(
            code=f"{grid.code}{index + 1:03d}",
            name=f"{base_name}第{index + 1}微网格",
            level=LevelKind.MICRO_GRID,
            parent=grid,
            shape=shape,
            kind="micro",
            sort_order=index,
        )


def plan_maqiao(seed: int) -> CellTree:
    """闵行区 → 马桥镇 (seed 000): 10 villages, 18 committees with 28 estates, ~42 km²."""
    tree = CellTree(seed=seed)
    town_shape = geometry.irregular_outline(tree.rng("town"), lng=121.36, lat=31.01, area_km2=42.0)
    district_shape = geometry.irregular_outline(
        tree.rng("district"), lng=121.40, lat=31.08, area_km2=372.0
    )
    district_shape = geometry.snap(district_shape.union(town_shape))
    district = tree.add(
        code="310112",
        name="闵行区",
        level=LevelKind.DISTRICT,
        parent=None,
        shape=district_shape,
        kind="district",
    )
    town = tree.add(
        code="310112112",
        name="马桥镇",
        level=LevelKind.STREET,
        parent=district,
        shape=town_shape,
        kind="town",
    )
    _estate_and_village_town(
        tree,
        town,
        committees=names.MAQIAO_COMMITTEES,
        villages=names.MAQIAO_VILLAGES,
        groups_per_village=(3, 6),
        micro_per_estate=(5, 12),
        micro_per_group=(4, 8),
    )
    return tree


def plan_small(seed: int) -> CellTree:
    """A tiny town for tests: 1 town, 2 communities, 4 grids, 8 micro-grids."""
    tree = CellTree(seed=seed)
    town_shape = geometry.irregular_outline(tree.rng("town"), lng=121.36, lat=31.01, area_km2=4.0)
    town = tree.add(
        code="310112112",
        name="马桥镇",
        level=LevelKind.STREET,
        parent=None,
        shape=town_shape,
        kind="town",
    )
    _estate_and_village_town(
        tree,
        town,
        committees=(("飞碟苑居委", ("飞碟苑", "银桥花苑")),),
        villages=("彭渡村",),
        groups_per_village=(2, 2),
        micro_per_estate=(2, 2),
        micro_per_group=(2, 2),
    )
    return tree


SANJIANG_COUNTS = {"street": 1, "community": 15, "grid": 55, "micro_grid": 1623}


def plan_sanjiang(seed: int) -> CellTree:
    """三江街道, 金华 (seed 003): 1 first-level, 15 second-level, 55 third-level and 1,623
    fourth-level micro-grids."""
    tree = CellTree(seed=seed)
    street_shape = geometry.irregular_outline(
        tree.rng("street"), lng=119.65, lat=29.08, area_km2=30.0
    )
    street = tree.add(
        code="330702005",
        name="三江街道",
        level=LevelKind.STREET,
        parent=None,
        shape=street_shape,
        kind="town",
    )
    communities = names.SANJIANG_COMMUNITIES
    grid_counts = exact_split(SANJIANG_COUNTS["grid"], len(communities), tree.rng("grids"))
    micro_counts = exact_split(
        SANJIANG_COUNTS["micro_grid"], SANJIANG_COUNTS["grid"], tree.rng("micro")
    )
    micro_iter = iter(micro_counts)
    for index, (community_name, shape) in enumerate(
        zip(communities, tree.children_of(street, len(communities)), strict=True)
    ):
        community = tree.add(
            code=f"{street.code}{index + 1:03d}",
            name=community_name,
            level=LevelKind.COMMUNITY,
            parent=street,
            shape=shape,
            kind="community",
            sort_order=index,
        )
        grid_rng = tree.rng(f"estates:{community.code}")
        for grid_index, grid_shape in enumerate(tree.children_of(community, grid_counts[index])):
            grid = tree.add(
                code=f"{community.code}{grid_index + 1:03d}",
                name=f"{community_name}第{names.chinese_number(grid_index + 1)}网格",
                level=LevelKind.GRID,
                parent=community,
                shape=grid_shape,
                # About half of Sanjiang's grids are managed estates with a property company.
                kind="estate" if grid_rng.random() < 0.5 else "grid",
                sort_order=grid_index,
            )
            _micro_grids(tree, grid, grid.name, next(micro_iter))
    return tree


def plan_cells(profile: str, seed: int = DEFAULT_SEED) -> CellTree:
    planners = {"maqiao": plan_maqiao, "sanjiang": plan_sanjiang, "small": plan_small}
    try:
        planner = planners[profile]
    except KeyError:
        raise UnknownProfileError(profile) from None
    return planner(seed)
