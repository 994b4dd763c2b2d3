"""The arithmetic of a property-service score (物业服务综合得分), exact to the last digit.

Parts, each on a 0–100 scale, computed as exact fractions (``fractions.Fraction``, never
floats):

* residents' rating R = 20 × Σ(stars × item weight) ÷ Σ(item weight) over every response
  (5 stars = 100, 1 star = 20);
* closure rate C = 100 × resolved ÷ reported cases of the period;
* on-time rate T = 100 × resolved on time ÷ cases due (resolved, or open past the deadline);
* case satisfaction S = 100 × cases rated 4–5 ÷ cases rated.

Score = Σ(weight × part) ÷ Σ(weight) over the parts that have data: a case part whose
denominator is 0 (no cases) is left out and its weight shared by the others in proportion.
The score is valid only with at least ``min_responses`` responses. Only the final score is
rounded: to 2 decimals, half up (``ROUND_HALF_UP``); ranks and lists use the rounded score,
the one that is shown. Parts are shown rounded the same way, for reading only.

Lists: red (红榜) when the score ≥ ``red_min_score``; black (黑榜) when the score <
``black_below_score``, or when it is among the last ``black_bottom_count`` ranked (ties with
the last of them included) and not on the red list — that rule needs more ranked entries
than ``black_bottom_count`` (a lone entry is nobody's bottom). Equal scores share a rank (1, 2, 2, 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

HUNDRED = Fraction(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Counts:
    """What a score is made of (an estate's, or a company's estates' added up)."""

    responses: int = 0
    weighted_stars: int = 0
    weight_total: int = 0
    cases_reported: int = 0
    cases_resolved: int = 0
    cases_due: int = 0
    cases_on_time: int = 0
    cases_rated: int = 0
    cases_satisfied: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class Weights:
    rating: Decimal
    closure: Decimal
    on_time: Decimal
    satisfaction: Decimal
    min_responses: int

    @classmethod
    def of(cls, scheme: Any) -> Weights:
        return cls(
            rating=scheme.rating_weight,
            closure=scheme.closure_weight,
            on_time=scheme.on_time_weight,
            satisfaction=scheme.satisfaction_weight,
            min_responses=scheme.min_responses,
        )


@dataclass(frozen=True)
class Part:
    key: str  # rating, closure, on_time, satisfaction
    numerator: int
    denominator: int
    factor: int  # 20 for stars, 100 for rates
    weight: Decimal
    value: Fraction | None  # None: no data, left out

    @property
    def shown(self) -> Decimal | None:
        return None if self.value is None else round_score(self.value)


@dataclass(frozen=True)
class Scored:
    parts: tuple[Part, ...]
    exact: Fraction | None
    score: Decimal | None
    is_valid: bool
    used_weight: Decimal


def round_score(value: Fraction) -> Decimal:
    """A fraction rounded to 2 decimals, half up (away from zero), without a float."""
    hundredths = abs(value) * 100
    whole = hundredths.numerator // hundredths.denominator
    if hundredths - whole >= Fraction(1, 2):
        whole += 1
    sign = -1 if value < 0 else 1
    return (Decimal(sign * whole) / 100).quantize(CENT)


def _part(key: str, numerator: int, denominator: int, factor: int, weight: Decimal) -> Part:
    value = None if denominator == 0 else Fraction(numerator * factor, denominator)
    return Part(key, numerator, denominator, factor, weight, value)


def score_counts(counts: Counts, weights: Weights) -> Scored:
    parts = (
        _part("rating", counts.weighted_stars, counts.weight_total, 20, weights.rating),
        _part("closure", counts.cases_resolved, counts.cases_reported, 100, weights.closure),
        _part("on_time", counts.cases_on_time, counts.cases_due, 100, weights.on_time),
        _part(
            "satisfaction",
            counts.cases_satisfied,
            counts.cases_rated,
            100,
            weights.satisfaction,
        ),
    )
    is_valid = counts.responses >= weights.min_responses and parts[0].value is not None
    used = [part for part in parts if part.value is not None and part.weight > 0]
    used_weight = sum((part.weight for part in used), Decimal(0))
    if not is_valid or used_weight == 0:
        return Scored(parts, None, None, False, used_weight)
    total = sum(
        (Fraction(part.weight) * part.value for part in used if part.value is not None), Fraction(0)
    )
    exact = total / Fraction(used_weight)
    return Scored(parts, exact, round_score(exact), True, used_weight)


@dataclass(frozen=True)
class Placing:
    rank: int | None
    listed: str  # "red", "black" or ""


def rank_and_list(
    scores: Sequence[Decimal | None],
    *,
    red_min_score: Decimal,
    black_below_score: Decimal,
    black_bottom_count: int,
) -> list[Placing]:
    """The rank and list of each score, in the order given (``None``: not ranked)."""
    ranked = sorted((score for score in scores if score is not None), reverse=True)
    rank_of: dict[Decimal, int] = {}
    for position, ranked_score in enumerate(ranked, start=1):
        rank_of.setdefault(ranked_score, position)
    bottom_line: Decimal | None = None
    if black_bottom_count and len(ranked) > black_bottom_count:
        bottom_line = ranked[max(len(ranked) - black_bottom_count, 0)]
    placings = []
    for value in scores:
        if value is None:
            placings.append(Placing(None, ""))
            continue
        listed = ""
        if value >= red_min_score:
            listed = "red"
        elif value < black_below_score or (bottom_line is not None and value <= bottom_line):
            listed = "black"
        placings.append(Placing(rank_of[value], listed))
    return placings
