"""Shapes of the vote API: what leaves (votes, tallies, ballots, the certified result) and what
comes in (a new vote, a ballot, a paper ballot, a proxy, a designation, a receipt)."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from gridgov.participation.models import (
    BallotChannel,
    BallotChoice,
    MatterType,
    ResultsVisibility,
    VoteOptionsKind,
    VoteStatus,
)
from gridgov.participation.rules import RULE_SETS


def inline_choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field described in the schema by a pattern rather than an enum: the vote API's
    choice sets (status, choice, channel…) share their field names with other apps', and enums
    of one name would compete for one component name."""
    values = [value if isinstance(value, str) else value[0] for value in choices]
    pattern = "^(" + "|".join(re.escape(value) for value in values) + ")$"

    @extend_schema_field({"type": "string", "pattern": pattern, "example": values[0]})
    class InlineChoiceField(serializers.ChoiceField):
        pass

    return InlineChoiceField(choices=choices, **kwargs)


# --- errors and small parts --------------------------------------------------------------------


class VotePlanSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    label = serializers.CharField()
    description = serializers.CharField(allow_blank=True)


class VoteRuleSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    source = serializers.CharField()
    matter_item = serializers.IntegerField()
    is_special = serializers.BooleanField(help_text="Items 6–8 of art. 278 (and elevators).")
    head_basis = inline_choice(["owners", "units"])
    quorum_area = serializers.CharField(help_text='A threshold such as "≥ 2/3".')
    quorum_heads = serializers.CharField()
    approval_area = serializers.CharField()
    approval_heads = serializers.CharField()
    description = serializers.CharField()


class VoteScopeSerializer(serializers.Serializer[Any]):
    kind = inline_choice(["estate", "building", "unit"])
    id = serializers.IntegerField()
    label = serializers.CharField()


# --- votes -------------------------------------------------------------------------------------


class VoteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    scope = VoteScopeSerializer()
    cell = serializers.CharField(help_text="The code of the vote's grid cell.")
    matter = inline_choice(MatterType.choices)
    matter_label = serializers.CharField()
    is_elevator = serializers.BooleanField()
    rule_set = serializers.CharField()
    options_kind = inline_choice(VoteOptionsKind.choices)
    visibility = inline_choice(ResultsVisibility.choices)
    status = inline_choice(VoteStatus.choices)
    status_label = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    total_owners = serializers.IntegerField(help_text="Owners on the roll (0 before opening).")
    total_units = serializers.IntegerField()
    seal_hash = serializers.CharField(allow_blank=True)


class VoteDetailSerializer(VoteSerializer):
    description = serializers.CharField(allow_blank=True)
    plans = VotePlanSerializer(many=True)
    rule = VoteRuleSerializer()
    can_manage = serializers.BooleanField()


class OwnerVoteSerializer(serializers.Serializer[Any]):
    vote = VoteSerializer()
    voter_id = serializers.IntegerField()
    has_ballot = serializers.BooleanField()
    is_proxy = serializers.BooleanField(help_text="Listed as the recorded proxy of this owner.")
    can_cast = serializers.BooleanField()


class VoteFilterSerializer(serializers.Serializer[Any]):
    status = inline_choice(VoteStatus.choices, required=False)
    estate = serializers.IntegerField(required=False, min_value=1)


class VoteCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    estate_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    building_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    unit_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The doorway (单元 / 门洞)."
    )
    matter = inline_choice(MatterType.choices)
    is_elevator = serializers.BooleanField(required=False, default=False)
    rule_set = inline_choice(list(RULE_SETS), required=False)
    options_kind = inline_choice(
        VoteOptionsKind.choices, required=False, default=VoteOptionsKind.YES_NO
    )
    plans = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list
    )
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    visibility = inline_choice(
        ResultsVisibility.choices, required=False, default=ResultsVisibility.LIVE
    )


# --- tally -------------------------------------------------------------------------------------


class VoteTestSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()
    numerator = serializers.CharField(help_text='Exact: "1234" or "2469/2".')
    denominator = serializers.CharField()
    ratio = serializers.CharField()
    percent = serializers.CharField(help_text="Rounded down to 0.01.")
    threshold = serializers.CharField()
    comparison = inline_choice([">=", ">"])
    passed = serializers.BooleanField()


class VoteCountsSerializer(serializers.Serializer[Any]):
    heads = serializers.IntegerField()
    area = serializers.CharField(help_text="Exact area in m², as a fraction.")
    area_m2 = serializers.CharField()


class VoteOptionTallySerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text='"yes", "no", "abstain" or "option:<id>".')
    label = serializers.CharField()
    owners = serializers.IntegerField()
    heads = serializers.IntegerField()
    area = serializers.CharField()
    area_m2 = serializers.CharField()


