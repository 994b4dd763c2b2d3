"""``gridgov simulate-devices``: drive the demo town's devices with realistic event streams and
one incident of every scenario in turn (``gridgov.sensing.simulator``).

Over HTTP the simulator re-issues the credentials of the devices it drives (demo only:
``GRIDGOV_DEMO=true``) and keeps them in memory. Ctrl+C or SIGTERM stops it after the tick in
hand.
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.sensing.mqtt import IngesterConfigurationError, broker_address_parse
from gridgov.sensing.services.demo_credentials import demo_credentials_reissue
from gridgov.sensing.simulator import (
    HttpSender,
    MqttSender,
    Sender,
    Simulator,
    load_town,
    run,
)

PROFILE_RATES = {"small": 5.0, "sanjiang": 20.0, "maqiao": 20.0}


class Command(BaseCommand):
    help = "Simulate the demo town's devices: ordinary traffic and an incident of every scenario."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--profile",
            choices=sorted(PROFILE_RATES),
            default="maqiao",
            help="the demo town in the database; sets the default rate",
        )
        parser.add_argument("--rate", type=float, default=None, help="events a second")
        parser.add_argument(
            "--incident-every", type=float, default=20.0, help="seconds between incidents (0: none)"
        )
        parser.add_argument(
            "--duration", type=float, default=0.0, help="seconds to run (0: until stopped)"
        )
        parser.add_argument("--transport", choices=("http", "mqtt"), default="http")
        parser.add_argument(
            "--url",
            default="",
            help="the platform's base URL (http, default http://127.0.0.1:8000) or the broker "
            "(mqtt, default mqtt://127.0.0.1:1883)",
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        rate = options["rate"] if options["rate"] is not None else PROFILE_RATES[options["profile"]]
        if rate <= 0:
            raise CommandError(_("--rate must be more than 0"))
        if options["incident_every"] < 0 or options["duration"] < 0:
            raise CommandError(_("--incident-every and --duration cannot be negative"))
        town = load_town(rate=rate, seed=options["seed"])
        if not town.devices:
            raise CommandError(_("No devices to simulate: generate a demo town first."))
        sender = self._sender(options, [device.code for device in town.devices])
        started_at = datetime.now(tz=UTC)
        simulator = Simulator(
            town,
            rate=rate,
            incident_every=options["incident_every"],
            started_at=started_at,
            seed=options["seed"],
        )
        self.stdout.write(
            _(
                "Simulating %(devices)d devices and %(cards)d access cards at %(rate)s events/s "
                "(an incident every %(every)s s) over %(transport)s; Ctrl+C stops."
            )
            % {
                "devices": len(town.devices),
                "cards": len(town.cards),
                "rate": rate,
                "every": options["incident_every"],
                "transport": options["transport"].upper(),
            }
        )
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        try:
            totals = run(simulator, sender, duration=options["duration"], should_stop=stop.is_set)
        except KeyboardInterrupt:
            totals = sender.totals
        finally:
            sender.close()
        self.stdout.write(
            _(
                "Sent %(events)d events: %(stored)d stored, %(duplicates)d duplicates, "
                "%(rejected)d refused, %(failures)d failed sends; %(incidents)d incidents."
            )
            % {
                "events": totals.events,
                "stored": totals.stored,
                "duplicates": totals.duplicates,
                "rejected": totals.rejected,
                "failures": totals.failures,
                "incidents": len(simulator.incidents_sent),
            }
        )

    def _sender(self, options: dict[str, Any], codes: list[str]) -> Sender:
        if options["transport"] == "mqtt":
            try:
                address = broker_address_parse(options["url"] or "mqtt://127.0.0.1:1883")
            except IngesterConfigurationError as error:
                raise CommandError(str(error)) from error
            try:
                return MqttSender(
                    address.host, address.port, client_id=f"gridgov-simulator-{os.getpid()}"
                )
            except OSError as error:
                raise CommandError(
                    _("Cannot reach the MQTT broker at %(url)s.") % {"url": options["url"]}
                ) from error
        try:
            credentials = demo_credentials_reissue(codes=codes)
        except PermissionDenied as error:
            raise CommandError(
                _(
                    "Device credentials are re-issued for the simulator only in a demo (GRIDGOV_DEMO=true)."
                )
            ) from error
        return HttpSender(options["url"] or "http://127.0.0.1:8000", credentials)
