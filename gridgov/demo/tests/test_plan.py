"""The pure plans: determinism, exact counts, codes and boundaries that tile their parents."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from shapely.geometry import shape
from shapely.ops import unary_union

from gridgov.demo.plan import (
    SANJIANG_COUNTS,
    UnknownProfileError,
    exact_split,
    plan_cells,
)
from gridgov.demo.staffing import DEMO_ACCOUNTS, plan_staff
from gridgov.grids.models import LevelKind

# Areas in square degrees; 1e-9 deg² is about 0.01 m² at these latitudes.
AREA_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def maqiao():
    return plan_cells("maqiao", 7)


@pytest.fixture(scope="module")
def sanjiang():
    return plan_cells("sanjiang", 7)


def test_same_seed_gives_the_same_town_byte_for_byte(maqiao):
    # given a second plan from the same seed as the module's
    first = maqiao
    second = plan_cells("maqiao", 7)
    # then codes, names and boundaries are identical
    assert [(c.code, c.name, c.boundary) for c in first.cells] == [
        (c.code, c.name, c.boundary) for c in second.cells
    ]
    assert plan_staff(first).staff == plan_staff(second).staff


def test_another_seed_gives_other_boundaries():
    first = plan_cells("small", 1)
    second = plan_cells("small", 2)
    assert [c.code for c in first.cells] == [c.code for c in second.cells]
    assert [c.boundary for c in first.cells] != [c.boundary for c in second.cells]


def test_sanjiang_has_exactly_the_seeds_four_levels(sanjiang):
    counts = Counter(cell.level for cell in sanjiang.cells)
    assert counts == {
        LevelKind.STREET: 1,
        LevelKind.COMMUNITY: 15,
        LevelKind.GRID: 55,
        LevelKind.MICRO_GRID: 1623,
    }
    assert SANJIANG_COUNTS == {"street": 1, "community": 15, "grid": 55, "micro_grid": 1623}


def test_maqiao_has_ten_villages_eighteen_committees_and_twenty_eight_estates(maqiao):
    kinds = Counter(cell.kind for cell in maqiao.cells)
    assert kinds["district"] == 1
    assert kinds["town"] == 1
    assert kinds["village"] == 10
    assert kinds["committee"] == 18
    assert kinds["estate"] == 28
    assert 300 <= kinds["micro"] <= 1000
    estate_names = {c.name for c in maqiao.cells if c.kind == "estate"}
    assert "飞碟苑网格" in estate_names
    assert {"彭渡村", "俞塘村", "同心村", "马桥居委", "飞碟苑居委"} <= {
        c.name for c in maqiao.cells
    }


def test_every_committee_has_one_to_three_estates(maqiao):
    estates_per_committee = Counter(c.parent_code for c in maqiao.cells if c.kind == "estate")
    committees = [c.code for c in maqiao.cells if c.kind == "committee"]
    assert sorted(estates_per_committee) == sorted(committees)
    assert set(estates_per_committee.values()) <= {1, 2, 3}


def test_small_profile_is_one_town_two_communities_four_grids_eight_micro_grids():
    counts = Counter(cell.level for cell in plan_cells("small").cells)
    assert counts == {
        LevelKind.STREET: 1,
        LevelKind.COMMUNITY: 2,
        LevelKind.GRID: 4,
        LevelKind.MICRO_GRID: 8,
    }


@pytest.mark.parametrize("profile", ["maqiao", "sanjiang"])
def test_codes_extend_the_parents_code_by_three_digits(profile, maqiao, sanjiang):
    tree = maqiao if profile == "maqiao" else sanjiang
    codes = {cell.code for cell in tree.cells}
    assert len(codes) == len(tree.cells)
    for cell in tree.cells:
        assert cell.code.isdigit()
        if cell.parent_code is None:
            assert len(cell.code) in {6, 9}
            continue
        assert cell.parent_code in codes
        assert cell.code.startswith(cell.parent_code)
        assert len(cell.code) == len(cell.parent_code) + 3
        assert not cell.code.endswith("000")


def test_villages_and_committees_follow_the_statistical_numbering(maqiao):
    for cell in maqiao.cells:
        if cell.kind == "committee":
            assert 1 <= int(cell.code[-3:]) <= 199
        if cell.kind == "village":
            assert 201 <= int(cell.code[-3:]) <= 399


def _children_by_parent(tree):
    children = defaultdict(list)
    for cell in tree.cells:
        if cell.parent_code is not None:
            children[cell.parent_code].append(cell)
    return children


@pytest.mark.parametrize("profile", ["maqiao", "sanjiang"])
def test_children_tile_their_parent_without_overlap(profile, maqiao, sanjiang):
    tree = maqiao if profile == "maqiao" else sanjiang
    geometries = {cell.code: shape(cell.boundary) for cell in tree.cells}
    for parent_code, children in _children_by_parent(tree).items():
        parent = geometries[parent_code]
        pieces = [geometries[child.code] for child in children]
        assert all(piece.is_valid for piece in pieces)
        # every child lies within its parent
        for piece in pieces:
            assert piece.difference(parent).area < AREA_TOLERANCE
        # siblings do not overlap: their areas add up to the area of their union
        union = unary_union(pieces)
        assert abs(sum(piece.area for piece in pieces) - union.area) < AREA_TOLERANCE * len(pieces)
        # and more than one child covers the parent exactly (the district holds one town)
        if len(children) > 1:
            assert parent.symmetric_difference(union).area < AREA_TOLERANCE * len(pieces)


def test_town_outline_is_about_the_size_of_maqiao_around_its_real_location(maqiao):
    town = next(cell for cell in maqiao.cells if cell.kind == "town")
    geometry = shape(town.boundary)
    assert 121.30 < geometry.centroid.x < 121.42
    assert 30.96 < geometry.centroid.y < 31.06
    # 42 km² at 31° N: 1° lng ≈ 95.4 km, 1° lat ≈ 110.6 km
    assert 41.0 < geometry.area * 95.4 * 110.6 < 43.0


def test_exact_split_sums_to_the_total_with_every_part_positive():
    rng = random.Random(3)
    counts = exact_split(1623, 55, rng)
    assert sum(counts) == 1623
    assert len(counts) == 55
    assert min(counts) >= 1


def test_unknown_profile_is_refused():
    with pytest.raises(UnknownProfileError):
        plan_cells("atlantis")


def test_staff_plan_has_one_demo_account_per_role_and_unique_usernames(maqiao):
    staff = plan_staff(maqiao)
    assert list(staff.demo_accounts.items()) == [(str(r), u) for r, u in DEMO_ACCOUNTS]
    usernames = [person.username for person in staff.staff]
    assert len(usernames) == len(set(usernames))
    posts = Counter(person.post for person in staff.staff)
    assert posts["micro_grid_chief"] == Counter(c.kind for c in maqiao.cells)["micro"]
    assert posts["property_manager"] == 28
    assert posts["community_secretary"] == 28


def test_weighted_pick_draws_what_random_choices_draws_from_the_same_seed():
    import random

    from gridgov.demo.people import weighted_pick

    population = ("a", "b", "c", "d")
    cumulative = (5, 6, 20, 21)
    first, second = random.Random(11), random.Random(11)
    assert [weighted_pick(first, population, cumulative) for _ in range(500)] == [
        second.choices(population, cum_weights=cumulative)[0] for _ in range(500)
    ]
