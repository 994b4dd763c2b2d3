"""Shapes of the cases API: what leaves (cases masked as the pages show them) and what comes in."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gridgov.cases.models import Channel, Status

# --- what leaves -----------------------------------------------------------------------------


class RefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CodeRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class CategorySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    code = serializers.CharField(help_text="Also the Open311 service_code.")
    name = serializers.CharField()
    group = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)
    department = RefSerializer(allow_null=True)
    is_property_matter = serializers.BooleanField()
    accept_within = serializers.IntegerField()
    accept_unit = serializers.CharField()
    resolve_within = serializers.IntegerField()
    resolve_unit = serializers.CharField()
    required_fields = serializers.ListField(child=serializers.CharField())
    attributes = serializers.ListField(child=serializers.DictField())


class CaseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    category = CodeRefSerializer()
    cell = CodeRefSerializer()
    handling_cell = CodeRefSerializer()
    address = serializers.CharField(allow_blank=True)
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    department = RefSerializer(allow_null=True)
    property_company = RefSerializer(allow_null=True)
    assignee = RefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    accept_due_at = serializers.DateTimeField(allow_null=True)
    resolve_due_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    is_whistled = serializers.BooleanField()
    escalation_count = serializers.IntegerField()
    reopen_count = serializers.IntegerField()
    rating = serializers.IntegerField(allow_null=True)
    merged_into = serializers.CharField(allow_null=True, help_text="The number of the case kept.")
    version = serializers.IntegerField(help_text="Send it back as expected_version.")


class AttachmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    url = serializers.CharField(help_text="Download within the case's scope.")


class EventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_blank=True)
    action = serializers.CharField()
    action_label = serializers.CharField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    attachments = AttachmentSerializer(many=True)


class SummonsSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    department = RefSerializer()
    reported_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class WhistleSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    called_at = serializers.DateTimeField()
    reason = serializers.CharField()
    lead_department = RefSerializer()
    report_due_at = serializers.DateTimeField()
    summonses = SummonsSerializer(many=True)


class SquadMemberSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    organization = RefSerializer(allow_null=True)
    role = serializers.CharField(allow_blank=True)
    added_at = serializers.DateTimeField()


class CaseDetailSerializer(CaseSerializer):
    description = serializers.CharField(help_text="The reporter's original words.")
    attributes = serializers.DictField()
    reporter_name = serializers.CharField(allow_blank=True)
    reporter_phone = serializers.CharField(allow_blank=True, help_text="Masked.")
    estate = RefSerializer(allow_null=True)
    building_id = serializers.IntegerField(allow_null=True)
    suspended_until = serializers.DateTimeField(allow_null=True)
    rating_comment = serializers.CharField(allow_blank=True)
    allowed_actions = serializers.ListField(child=serializers.CharField())
    timeline = EventSerializer(many=True)
    attachments = AttachmentSerializer(many=True)
    whistles = WhistleSerializer(many=True)
    squad = SquadMemberSerializer(many=True)


class VisitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    building = RefSerializer()
    cell = CodeRefSerializer()
    worker = serializers.CharField()
    at = serializers.DateTimeField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    accuracy_m = serializers.FloatField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    case = serializers.CharField(allow_null=True, help_text="Number of the case opened, if any.")
    attachments = AttachmentSerializer(many=True)


class NotificationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    subject = serializers.CharField()
    body = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


# --- what comes in ---------------------------------------------------------------------------

QUEUES = ("mine", "department", "cell", "late", "whistled", "grab", "reported")


class CaseFilterSerializer(serializers.Serializer[Any]):
    queue = serializers.ChoiceField(choices=QUEUES, required=False)
    status = serializers.CharField(required=False, help_text="Comma-separated statuses.")
    category = serializers.CharField(required=False, help_text="A category code.")
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    cell = serializers.CharField(required=False, help_text="An area code (its whole subtree).")
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    whistled = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, help_text="Case number or words of the title.")
    created_after = serializers.DateField(required=False)
    created_before = serializers.DateField(required=False)


class CaseReportSerializer(serializers.Serializer[Any]):
    channel = serializers.ChoiceField(
        choices=[Channel.RESIDENT, Channel.HOTLINE, Channel.STAFF], default=Channel.RESIDENT
    )
    category_code = serializers.CharField(max_length=50)
    description = serializers.CharField(max_length=5000)
    title = serializers.CharField(max_length=200, required=False, default="")
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    address = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    building_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    dwelling_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    reporter_name = serializers.CharField(
        max_length=64, required=False, default="", allow_blank=True
    )
    reporter_phone = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True
    )
    attributes = serializers.JSONField(required=False, default=dict)
    submission_key = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        default=None,
        help_text="Repeat it on a retry: the case already filed is answered instead of a second.",
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    def validate_attributes(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("An object of answers, keyed by question code.")
        return value


class ActionSerializer(serializers.Serializer[Any]):
    """Every action's fields; each action reads the ones it needs (see docs/api.md)."""

    expected_version = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    reason = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    department_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    assignee_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    into_case = serializers.CharField(
        max_length=20, required=False, default="", allow_blank=True, help_text="Case number."
    )
    department_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    lead_department_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    report_within_minutes = serializers.IntegerField(
        required=False, min_value=5, max_value=7 * 24 * 60, default=30
    )
    name = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    organization_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    user_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    role = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class RatingSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    reopen = serializers.BooleanField(
        required=False, default=False, help_text="With a rating of 2 or less: reopen the case."
    )


class CallbackSerializer(serializers.Serializer[Any]):
    rating = serializers.IntegerField(
        min_value=1,
        max_value=5,
        help_text="The reporter's satisfaction: 5 very satisfied, 4 satisfied, 3 fairly "
        "satisfied, 2 not satisfied, 1 very dissatisfied.",
    )
    comment = serializers.CharField(
        max_length=500,
        required=False,
        default="",
        allow_blank=True,
        help_text="What the person said.",
    )
    reopen = serializers.BooleanField(
        required=False, default=False, help_text="With a rating of 2 or less: reopen the case."
    )


class ReportInSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class VisitCreateSerializer(serializers.Serializer[Any]):
    building_id = serializers.IntegerField()
    note = serializers.CharField(max_length=5000, required=False, default="", allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lng = serializers.FloatField(required=False, allow_null=True, default=None)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, default=None)
    open_case_category = serializers.CharField(
        max_length=50, required=False, allow_null=True, default=None
    )
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class StatisticsFilterSerializer(serializers.Serializer[Any]):
    start = serializers.DateField(required=False, allow_null=True, default=None)
    end = serializers.DateField(required=False, allow_null=True, default=None)
    cell = serializers.CharField(required=False, default="", allow_blank=True)
    department = serializers.IntegerField(required=False, allow_null=True, default=None)
    category = serializers.IntegerField(required=False, allow_null=True, default=None)
    channel = serializers.CharField(required=False, default="", allow_blank=True)
