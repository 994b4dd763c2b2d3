"""``gridgov ingest-mqtt``: consume device events from the MQTT broker (DESIGN D5).

Run as many as the load needs with one ``--group`` and a distinct, stable ``--client-id`` each
(``docs/operations.md``). SIGTERM or Ctrl+C finishes the batch in hand, acknowledges it and
disconnects; what was not yet stored stays with the broker for the next start.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.core.management.commands.serve import unapplied_migrations
from gridgov.sensing.mqtt import (
    IngesterConfigurationError,
    IngesterSettings,
    IngesterStoppedError,
    MqttIngester,
    broker_address_parse,
    default_client_id,
)


class Command(BaseCommand):
    help = (
        "Consume device events from the MQTT broker (QoS 1, persistent session, "
        "shared subscription) and store them in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="", help="mqtt://host:port or mqtts://host:port (GRIDGOV_MQTT_URL)"
        )
        parser.add_argument(
            "--client-id",
            default="",
            help="stable and unique per ingester: a restart with it resumes its session "
            "(default gridgov-ingest-<host name>)",
        )
        parser.add_argument(
            "--group", default="", help="shared-subscription group (GRIDGOV_MQTT_GROUP)"
        )
        parser.add_argument("--batch", type=int, default=500, help="messages per write")
        parser.add_argument(
            "--max-delay",
            type=float,
            default=0.2,
            help="seconds a message waits for its batch to fill",
        )
        parser.add_argument(
            "--session-expiry",
            type=int,
            default=None,
            help="seconds the broker keeps the session while the ingester is away "
            "(GRIDGOV_MQTT_SESSION_EXPIRY)",
        )
        parser.add_argument(
            "--stats-interval", type=float, default=60.0, help="seconds between count log lines"
        )
        parser.add_argument(
            "--topic-prefix",
            default=None,
            help="a namespace in front of the topics, ending in / (GRIDGOV_MQTT_TOPIC_PREFIX)",
        )
        parser.add_argument(
            "--drain",
            action="store_true",
            help="retire this client id: take no new messages, store what its session holds, "
            "then end the session",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.GRIDGOV_MQTT_URL
        if not url:
            raise CommandError(
                _(
                    "No MQTT broker is configured: set GRIDGOV_MQTT_URL or pass "
                    "--url mqtt://host:1883. Without a broker devices send their events over HTTP."
                )
            )
        try:
            ingester_settings = IngesterSettings(
                broker=broker_address_parse(url),
                client_id=options["client_id"] or default_client_id(),
                group=options["group"] or settings.GRIDGOV_MQTT_GROUP,
                batch_size=options["batch"],
                max_delay=options["max_delay"],
                session_expiry=options["session_expiry"] or settings.GRIDGOV_MQTT_SESSION_EXPIRY,
                username=settings.GRIDGOV_MQTT_USERNAME,
                password=settings.GRIDGOV_MQTT_PASSWORD,
                stats_interval=options["stats_interval"],
                drain=options["drain"],
                topic_prefix=(
                    settings.GRIDGOV_MQTT_TOPIC_PREFIX
                    if options["topic_prefix"] is None
                    else options["topic_prefix"]
                ),
            )
        except IngesterConfigurationError as error:
            raise CommandError(
                _("Cannot start the MQTT ingester: %(reason)s.") % {"reason": error}
            ) from error
        pending = unapplied_migrations()
        if pending:
            raise CommandError(
                _(
                    "The database has %(count)d unapplied migrations (first: %(first)s). "
                    "Run `gridgov migrate` first."
                )
                % {"count": len(pending), "first": pending[0]}
            )
        ingester = MqttIngester(ingester_settings)
        self.stdout.write(
            _(
                "Ingesting MQTT from %(broker)s as client %(client)s in group %(group)s "
                "(Ctrl+C to stop)"
            )
            % {
                "broker": ingester_settings.broker,
                "client": ingester_settings.client_id,
                "group": ingester_settings.group,
            }
        )
        previous = self._stop_on_signals(ingester)
        try:
            ingester.run()
        except IngesterStoppedError as error:
            raise CommandError(str(error)) from error
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if ingester.drained:
            self.stdout.write(
                _("Drained and session ended: %(summary)s") % {"summary": ingester.counts.summary()}
            )
        else:
            self.stdout.write(_("Stopped: %(summary)s") % {"summary": ingester.counts.summary()})

    @staticmethod
    def _stop_on_signals(ingester: MqttIngester) -> dict[int, Any]:
        """SIGTERM (the service manager) and SIGINT (Ctrl+C) finish the batch in hand first."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {
            signum: signal.signal(signum, lambda _signum, _frame: ingester.request_stop())
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
