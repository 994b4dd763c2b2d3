"""Shapes of the sensing API: devices, events, dead letters, and ingestion's answers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from gridgov.sensing.adapters import RejectReason
from gridgov.sensing.models import DeviceCategory, SourceFormat

# --- what leaves -----------------------------------------------------------------------------


class PlaceRefSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()


class DeviceSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=DeviceCategory.choices)
    category_label = serializers.CharField()
    cell = PlaceRefSerializer(allow_null=True)
    estate = PlaceRefSerializer(allow_null=True)
    building_id = serializers.IntegerField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    address = serializers.CharField(allow_blank=True)
    owner = PlaceRefSerializer(allow_null=True)
    gateway = serializers.CharField(allow_null=True, help_text="The gateway's device code.")
    heartbeat_interval_seconds = serializers.IntegerField()
    last_seen_at = serializers.DateTimeField(allow_null=True)
    is_online = serializers.BooleanField()
    is_active = serializers.BooleanField()
    secret_rotated_at = serializers.DateTimeField(allow_null=True)


class DeviceWithSecretSerializer(DeviceSerializer):
    secret = serializers.CharField(
        help_text="The device's secret, shown this once: the device sends "
        "`Authorization: Device <code>:<secret>`."
    )


class DeviceEventSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    device = serializers.CharField(help_text="The device's code.")
    event_id = serializers.CharField()
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    values = serializers.DictField()
    state = serializers.CharField(allow_blank=True)
    source_format = serializers.ChoiceField(choices=SourceFormat.choices)
    has_person_card = serializers.BooleanField(
        help_text="Whether a card or face id came with it (only its keyed hash is kept)."
    )


class DeadLetterSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()
    channel = serializers.CharField()
    topic = serializers.CharField()
    device_code = serializers.CharField(allow_blank=True)
    reason = serializers.ChoiceField(choices=RejectReason.choices)
    detail = serializers.CharField(allow_blank=True)
    size = serializers.IntegerField()


class IngestResultSerializer(serializers.Serializer[Any]):
    stored = serializers.IntegerField(help_text="Events new to the platform.")
    duplicates = serializers.IntegerField(help_text="Events already stored (a replay).")
    rejected = serializers.DictField(
        child=serializers.IntegerField(), help_text="Reason code → count of refused events."
    )


class NativeEventSerializer(serializers.Serializer[Any]):
    """One native event (the body may also be a list of up to 500)."""

    event_id = serializers.CharField(max_length=64)
    kind = serializers.CharField(max_length=32, help_text="`heartbeat` for a heartbeat.")
    at = serializers.DateTimeField(help_text="ISO-8601 with its UTC offset.")
    values = serializers.DictField(required=False)
    state = serializers.CharField(max_length=32, required=False)
    person_card = serializers.CharField(max_length=64, required=False)


# --- what comes in ---------------------------------------------------------------------------


class DeviceFilterSerializer(serializers.Serializer[Any]):
    category = serializers.ChoiceField(choices=DeviceCategory.choices, required=False)
    cell = serializers.CharField(required=False, help_text="A cell code: that area and below.")
    online = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, help_text="Part of the code or name.")
    include_inactive = serializers.BooleanField(required=False, default=False)


class DeviceRegisterSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=DeviceCategory.choices)
    cell = serializers.CharField(required=False, allow_blank=True)
    estate = serializers.CharField(required=False, allow_blank=True)
    building_id = serializers.IntegerField(required=False, allow_null=True)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    owner = serializers.CharField(required=False, allow_blank=True, help_text="Organisation code.")
    gateway = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Code of the gateway (category gateway) that may post for this device.",
    )
    heartbeat_interval_seconds = serializers.IntegerField(required=False, default=300)


class DeviceUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100, required=False)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    heartbeat_interval_seconds = serializers.IntegerField(required=False)
    cell = serializers.CharField(required=False)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)


class EventFilterSerializer(serializers.Serializer[Any]):
    device = serializers.CharField(required=False)
    kind = serializers.ListField(child=serializers.CharField(), required=False)
    occurred_from = serializers.DateTimeField(required=False)
    occurred_to = serializers.DateTimeField(required=False)


class DeadLetterFilterSerializer(serializers.Serializer[Any]):
    reason = serializers.ChoiceField(choices=RejectReason.choices, required=False)
    received_from = serializers.DateTimeField(required=False)
    received_to = serializers.DateTimeField(required=False)
