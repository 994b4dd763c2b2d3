"""Shapes of the alarm and scenario API: what leaves, and the filters and actions that come in."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gridgov.sensing.models import AlarmStatus, AlarmStep, ScenarioKind, Severity

# --- what leaves -----------------------------------------------------------------------------


class CodeNameSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class IdNameSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.CharField()


class AlarmSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    scenario = CodeNameSerializer()
    scenario_version = serializers.IntegerField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    severity_label = serializers.CharField()
    status = serializers.ChoiceField(choices=AlarmStatus.choices)
    status_label = serializers.CharField()
    summary = serializers.CharField()
    device = CodeNameSerializer(allow_null=True)
    cell = CodeNameSerializer()
    building = IdNameSerializer(allow_null=True)
    dwelling_id = serializers.IntegerField(allow_null=True)
    concerns_person = serializers.BooleanField(
        help_text="Whether the alarm is about one person (who is shown in the people registry)."
    )
    lng = serializers.FloatField(allow_null=True, help_text="The device's or building's point.")
    lat = serializers.FloatField(allow_null=True)
    raised_at = serializers.DateTimeField()
    last_occurred_at = serializers.DateTimeField()
    occurrences = serializers.IntegerField()
    acknowledged_by = serializers.CharField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    cleared_by = serializers.CharField(allow_null=True)
    cleared_at = serializers.DateTimeField(allow_null=True)
    clear_note = serializers.CharField(allow_blank=True)
    case = CaseRefSerializer(allow_null=True)


class AlarmStepSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=AlarmStep.Action.choices)
    action_label = serializers.CharField()
    at = serializers.DateTimeField()
    by = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class AlarmDetailSerializer(AlarmSerializer):
    values = serializers.DictField()
    steps = AlarmStepSerializer(many=True)
    can_handle = serializers.BooleanField()


class AlarmCountsSerializer(serializers.Serializer[Any]):
    active = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    info = serializers.IntegerField()
    warning = serializers.IntegerField()
    major = serializers.IntegerField()
    critical = serializers.IntegerField()


class ScenarioSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=ScenarioKind.choices)
    kind_label = serializers.CharField()
    device_categories = serializers.ListField(child=serializers.CharField())
    event_kinds = serializers.ListField(child=serializers.CharField())
    params = serializers.DictField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    suppress_seconds = serializers.IntegerField()
    notify_roles = serializers.ListField(child=serializers.CharField())
    sms_min_severity = serializers.CharField(
        allow_blank=True, help_text="Alarms at or above this severity also go out by SMS."
    )
    opens_case = serializers.BooleanField()
    case_category_code = serializers.CharField(allow_blank=True)
    enabled = serializers.BooleanField()
    version = serializers.IntegerField()
    source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
    updated_at = serializers.DateTimeField()


# --- what comes in ---------------------------------------------------------------------------


class AlarmFilterSerializer(serializers.Serializer[Any]):
    cell = serializers.CharField(required=False, help_text="A cell code: that cell's subtree.")
    severity = serializers.ListField(
        child=serializers.ChoiceField(choices=Severity.choices), required=False
    )
    scenario = serializers.CharField(required=False, help_text="A scenario code.")
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=AlarmStatus.choices), required=False
    )
    since = serializers.DateTimeField(required=False, help_text="Raised at or after.")


class AlarmClearSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="Why the alarm is cleared (required)."
    )


class AlarmOpenCaseSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A case category code; the scenario's category when left out.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CaseOpenedSerializer(serializers.Serializer[Any]):
    alarm = AlarmSerializer()
    case = CaseRefSerializer()


class ScenarioWriteSerializer(serializers.Serializer[Any]):
    """The fields of a scenario to set; on ``PATCH`` only those sent change."""

    name = serializers.CharField(required=False, max_length=100)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ScenarioKind.choices, required=False)
    device_categories = serializers.ListField(child=serializers.CharField(), required=False)
    event_kinds = serializers.ListField(child=serializers.CharField(), required=False)
    params = serializers.DictField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    suppress_seconds = serializers.IntegerField(required=False, min_value=0)
    notify_roles = serializers.ListField(child=serializers.CharField(), required=False)
    sms_min_severity = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="A severity (info, warning, major, critical): alarms at or above it also go "
        "out by SMS; empty: never.",
    )
    opens_case = serializers.BooleanField(required=False)
    case_category_code = serializers.CharField(required=False, allow_blank=True, max_length=32)
    enabled = serializers.BooleanField(required=False)
    source = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, max_length=200
    )
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Why it changed (kept)."
    )


class ScenarioCreateSerializer(ScenarioWriteSerializer):
    code = serializers.SlugField(max_length=64)
