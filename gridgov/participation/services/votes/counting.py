"""Counting, closing and the seal: the tally by area and by head, the outcome under the rule
(``gridgov.participation.rules``), the certified result and the SHA-256 seal over the ballots."""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.participation import rules
from gridgov.participation.models import (
    Ballot,
    BallotChoice,
    MatterType,
    Vote,
    VoteOptionsKind,
    VoteStatus,
)
from gridgov.participation.services.votes.common import (
    VoteStateError,
    _now,
    _require_manage,
    _vote_for_update,
)

# --- Counting, closing and the seal ------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceCount:
    key: str  # "yes" | "no" | "abstain" | "option:<id>"
    owners: int
    units: int
    area: Fraction


def choice_key(choice: str, option_id: int | None) -> str:
    return f"option:{option_id}" if choice == BallotChoice.OPTION else choice


def count_ballots(vote: Vote) -> list[ChoiceCount]:
    """One aggregate query: ballots, units and exact area per choice."""
    rows = (
        Ballot.objects.filter(vote_id=vote.pk)
        .values("choice", "option_id")
        .annotate(owners=Count("id"), units=Sum("unit_count"), area=Sum("area_units"))
        .order_by()
    )
    return [
        ChoiceCount(
            key=choice_key(row["choice"], row["option_id"]),
            owners=row["owners"],
            units=row["units"] or 0,
            area=Fraction(row["area"] or 0, vote.area_unit_denominator),
        )
        for row in rows
    ]


def _heads(rule: rules.AppliedRule, owners: int, units: int) -> int:
    return units if rule.head_basis == rules.HEADS_UNITS else owners


@dataclass(frozen=True)
class Outcome:
    rule: rules.AppliedRule
    totals: rules.Counts
    participating: rules.Counts
    counts: list[ChoiceCount]
    decision: rules.Decision
    winner: str | None


def vote_outcome(vote: Vote, counts: list[ChoiceCount]) -> Outcome:
    """Apply the vote's rule to the counts: yes/no — the yes side; plans — the plan that meets
    the approval (at most one can), else the leading plan's figures explain the failure."""
    rule = rules.rule_for(rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator)
    totals = rules.Counts(
        Fraction(vote.total_area_units, vote.area_unit_denominator),
        _heads(rule, vote.total_owners, vote.total_units),
    )
    participating = rules.Counts(
        sum((count.area for count in counts), Fraction(0)),
        _heads(rule, sum(c.owners for c in counts), sum(c.units for c in counts)),
    )
    if vote.options_kind == VoteOptionsKind.YES_NO:
        candidates = [BallotChoice.YES.value]
    else:
        candidates = [f"option:{pk}" for pk in vote.options.values_list("pk", flat=True)]
    by_key = {count.key: count for count in counts}
    decisions = []
    for key in candidates:
        count = by_key.get(key, ChoiceCount(key, 0, 0, Fraction(0)))
        favour = rules.Counts(count.area, _heads(rule, count.owners, count.units))
        decision = rules.decide(
            rule=rule, totals=totals, participating=participating, in_favour=favour
        )
        decisions.append((decision.passed, count.area, favour.heads, key, decision))
    decisions.sort(key=lambda item: (item[0], item[1], item[2]), reverse=True)
    passed, _area_value, _heads_value, key, decision = decisions[0]
    return Outcome(rule, totals, participating, counts, decision, key if passed else None)


def seal_payload(vote: Vote) -> bytes:
    """The canonical list of ballots: ordered by receipt, each (receipt, voter key, choice,
    channel, time in UTC to the microsecond)."""
    rows = (
        Ballot.objects.filter(vote_id=vote.pk)
        .order_by("receipt")
        .values_list("receipt", "voter__key", "choice", "option_id", "channel", "created_at")
    )
    ballots = [
        [
            receipt,
            key,
            choice_key(choice, option_id),
            channel,
            created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        ]
        for receipt, key, choice, option_id, channel, created_at in rows
    ]
    document = {"vote": vote.pk, "ballots": ballots}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def seal_digest(vote: Vote) -> str:
    return hashlib.sha256(seal_payload(vote)).hexdigest()


def option_labels(vote: Vote) -> dict[str, str]:
    labels = {
        BallotChoice.YES.value: str(BallotChoice.YES.label),
        BallotChoice.NO.value: str(BallotChoice.NO.label),
        BallotChoice.ABSTAIN.value: str(BallotChoice.ABSTAIN.label),
    }
    for pk, label in vote.options.values_list("pk", "label"):
        labels[f"option:{pk}"] = label
    return labels


