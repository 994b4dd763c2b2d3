"""The art. 278 arithmetic, table by table: quorum and approval at and around their edges."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.utils import translation

from gridgov.participation import rules
from gridgov.participation.models import MatterType

ORDINARY = rules.rule_for(rule_set="civil_code_2021", matter=MatterType.FUND_USE, is_elevator=False)
SPECIAL = rules.rule_for(
    rule_set="civil_code_2021", matter=MatterType.FUND_RAISING, is_elevator=False
)
TOTALS = rules.Counts(area=Fraction(3000), heads=30)


def counts(area: str | int, heads: int) -> rules.Counts:
    return rules.Counts(area=Fraction(area), heads=heads)


@pytest.mark.parametrize(
    ("participating", "expected_area", "expected_heads"),
    [
        pytest.param(counts(2000, 20), True, True, id="exactly-two-thirds-of-both"),
        pytest.param(counts(1999, 20), False, True, id="one-square-metre-short"),
        pytest.param(counts("1999.99", 20), False, True, id="one-hundredth-of-a-metre-short"),
        pytest.param(counts(2000, 19), True, False, id="one-owner-short"),
        pytest.param(counts(3000, 30), True, True, id="everyone"),
        pytest.param(counts(0, 0), False, False, id="nobody"),
    ],
)
def test_quorum_needs_two_thirds_of_the_area_and_of_the_owners(
    participating: rules.Counts, expected_area: bool, expected_heads: bool
) -> None:
    decision = rules.decide(
        rule=ORDINARY, totals=TOTALS, participating=participating, in_favour=participating
    )
    by_code = {test.code: test.passed for test in decision.tests}
    assert (by_code["quorum_area"], by_code["quorum_heads"]) == (expected_area, expected_heads)
    assert decision.is_quorate == (expected_area and expected_heads)
    if not decision.is_quorate:
        assert decision.outcome == rules.OUTCOME_FAILED_QUORUM


@pytest.mark.parametrize(
    ("rule", "in_favour", "outcome"),
    [
        pytest.param(ORDINARY, counts(1000, 10), "failed_approval", id="ordinary-exactly-half"),
        pytest.param(ORDINARY, counts("1000.01", 11), "passed", id="ordinary-just-over-half"),
        pytest.param(ORDINARY, counts(1001, 10), "failed_approval", id="ordinary-area-only"),
        pytest.param(ORDINARY, counts(999, 11), "failed_approval", id="ordinary-by-head-only"),
        pytest.param(SPECIAL, counts(1500, 15), "passed", id="special-exactly-three-quarters"),
        pytest.param(SPECIAL, counts(1499, 15), "failed_approval", id="special-one-metre-short"),
        pytest.param(SPECIAL, counts(1500, 14), "failed_approval", id="special-one-owner-short"),
        pytest.param(SPECIAL, counts(1499, 20), "failed_approval", id="special-by-head-only"),
        pytest.param(SPECIAL, counts(2000, 14), "failed_approval", id="special-by-area-only"),
    ],
)
def test_approval_counts_the_participating_area_and_owners(
    rule: rules.AppliedRule, in_favour: rules.Counts, outcome: str
) -> None:
    # 2000 m² and 20 owners take part: exactly the quorum.
    decision = rules.decide(
        rule=rule, totals=TOTALS, participating=counts(2000, 20), in_favour=in_favour
    )
    assert decision.is_quorate is True
    assert decision.outcome == outcome


@pytest.mark.parametrize(
    ("matter", "is_elevator", "approval", "is_special"),
    [
        (MatterType.RULES_OF_PROCEDURE, False, "> 1/2", False),
        (MatterType.MANAGEMENT_STATUTE, False, "> 1/2", False),
        (MatterType.COMMITTEE_ELECTION, False, "> 1/2", False),
        (MatterType.PROPERTY_MANAGER, False, "> 1/2", False),
        (MatterType.FUND_USE, False, "> 1/2", False),
        (MatterType.FUND_RAISING, False, "≥ 3/4", True),
        (MatterType.ALTERATION, False, "≥ 3/4", True),
        (MatterType.ALTERATION, True, "≥ 3/4", True),
        (MatterType.COMMON_PART_USE, False, "≥ 3/4", True),
        (MatterType.OTHER_MAJOR, False, "> 1/2", False),
    ],
)
def test_the_matter_fixes_the_approval_threshold_under_the_civil_code(
    matter: str, is_elevator: bool, approval: str, is_special: bool
) -> None:
    rule = rules.rule_for(rule_set="civil_code_2021", matter=matter, is_elevator=is_elevator)
    assert (str(rule.approval_area), str(rule.approval_heads)) == (approval, approval)
    assert (str(rule.quorum_area), str(rule.quorum_heads)) == ("≥ 2/3", "≥ 2/3")
    assert rule.is_special is is_special
    assert rule.head_basis == rules.HEADS_OWNERS


def test_the_matter_types_are_the_nine_items_of_article_278() -> None:
    assert [rules.matter_item(value) for value in MatterType.values] == list(range(1, 10))


@pytest.mark.parametrize(
    ("rule_set", "is_elevator", "approval", "head_basis"),
    [
        ("civil_code_2021", True, "≥ 3/4", "owners"),
        ("local_elevator_two_thirds", True, "≥ 2/3", "owners"),
        ("local_elevator_two_thirds", False, "≥ 3/4", "owners"),
        ("local_elevator_doorway_households", True, "≥ 3/4", "units"),
        ("local_elevator_doorway_households", False, "≥ 3/4", "owners"),
    ],
)
def test_local_rule_sets_change_only_elevator_votes(
    rule_set: str, is_elevator: bool, approval: str, head_basis: str
) -> None:
    rule = rules.rule_for(rule_set=rule_set, matter=MatterType.ALTERATION, is_elevator=is_elevator)
    assert str(rule.approval_area) == approval
    assert rule.head_basis == head_basis
    assert rule.source.startswith("民法典 第278条")


@pytest.mark.parametrize(
    ("rule_set", "outcome"),
    [("civil_code_2021", "failed_approval"), ("local_elevator_two_thirds", "passed")],
)
def test_an_elevator_vote_with_two_thirds_in_favour_passes_only_under_the_local_variant(
    rule_set: str, outcome: str
) -> None:
    rule = rules.rule_for(rule_set=rule_set, matter=MatterType.ALTERATION, is_elevator=True)
    decision = rules.decide(
        rule=rule, totals=TOTALS, participating=counts(3000, 30), in_favour=counts(2000, 20)
    )
    assert decision.outcome == outcome


@translation.override("en")
def test_the_arithmetic_structure_prints_exact_fractions_and_the_reason() -> None:
    decision = rules.decide(
        rule=ORDINARY,
        totals=rules.Counts(Fraction(30001, 100), 3),
        participating=rules.Counts(Fraction(20001, 100), 2),
        in_favour=rules.Counts(Fraction(10001, 100), 1),
    )
    printed = decision.to_dict()
    assert printed["outcome"] == "failed_approval"
    assert printed["tests"][0] == {
        "code": "quorum_area",
        "label": "Participating area / total exclusive area",
        "numerator": "20001/100",
        "denominator": "30001/100",
        "ratio": "20001/30001",
        "percent": "66.66",
        "threshold": "2/3",
        "comparison": ">=",
        "passed": True,
    }
    assert [test["passed"] for test in printed["tests"]] == [True, True, True, False]
    assert printed["reason"] == (
        "Not approved: Owners in favour / participating owners below the threshold."
    )


@pytest.mark.parametrize(
    ("value", "text", "percent"),
    [
        (Fraction(2, 3), "2/3", "66.66"),
        (Fraction(3, 4), "3/4", "75.00"),
        (Fraction(1), "1", "100.00"),
        (Fraction(0), "0", "0.00"),
    ],
)
def test_fractions_print_exactly_and_percentages_round_down(
    value: Fraction, text: str, percent: str
) -> None:
    assert rules.fraction_text(value) == text
    assert rules.percent_text(value) == percent
