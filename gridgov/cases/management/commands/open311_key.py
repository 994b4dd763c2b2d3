"""``gridgov open311-key``: issue, list or revoke Open311 client keys from the command line.

    gridgov open311-key --by admin --name "12345 热线平台" [--contact "..."]
    gridgov open311-key --list
    gridgov open311-key --by admin --revoke 3

A new key is printed once, as ``Open311 API key: <key>``; only its digest is stored.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.accounts.models import User
from gridgov.cases.models import ApiClient
from gridgov.cases.services.api_clients import api_client_issue, api_client_revoke


class Command(BaseCommand):
    help = "Issue (--name), list (--list) or revoke (--revoke ID) Open311 client keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", help="The client system's name.")
        parser.add_argument("--contact", default="", help="Who runs the client system.")
        parser.add_argument(
            "--by", help="Username of the platform administrator issuing or revoking."
        )
        parser.add_argument("--revoke", type=int, metavar="ID", help="Revoke this client's key.")
        parser.add_argument("--list", action="store_true", help="List the client systems.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for client in ApiClient.objects.order_by("pk"):
                state = "revoked" if client.revoked_at else "active"
                self.stdout.write(f"{client.pk}\t{client.key_prefix}…\t{state}\t{client.name}")
            return
        if not options["by"]:
            raise CommandError("Name the issuing platform administrator with --by USERNAME.")
        actor = User.objects.filter(username=options["by"], is_active=True).first()
        if actor is None:
            raise CommandError(f"No active user {options['by']!r}.")
        try:
            if options["revoke"] is not None:
                client = api_client_revoke(actor=actor, client_id=options["revoke"])
                self.stdout.write(f"Revoked: {client.name}")
                return
            if not options["name"]:
                raise CommandError("Give --name, --revoke ID or --list.")
            client, key = api_client_issue(
                actor=actor, name=options["name"], contact=options["contact"]
            )
        except PermissionDenied as error:
            raise CommandError(str(error) or "Permission denied.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Open311 client: {client.name} (id {client.pk})")
        self.stdout.write(f"Open311 API key: {key}")