def option_keys(vote: Vote) -> list[str]:
    if vote.options_kind == VoteOptionsKind.YES_NO:
        return [BallotChoice.YES.value, BallotChoice.NO.value, BallotChoice.ABSTAIN.value]
    keys = [f"option:{pk}" for pk in vote.options.values_list("pk", flat=True)]
    return [*keys, BallotChoice.ABSTAIN.value]


def certified_result(vote: Vote, outcome: Outcome, *, seal: str, ballot_count: int) -> dict:
    """The figures a court would check, as printed on the certificate (JSON-safe)."""
    labels = option_labels(vote)
    by_key = {count.key: count for count in outcome.counts}
    rule = outcome.rule
    options = []
    for key in option_keys(vote):
        count = by_key.get(key, ChoiceCount(key, 0, 0, Fraction(0)))
        options.append(
            {
                "key": key,
                "label": labels.get(key, key),
                "owners": count.owners,
                "units": count.units,
                "heads": _heads(rule, count.owners, count.units),
                "area": rules.fraction_text(count.area),
                "area_m2": str(rules.decimal_m2(count.area)),
            }
        )
    decision = outcome.decision.to_dict()
    return {
        "vote": {
            "id": vote.pk,
            "title": vote.title,
            "scope": vote.scope_label,
            "matter": vote.matter,
            "matter_label": str(MatterType(vote.matter).label),
            "matter_item": rule.matter_item,
            "is_elevator": vote.is_elevator,
        },
        "rule": rule.to_dict(),
        "roll": {
            "owners": vote.total_owners,
            "units": vote.total_units,
            "heads": outcome.totals.heads,
            "area": rules.fraction_text(outcome.totals.area),
            "area_m2": str(rules.decimal_m2(outcome.totals.area)),
        },
        "participation": {
            "ballots": ballot_count,
            "owners": sum(count.owners for count in outcome.counts),
            "units": sum(count.units for count in outcome.counts),
            "heads": outcome.participating.heads,
            "area": rules.fraction_text(outcome.participating.area),
            "area_m2": str(rules.decimal_m2(outcome.participating.area)),
        },
        "options": options,
        "tests": decision["tests"],
        "winner": outcome.winner,
        "winner_label": labels.get(outcome.winner, "") if outcome.winner else "",
        "outcome": decision["outcome"],
        "passed": decision["passed"],
        "reason": decision["reason"],
        "closed_at": vote.closed_at.isoformat() if vote.closed_at else None,
        "ballot_count": ballot_count,
        "seal_hash": seal,
    }


def vote_certify(vote: Vote, *, now: datetime.datetime, closed_by: Any) -> Outcome:
    """Freeze a vote (locked by the caller): count, certify, seal and mark it closed.
    ``vote_close`` calls it with its audit row; the demo town calls it for its history."""
    counts = count_ballots(vote)
    ballot_count = sum(count.owners for count in counts)
    outcome = vote_outcome(vote, counts)
    vote.status = VoteStatus.CLOSED
    vote.closed_at = now
    vote.closed_by = closed_by
    vote.seal_hash = seal_digest(vote)
    vote.ballot_count_at_close = ballot_count
    vote.result = certified_result(vote, outcome, seal=vote.seal_hash, ballot_count=ballot_count)
    vote.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "seal_hash",
            "ballot_count_at_close",
            "result",
        ]
    )
    return outcome


def vote_close(*, actor: Any, vote_id: int, now: datetime.datetime | None = None) -> Vote:
    """Close a vote: staff at any time once it is open, the system (``actor=None``) when its
    deadline has passed. The tally is frozen, the result certified and the ballots sealed."""
    now = _now(now)
    with transaction.atomic():
        vote = _vote_for_update(vote_id)
        if actor is not None:
            _require_manage(actor, vote)
        if vote.status != VoteStatus.OPEN:
            raise VoteStateError(_("Only an open vote can be closed."), "vote_not_open")
        if actor is None and now < vote.closes_at:
            raise VoteStateError(_("The vote's deadline has not passed."), "vote_not_due")
        outcome = vote_certify(vote, now=now, closed_by=actor)
        audit_record(
            actor=actor,
            action="participation.vote_close",
            target=vote,
            object_label=vote.title,
            changes={
                "ballots": vote.ballot_count_at_close,
                "outcome": outcome.decision.outcome,
                "seal": vote.seal_hash,
            },
        )
    return vote


def vote_close_due(*, now: datetime.datetime | None = None) -> int:
    """Close every open vote whose deadline has passed (the periodic job); idempotent."""
    now = _now(now)
    due = list(
        Vote.objects.filter(status=VoteStatus.OPEN, closes_at__lte=now).values_list("pk", flat=True)
    )
    closed = 0
    for vote_id in due:
        try:
            vote_close(actor=None, vote_id=vote_id, now=now)
        except VoteStateError:
            continue
        closed += 1
    return closed
