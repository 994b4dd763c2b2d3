"""Sensing (智能感知): devices (设备), the events (事件) they send, and the messages that could
not be used (死信).

Events arrive at city scale (1.2 million devices reporting once a minute, 20,000 events a second,
issue 5), so the event and dead-letter rows are kept narrow: no foreign key but the device, no
text that repeats what the device row says. In production the event table is partitioned by
month (DESIGN, scale-out; ``docs/devices.md``). A person's card number is never stored, only its
keyed hash.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceCategory(models.TextChoices):
    CAMERA = "camera", _("Camera")
    AI_BOX = "ai_box", _("AI box")
    SMOKE_DETECTOR = "smoke_detector", _("Smoke detector")
    GAS_DETECTOR = "gas_detector", _("Gas detector")
    DOOR_SENSOR = "door_sensor", _("Door sensor")
    ACCESS_CONTROL = "access_control", _("Access control / face gate")
    ELEVATOR_EBIKE_DETECTOR = "elevator_ebike_detector", _("Elevator e-bike detector")
    SMART_BIN = "smart_bin", _("Smart bin")
    MANHOLE_COVER = "manhole_cover", _("Manhole cover sensor")
    WATER_METER = "water_meter", _("Water meter")
    ELECTRICITY_METER = "electricity_meter", _("Electricity meter")
    HYDRANT_PRESSURE = "hydrant_pressure", _("Fire-hydrant pressure sensor")
    HIGH_ALTITUDE_CAMERA = "high_altitude_camera", _("High-altitude-throw camera")
    PARKING_SENSOR = "parking_sensor", _("Parking sensor")
    GATEWAY = "gateway", _("Gateway")
    OTHER = "other", _("Other")


class SourceFormat(models.TextChoices):
    NATIVE = "native", _("GridGov native")
    THINGSBOARD = "thingsboard", _("ThingsBoard gateway")
    FRIGATE = "frigate", _("Frigate")


class Channel(models.TextChoices):
    MQTT = "mqtt", "MQTT"
    HTTP = "http", "HTTP"


class RejectReason(models.TextChoices):
    PAYLOAD_TOO_LARGE = "payload_too_large", _("Payload too large")
    MALFORMED_JSON = "malformed_json", _("Not valid JSON (truncated or not UTF-8)")
    INVALID_FORMAT = "invalid_format", _("JSON of the wrong shape")
    INVALID_FIELD = "invalid_field", _("A field missing or of the wrong type")
    UNKNOWN_TOPIC = "unknown_topic", _("Unknown topic")
    TOO_MANY_EVENTS = "too_many_events", _("Too many events in one message")
    FUTURE_TIMESTAMP = "future_timestamp", _("Time more than 5 minutes in the future")
    DEVICE_MISMATCH = "device_mismatch", _("Events of another device")
    UNKNOWN_DEVICE = "unknown_device", _("Unknown device")
    INACTIVE_DEVICE = "inactive_device", _("Deactivated device")


class Device(models.Model):
    """One device that reports (设备). ``code`` is how it names itself in topics and payloads.

    The secret a device authenticates with over HTTP is shown once (on registration and on
    rotation) and kept only as a hash.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=32, choices=DeviceCategory.choices)
    cell = models.ForeignKey(
        "grids.Cell",
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    estate = models.ForeignKey(
        "registry.Estate",
        verbose_name=_("estate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    # A ThingsBoard gateway posts over HTTP for the devices behind it (docs/devices.md).
    gateway = models.ForeignKey(
        "self",
        verbose_name=_("gateway"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="gateway_devices",
        limit_choices_to={"category": DeviceCategory.GATEWAY},
    )
    heartbeat_interval_seconds = models.PositiveIntegerField(
        _("heartbeat interval (seconds)"), default=300
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    secret_rotated_at = models.DateTimeField(_("credentials issued"), null=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        indexes = [models.Index(fields=["is_active", "is_online"], name="sensing_device_online")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Event(models.Model):
    """One thing a device reported (事件): a reading, a detection, a pass, a heartbeat.

    ``event_id`` is the device's own id for it; storing is idempotent on (device, event_id).
    ``person_card_hash`` is the keyed hash of a card or face id (it identifies a person).
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (device, event_id) and (device, occurred_at) cover it.
    device = models.ForeignKey(
        Device,
        verbose_name=_("device"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    event_id = models.CharField(_("event id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=32)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    values = models.JSONField(_("values"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=32, blank=True)
    source_format = models.CharField(
        _("format"), max_length=16, choices=SourceFormat.choices, default=SourceFormat.NATIVE
    )
    person_card_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="sensing_event_unique_id")
        ]
        indexes = [
            models.Index(fields=["device", "occurred_at"], name="sensing_event_device_time"),
            models.Index(fields=["kind", "occurred_at"], name="sensing_event_kind_time"),
            # A card's last gate pass in one probe (the absence list, gridgov.sensing.access).
            models.Index(
                fields=["person_card_hash", "occurred_at"],
                name="sensing_event_card_pass",
                condition=models.Q(kind="card_pass"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class DeadLetter(models.Model):
    """A message, or one event in it, that could not be stored (死信), with the reason.

    ``detail`` names the field or the rule, never a value from the payload; the payload itself
    is kept (cut to 64 KiB) for an operator to inspect, and ``size`` is its full length.
    """

    id = models.BigAutoField(primary_key=True)
    received_at = models.DateTimeField(_("received at"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    topic = models.CharField(_("topic"), max_length=255)
    device_code = models.CharField(_("device code"), max_length=64, blank=True)
    reason = models.CharField(_("reason"), max_length=32, choices=RejectReason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    payload = models.BinaryField(_("payload"))
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        indexes = [
            models.Index(fields=["received_at"], name="sensing_deadletter_time"),
            models.Index(fields=["reason", "received_at"], name="sensing_deadletter_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.topic}"


# --- Scenarios (场景) and alarms (告警) --------------------------------------------------------


class ScenarioKind(models.TextChoices):
    """What a scenario watches for; its ``params`` are read by the engine per kind."""

    THRESHOLD = "threshold", _("Reading beyond a value")
    HELD = "held", _("State held too long")
    EVENT = "event", _("Event of a kind")
    OUTSIDE_HOURS = "outside_hours", _("Event outside the allowed hours")
    COUNT = "count", _("Events counted in a window")
    MISSING = "missing", _("Expected event missing")
    ARRIVAL = "arrival", _("Arrival that must notify someone")


class Severity(models.TextChoices):
    INFO = "info", _("Notice")
    WARNING = "warning", _("Warning")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Scenario(models.Model):
    """A scenario (场景) is data: which events, which condition, what it raises, who is told.

    ``version`` grows with every edit; each version's full content is kept in
    :class:`ScenarioVersion`, and an alarm records the version that raised it.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ScenarioKind.choices)
    # Empty: every category / every kind.
    device_categories = models.JSONField(_("device categories"), default=list, blank=True)
    event_kinds = models.JSONField(_("event kinds"), default=list, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    severity = models.CharField(
        _("severity"), max_length=16, choices=Severity.choices, default=Severity.WARNING
    )
    # After a condition clears, the same condition raises no new alarm within this window.
    suppress_seconds = models.PositiveIntegerField(_("suppression window (seconds)"), default=0)
    # Roles told at once when an alarm is raised, within the alarm's place (Role codes).
    notify_roles = models.JSONField(_("roles notified"), default=list, blank=True)
    # Alarms at or above this severity also reach the told staff's work phones by SMS (issue 5:
    # "the patrol's phone at once"); empty: never by SMS.
    sms_min_severity = models.CharField(
        _("SMS from severity"),
        max_length=16,
        choices=Severity.choices,
        default=Severity.CRITICAL,
        blank=True,
    )
    opens_case = models.BooleanField(_("opens a case"), default=False)
    case_category_code = models.CharField(_("case category"), max_length=32, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name


class ScenarioVersion(models.Model):
    """One version of a scenario as it was saved: who, when, and its whole content."""

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("content"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["scenario", "-version"]
        verbose_name = _("scenario version")
        verbose_name_plural = _("scenario versions")
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "version"], name="sensing_scenarioversion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id} v{self.version}"


class DeviceState(models.Model):
    """The last state a device reported and since when: what "held too long" is measured on."""

    device = models.OneToOneField(
        Device, verbose_name=_("device"), on_delete=models.CASCADE, related_name="current_state"
    )
    state = models.CharField(_("state"), max_length=32)
    since = models.DateTimeField(_("since"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("device state")
        verbose_name_plural = _("device states")
        indexes = [models.Index(fields=["state", "since"], name="sensing_devicestate_since")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.state}"


class AccessCard(models.Model):
    """A resident's access card or enrolled face (门禁卡 / 人脸), linking gate passes to a person.

    Only the keyed hash of the card or face id is stored (the same hash events carry), with its
    last four characters for staff to tell cards apart.
    """

    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="access_cards",
    )
    card_hash = models.CharField(max_length=64, unique=True, editable=False)
    card_last4 = models.CharField(_("card (last 4)"), max_length=4, blank=True)
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="access_cards",
    )
    issued_at = models.DateTimeField(_("issued"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["person", "-issued_at"]
        verbose_name = _("access card")
        verbose_name_plural = _("access cards")

    def __str__(self) -> str:
        return f"****{self.card_last4}"


class AlarmStatus(models.TextChoices):
    ACTIVE = "active", _("Active, unacknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


class Alarm(models.Model):
    """One alarm (告警) per ongoing condition: ``condition_key`` names the condition (scenario and
    device, or scenario and person) and at most one alarm per key is not cleared — a database
    constraint, so fifty events of one open door are one alarm with fifty occurrences.
    """

    scenario = models.ForeignKey(
        Scenario, verbose_name=_("scenario"), on_delete=models.PROTECT, related_name="alarms"
    )
    scenario_version = models.PositiveIntegerField(_("scenario version"))
    condition_key = models.CharField(_("condition"), max_length=128)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.ACTIVE
    )
    summary = models.CharField(_("summary"), max_length=200)
    device = models.ForeignKey(
        Device,
        verbose_name=_("device"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alarms",
    )
    cell = models.ForeignKey(
        "grids.Cell", verbose_name=_("area"), on_delete=models.PROTECT, related_name="alarms"
    )
    building = models.ForeignKey(
        "registry.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )
    dwelling = models.ForeignKey(
        "registry.Dwelling",
        verbose_name=_("dwelling"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )
    person = models.ForeignKey(
        "registry.Person",
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )
    raised_at = models.DateTimeField(_("raised"))
    last_occurred_at = models.DateTimeField(_("last occurred"))
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    values = models.JSONField(_("values"), default=dict, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cleared by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    clear_note = models.CharField(_("note"), max_length=500, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alarms",
    )

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        constraints = [
            models.UniqueConstraint(
                fields=["condition_key"],
                condition=~models.Q(status="cleared"),
                name="sensing_alarm_one_open_per_condition",
            )
        ]
        indexes = [
            models.Index(fields=["status", "raised_at"], name="sensing_alarm_status"),
            models.Index(fields=["cell", "status"], name="sensing_alarm_cell"),
            models.Index(fields=["condition_key", "cleared_at"], name="sensing_alarm_condition"),
            models.Index(fields=["device", "raised_at"], name="sensing_alarm_device"),
        ]

    def __str__(self) -> str:
        return self.summary


class AlarmStep(models.Model):
    """The append-only history of an alarm: raised, notified, acknowledged, case opened, cleared."""

    class Action(models.TextChoices):
        RAISED = "raised", _("Raised")
        NOTIFIED = "notified", _("Notified")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CASE_OPENED = "case_opened", _("Case opened")
        CLEARED = "cleared", _("Cleared")

    alarm = models.ForeignKey(
        Alarm, verbose_name=_("alarm"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["alarm", "at", "id"]
        verbose_name = _("alarm step")
        verbose_name_plural = _("alarm steps")

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Alarm steps are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Alarm steps are append-only.")
