"""The certificate's sections, shared by the PDF and the workbook: the same labels, the same
figures, in the same order. Figures come from the result stored at the close; exact fractions
stay text (``2469/2``), whole numbers and rounded areas stay numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.participation.exports import ResultDocument, local_time_text
from gridgov.participation.rules import HEADS_UNITS

COMPARISON_SIGNS = {">=": "≥", ">": ">"}


def outcome_label(outcome: str) -> str:
    return {
        "passed": _("Passed"),
        "failed_quorum": _("Failed: the quorum was not reached"),
        "failed_approval": _("Failed: not approved"),
    }.get(outcome, outcome)


def heads_label(result: dict[str, Any]) -> str:
    return _("households") if result["rule"].get("head_basis") == HEADS_UNITS else _("owners")


def summary_rows(result: dict[str, Any]) -> list[tuple[str, Any]]:
    """What was decided, where, under which rule, and the roll and participation totals."""
    vote, rule = result["vote"], result["rule"]
    roll, part = result["roll"], result["participation"]
    rows: list[tuple[str, Any]] = [
        (_("Vote"), vote["title"]),
        (_("Scope"), vote["scope"]),
        (
            _("Matter"),
            _("Civil Code art. 278 item %(item)d: %(label)s")
            % {"item": vote["matter_item"], "label": vote["matter_label"]},
        ),
    ]
    if vote.get("is_elevator"):
        rows.append((_("Adding an elevator"), pgettext("answer", "Yes")))
    rows += [
        (_("Rule set"), rule["name"]),
        (_("Source"), rule["source"]),
        (_("Rule"), rule["description"]),
        (_("Heads counted as"), heads_label(result)),
        (_("Owners on the roll"), roll["owners"]),
        (_("Exclusive units on the roll"), roll["units"]),
        (_("Heads on the roll"), roll["heads"]),
        (_("Total exclusive area (m²)"), Decimal(roll["area_m2"])),
        (_("Total exclusive area, exact (m²)"), roll["area"]),
        (_("Ballots"), part["ballots"]),
        (_("Participating heads"), part["heads"]),
        (_("Participating area (m²)"), Decimal(part["area_m2"])),
        (_("Participating area, exact (m²)"), part["area"]),
    ]
    return rows


def test_columns() -> list[str]:
    return [
        _("Test"),
        _("Numerator"),
        _("Denominator"),
        _("Exact ratio"),
        _("Percent"),
        _("Threshold"),
        _("Met"),
    ]


def test_rows(result: dict[str, Any]) -> list[list[Any]]:
    """Quorum and approval, by area and by head: part / whole against the threshold."""
    return [
        [
            test["label"],
            test["numerator"],
            test["denominator"],
            test["ratio"],
            f"{test['percent']}%",
            f"{COMPARISON_SIGNS.get(test['comparison'], test['comparison'])} {test['threshold']}",
            pgettext("answer", "Yes") if test["passed"] else pgettext("answer", "No"),
        ]
        for test in result["tests"]
    ]


def option_columns(result: dict[str, Any]) -> list[str]:
    return [
        _("Option"),
        _("Owners"),
        _("Heads (%(basis)s)") % {"basis": heads_label(result)},
        pgettext("vote", "Area (m²)"),
        _("Area, exact (m²)"),
    ]


def option_rows(result: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            option["label"],
            option["owners"],
            option["heads"],
            Decimal(option["area_m2"]),
            option["area"],
        ]
        for option in result["options"]
    ]


def outcome_rows(result: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        (_("Outcome"), outcome_label(result["outcome"])),
        (_("Reason"), result["reason"]),
    ]
    if result.get("winner_label"):
        rows.append((_("Adopted option"), result["winner_label"]))
    rows += [
        (_("Closed at"), local_time_text(result.get("closed_at"))),
        (_("Ballots at the close"), result["ballot_count"]),
        (_("Seal (SHA-256 over the ballots)"), result["seal_hash"]),
    ]
    return rows


def ballot_columns() -> list[str]:
    return [
        _("No."),
        _("Owner (masked)"),
        _("Rooms"),
        _("Choice"),
        _("Channel"),
        _("Cast at"),
        _("Receipt (last 4)"),
    ]


def ballot_rows(document: ResultDocument) -> list[list[Any]]:
    return [
        [
            index,
            row.masked_name,
            row.rooms,
            row.choice_label or "",
            row.channel_label,
            timezone.localtime(row.cast_at).strftime("%Y-%m-%d %H:%M:%S"),
            row.receipt_tail,
        ]
        for index, row in enumerate(document.ballots, start=1)
    ]


def certificate_title() -> str:
    return _("Certified result of an owners' vote")


def masking_notice() -> str:
    return _("Owners' names are masked. The seal lets anyone check the ballots were not changed.")
