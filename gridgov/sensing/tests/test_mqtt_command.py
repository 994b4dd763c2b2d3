"""``gridgov ingest-mqtt``: what it needs before it starts, and how it reads a broker address."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gridgov.cli import normalise_arguments
from gridgov.sensing.mqtt import (
    BrokerAddress,
    IngesterConfigurationError,
    IngesterSettings,
    broker_address_parse,
    group_name_check,
    shared_topic,
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("ingest_mqtt", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_hyphenated_command_name_runs_the_ingester():
    assert normalise_arguments(["gridgov", "ingest-mqtt", "--batch", "10"]) == [
        "gridgov",
        "ingest_mqtt",
        "--batch",
        "10",
    ]


def test_without_a_broker_the_ingester_refuses_to_start_and_says_what_to_set(settings):
    settings.GRIDGOV_MQTT_URL = ""

    with pytest.raises(CommandError) as raised:
        run()

    assert str(raised.value) == (
        "No MQTT broker is configured: set GRIDGOV_MQTT_URL or pass --url mqtt://host:1883. "
        "Without a broker devices send their events over HTTP."
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:1883", "must start with mqtt:// or mqtts://"),
        ("127.0.0.1:1883", "must start with mqtt:// or mqtts://"),
        ("mqtt://", "must be scheme://host:port"),
        ("mqtt://127.0.0.1:99999", "must be scheme://host:port"),
        ("mqtt://127.0.0.1:1883/devices", "must be scheme://host:port"),
        ("mqtt://user:secret@127.0.0.1:1883", "must not hold a user name or password"),
    ],
)
def test_a_malformed_broker_address_is_refused_with_the_reason(settings, url, reason):
    settings.GRIDGOV_MQTT_URL = ""

    with pytest.raises(
        CommandError, match="Cannot start the MQTT ingester: the broker address"
    ) as raised:
        run("--url", url)

    assert reason in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--group", "a/b"], "the group name must be non-empty and must not contain /, + or #"),
        (["--group", "all+"], "the group name must be non-empty and must not contain /, + or #"),
        (["--batch", "0"], "the batch size must be at least 1"),
        (["--max-delay", "0"], "the maximum delay must be more than 0 seconds"),
        (
            ["--topic-prefix", "town-a"],
            "the topic prefix must be empty or end with /, for example town-a/",
        ),
        (
            ["--topic-prefix", "town/+/"],
            "the topic prefix must be empty or end with /, for example town-a/",
        ),
        (
            ["--topic-prefix", "$SYS/"],
            "the topic prefix must be empty or end with /, for example town-a/",
        ),
    ],
)
def test_unusable_limits_are_refused_before_connecting(settings, args, reason):
    settings.GRIDGOV_MQTT_URL = "mqtt://127.0.0.1:1883"

    with pytest.raises(CommandError) as raised:
        run(*args)

    assert str(raised.value) == f"Cannot start the MQTT ingester: {reason}."


def test_broker_addresses_take_the_protocol_default_port():
    assert broker_address_parse("mqtt://10.0.0.5") == BrokerAddress("10.0.0.5", 1883, False)
    assert broker_address_parse("mqtts://broker.example.gov.cn") == BrokerAddress(
        "broker.example.gov.cn", 8883, True
    )
    assert broker_address_parse(" mqtt://[::1]:1884/ ") == BrokerAddress("::1", 1884, False)
    assert str(broker_address_parse("mqtt://[::1]:1884")) == "mqtt://[::1]:1884"


def test_shared_subscriptions_follow_the_mqtt5_form():
    assert shared_topic("gridgov", "gridgov/devices/+/events") == (
        "$share/gridgov/gridgov/devices/+/events"
    )
    assert group_name_check("gridgov-east") == "gridgov-east"
    with pytest.raises(IngesterConfigurationError):
        group_name_check("")


def test_the_broker_may_keep_two_batches_in_flight_towards_an_ingester():
    broker = BrokerAddress("127.0.0.1", 1883, False)

    assert IngesterSettings(broker=broker, client_id="a", batch_size=500).receive_maximum == 1000
    assert IngesterSettings(broker=broker, client_id="a", batch_size=10).receive_maximum == 100
    assert (
        IngesterSettings(broker=broker, client_id="a", batch_size=40_000).receive_maximum == 65535
    )
