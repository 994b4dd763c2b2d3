"""The arithmetic of owners' votes (业主共同决定), in exact fractions — never floats.

民法典 第278条 (2021): the owners decide together on the matters of items 1–9. The owners who
take part must hold at least two thirds of the exclusive area *and* be at least two thirds of the
owners (quorum). A decision on items 6–8 (raising the maintenance fund, altering or rebuilding,
changing the use of common parts) needs at least three quarters of the participating area and of
the participating owners; the other items more than half of both.

最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释 (法释〔2009〕7号, 2020年修正)
第8–9条: the area is the registered exclusive area; owners are counted per exclusive unit, but one
owner of several units counts once, and the developer's unsold units count as one owner.
(Building the roll this way is ``services.votes``' job; this module only counts.)

Local variants are data: a ``RuleSet`` names its source, and a vote shows it on its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.participation.models.votes import MatterType

DEFAULT_RULE_SET = "civil_code_2021"
SPECIAL_MATTERS: frozenset[str] = frozenset(
    {MatterType.FUND_RAISING, MatterType.ALTERATION, MatterType.COMMON_PART_USE}
)
HEADS_OWNERS = "owners"
HEADS_UNITS = "units"

OUTCOME_PASSED = "passed"
OUTCOME_FAILED_QUORUM = "failed_quorum"
OUTCOME_FAILED_APPROVAL = "failed_approval"


@dataclass(frozen=True)
class Threshold:
    """A share to reach: ``inclusive`` means "at least", otherwise "more than"."""

    numerator: int
    denominator: int
    inclusive: bool

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    @property
    def comparison(self) -> str:
        return ">=" if self.inclusive else ">"

    def is_met(self, part: Fraction | int, whole: Fraction | int) -> bool:
        """``part / whole`` reaches the threshold; nothing out of nothing reaches nothing."""
        if whole <= 0:
            return False
        ratio = Fraction(part) / Fraction(whole)
        return ratio >= self.fraction if self.inclusive else ratio > self.fraction

    def __str__(self) -> str:
        sign = "≥" if self.inclusive else ">"
        return f"{sign} {self.numerator}/{self.denominator}"


TWO_THIRDS_AT_LEAST = Threshold(2, 3, inclusive=True)
THREE_QUARTERS_AT_LEAST = Threshold(3, 4, inclusive=True)
MORE_THAN_HALF = Threshold(1, 2, inclusive=False)


@dataclass(frozen=True)
class RuleSet:
    """A named set of counting rules, with the law or local regulation it comes from."""

    code: str
    name: Any
    source: Any
    quorum: Threshold = TWO_THIRDS_AT_LEAST
    ordinary_approval: Threshold = MORE_THAN_HALF
    special_approval: Threshold = THREE_QUARTERS_AT_LEAST
    # For votes on adding an elevator: a different approval share, a different head count.
    elevator_approval: Threshold | None = None
    elevator_head_basis: str = HEADS_OWNERS


CIVIL_CODE = RuleSet(
    code=DEFAULT_RULE_SET,
    name=gettext_lazy("Civil Code (2021)"),
    source=gettext_lazy(
        "民法典 第278条; 最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释"
        "（法释〔2009〕7号，2020年修正）第8–9条"
    ),
)
LOCAL_ELEVATOR_DOORWAY_HOUSEHOLDS = RuleSet(
    code="local_elevator_doorway_households",
    name=gettext_lazy("Local variant: elevator votes count the doorway's households"),
    source=gettext_lazy(
        "民法典 第278条; 地方既有多层住宅加装电梯实施办法（以本单元门洞专有部分户数计人数）"
    ),
    elevator_head_basis=HEADS_UNITS,
)
LOCAL_ELEVATOR_TWO_THIRDS = RuleSet(
    code="local_elevator_two_thirds",
    name=gettext_lazy("Local variant: elevator votes need two thirds"),
    source=gettext_lazy(
        "民法典 第278条; 地方既有多层住宅加装电梯实施办法（参与表决者三分之二以上同意）"
    ),
    elevator_approval=TWO_THIRDS_AT_LEAST,
)

RULE_SETS: dict[str, RuleSet] = {
    rule_set.code: rule_set
    for rule_set in (CIVIL_CODE, LOCAL_ELEVATOR_DOORWAY_HOUSEHOLDS, LOCAL_ELEVATOR_TWO_THIRDS)
}


def rule_set_get(code: str) -> RuleSet:
    return RULE_SETS[code]


def rule_set_choices() -> list[tuple[str, str]]:
    return [(code, str(rule_set.name)) for code, rule_set in RULE_SETS.items()]


def matter_item(matter: str) -> int:
    """The item number of 第278条 第1款 a matter type stands for (``item7_…`` → 7)."""
    return int(matter.split("_", 1)[0].removeprefix("item"))


@dataclass(frozen=True)
class AppliedRule:
    """What a rule set demands of one vote, given its matter."""

    rule_set_code: str
    rule_set_name: str
    source: str
    matter: str
    matter_item: int
    is_special: bool
    head_basis: str
    quorum_area: Threshold
    quorum_heads: Threshold
    approval_area: Threshold
    approval_heads: Threshold

    def describe(self) -> str:
        heads = _("households") if self.head_basis == HEADS_UNITS else _("owners")
        return _(
            "Quorum: owners holding %(quorum_area)s of the exclusive area and %(quorum_heads)s "
            "of the %(heads)s take part. Approval: %(approval_area)s of the participating area "
            "and %(approval_heads)s of the participating %(heads)s."
        ) % {
            "quorum_area": self.quorum_area,
            "quorum_heads": self.quorum_heads,
            "approval_area": self.approval_area,
            "approval_heads": self.approval_heads,
            "heads": heads,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.rule_set_code,
            "name": self.rule_set_name,
            "source": self.source,
            "matter_item": self.matter_item,
            "is_special": self.is_special,
            "head_basis": self.head_basis,
            "quorum_area": str(self.quorum_area),
            "quorum_heads": str(self.quorum_heads),
            "approval_area": str(self.approval_area),
            "approval_heads": str(self.approval_heads),
            "description": self.describe(),
        }


def rule_for(*, rule_set: str, matter: str, is_elevator: bool) -> AppliedRule:
    """The thresholds a vote must meet. Adding an elevator is an alteration (item 7)."""
    chosen = rule_set_get(rule_set)
    is_special = matter in SPECIAL_MATTERS or is_elevator
    approval = chosen.special_approval if is_special else chosen.ordinary_approval
    head_basis = HEADS_OWNERS
    if is_elevator:
        approval = chosen.elevator_approval or approval
        head_basis = chosen.elevator_head_basis
    return AppliedRule(
        rule_set_code=chosen.code,
        rule_set_name=str(chosen.name),
        source=str(chosen.source),
        matter=matter,
        matter_item=matter_item(matter),
        is_special=is_special,
        head_basis=head_basis,
        quorum_area=chosen.quorum,
        quorum_heads=chosen.quorum,
        approval_area=approval,
        approval_heads=approval,
    )


@dataclass(frozen=True)
class Counts:
    """An amount of exclusive area (m², exact) and a number of heads (owners or households)."""

    area: Fraction
    heads: int


@dataclass(frozen=True)
class Test:
    """One of the four tests a court would check: part / whole against a threshold."""

    code: str
    part: Fraction | int
    whole: Fraction | int
    threshold: Threshold
    passed: bool

    @property
    def ratio(self) -> Fraction:
        return Fraction(self.part) / Fraction(self.whole) if self.whole else Fraction(0)

    @property
    def label(self) -> str:
        labels = {
            "quorum_area": _("Participating area / total exclusive area"),
            "quorum_heads": _("Participating owners / all owners"),
            "approval_area": _("Area in favour / participating area"),
            "approval_heads": _("Owners in favour / participating owners"),
        }
        return labels[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "numerator": fraction_text(self.part),
            "denominator": fraction_text(self.whole),
            "ratio": fraction_text(self.ratio),
            "percent": percent_text(self.ratio),
            "threshold": f"{self.threshold.numerator}/{self.threshold.denominator}",
            "comparison": self.threshold.comparison,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Decision:
    outcome: str
    tests: list[Test] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.outcome == OUTCOME_PASSED

    @property
    def is_quorate(self) -> bool:
        return all(test.passed for test in self.tests if test.code.startswith("quorum"))

    @property
    def reason(self) -> str:
        failed = [test.label for test in self.tests if not test.passed]
        if self.outcome == OUTCOME_PASSED:
            return _("Quorum reached and approved by area and by head.")
        if self.outcome == OUTCOME_FAILED_QUORUM:
            return _("Not quorate: %(tests)s below the threshold.") % {"tests": "; ".join(failed)}
        return _("Not approved: %(tests)s below the threshold.") % {"tests": "; ".join(failed)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "passed": self.passed,
            "reason": self.reason,
            "tests": [test.to_dict() for test in self.tests],
        }


def decide(
    *, rule: AppliedRule, totals: Counts, participating: Counts, in_favour: Counts
) -> Decision:
    """Quorum first (both tests), then approval (both tests), each an exact comparison."""
    tests = [
        Test(
            "quorum_area",
            participating.area,
            totals.area,
            rule.quorum_area,
            rule.quorum_area.is_met(participating.area, totals.area),
        ),
        Test(
            "quorum_heads",
            participating.heads,
            totals.heads,
            rule.quorum_heads,
            rule.quorum_heads.is_met(participating.heads, totals.heads),
        ),
        Test(
            "approval_area",
            in_favour.area,
            participating.area,
            rule.approval_area,
            rule.approval_area.is_met(in_favour.area, participating.area),
        ),
        Test(
            "approval_heads",
            in_favour.heads,
            participating.heads,
            rule.approval_heads,
            rule.approval_heads.is_met(in_favour.heads, participating.heads),
        ),
    ]
    if not (tests[0].passed and tests[1].passed):
        outcome = OUTCOME_FAILED_QUORUM
    elif not (tests[2].passed and tests[3].passed):
        outcome = OUTCOME_FAILED_APPROVAL
    else:
        outcome = OUTCOME_PASSED
    return Decision(outcome=outcome, tests=tests)


# --- Presenting exact numbers ----------------------------------------------------------------


def fraction_text(value: Fraction | int) -> str:
    """``"1234"`` for a whole number, ``"2469/2"`` otherwise: exact, for the certificate."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def fraction_from_text(text: str) -> Fraction:
    return Fraction(text)


def decimal_m2(value: Fraction) -> Decimal:
    """An exact area rounded half-up to 0.01 m², for display only."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def percent_text(ratio: Fraction) -> str:
    """``"66.67"`` — rounded down, so a share shown as reaching a threshold really does."""
    hundredths = (ratio * 10000).numerator // (ratio * 10000).denominator
    return f"{hundredths // 100}.{hundredths % 100:02d}"