class VoteTallySerializer(serializers.Serializer[Any]):
    vote_id = serializers.IntegerField()
    status = inline_choice(VoteStatus.choices)
    is_sealed = serializers.BooleanField(
        help_text="Sealed until the close: only ``ballot_count`` is given."
    )
    ballot_count = serializers.IntegerField()
    rule = VoteRuleSerializer()
    totals = VoteCountsSerializer()
    participating = VoteCountsSerializer(allow_null=True)
    options = VoteOptionTallySerializer(many=True, allow_null=True)
    outcome = serializers.CharField(allow_null=True, help_text="On the count so far.")
    reason = serializers.CharField(allow_null=True)
    tests = VoteTestSerializer(many=True, allow_null=True)
    winner = serializers.CharField(allow_null=True)


# --- ballots -----------------------------------------------------------------------------------


class VoteBallotCastSerializer(serializers.Serializer[Any]):
    choice = inline_choice(BallotChoice.choices)
    option_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The plan, with choice=option."
    )
    voter_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only when voting as the recorded proxy of another owner.",
    )


class VoteBallotReceiptSerializer(serializers.Serializer[Any]):
    vote_id = serializers.IntegerField()
    receipt = serializers.CharField(help_text="Keep it: it checks the ballot was counted.")
    channel = inline_choice(BallotChannel.choices)
    cast_at = serializers.DateTimeField()


class VotePaperBallotSerializer(serializers.Serializer[Any]):
    voter_id = serializers.IntegerField()
    choice = inline_choice(BallotChoice.choices)
    option_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    proxy_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Signed by this recorded proxy."
    )
    photo = serializers.FileField(help_text="JPEG, PNG or WebP, up to 10 MB.")


class VoteProxySerializer(serializers.Serializer[Any]):
    voter_id = serializers.IntegerField()
    reference = serializers.CharField(max_length=100)
    proxy_person_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    proxy_name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    document = serializers.FileField(help_text="The signed authorisation: PDF, JPEG, PNG or WebP.")


class VoteProxyRecordedSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    voter_id = serializers.IntegerField()
    reference = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class VoteDesignationSerializer(serializers.Serializer[Any]):
    voter_id = serializers.IntegerField()
    person_id = serializers.IntegerField(help_text="One of the co-owners of that roll entry.")


class VoteDesignatedSerializer(serializers.Serializer[Any]):
    voter_id = serializers.IntegerField()
    designated_person_id = serializers.IntegerField()


class VoteBallotRowSerializer(serializers.Serializer[Any]):
    masked_name = serializers.CharField()
    rooms = serializers.CharField(allow_blank=True)
    choice_label = serializers.CharField(allow_null=True, help_text="Null while sealed.")
    channel_label = serializers.CharField()
    cast_at = serializers.DateTimeField()
    receipt_tail = serializers.CharField(help_text="The last four characters of the receipt.")


class VoteRollRowSerializer(serializers.Serializer[Any]):
    voter_id = serializers.IntegerField()
    masked_names = serializers.CharField()
    rooms = serializers.CharField(allow_blank=True)
    area_m2 = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_count = serializers.IntegerField()
    is_organisation = serializers.BooleanField()
    designated_masked = serializers.CharField(allow_blank=True)
    designated_person_id = serializers.IntegerField(allow_null=True)
    member_ids = serializers.ListField(child=serializers.IntegerField())
    has_ballot = serializers.BooleanField()
    has_proxy = serializers.BooleanField()


class VoteReceiptCheckInSerializer(serializers.Serializer[Any]):
    receipt = serializers.CharField(max_length=32)


class VoteReceiptCheckSerializer(serializers.Serializer[Any]):
    is_found = serializers.BooleanField()
    is_counted = serializers.BooleanField()
    cast_at = serializers.DateTimeField(allow_null=True)
    channel = serializers.CharField(allow_blank=True)
    choice_label = serializers.CharField(allow_blank=True, help_text="Empty while sealed.")
    voter_label = serializers.CharField(allow_blank=True)


# --- the certified result ----------------------------------------------------------------------


class VoteSealCheckSerializer(serializers.Serializer[Any]):
    is_intact = serializers.BooleanField()
    recorded = serializers.CharField()
    recomputed = serializers.CharField()


class VoteCertifiedResultSerializer(serializers.Serializer[Any]):
    """The figures a court would check, stored at the close (see ``docs/participation.md``)."""

    vote = serializers.DictField()
    rule = serializers.DictField()
    roll = serializers.DictField()
    participation = serializers.DictField()
    options = serializers.ListField(child=serializers.DictField())
    tests = VoteTestSerializer(many=True)
    winner = serializers.CharField(allow_null=True)
    winner_label = serializers.CharField(allow_blank=True)
    outcome = inline_choice(["passed", "failed_quorum", "failed_approval"])
    passed = serializers.BooleanField()
    reason = serializers.CharField()
    closed_at = serializers.DateTimeField()
    ballot_count = serializers.IntegerField()
    seal_hash = serializers.CharField()
    seal_check = VoteSealCheckSerializer()
