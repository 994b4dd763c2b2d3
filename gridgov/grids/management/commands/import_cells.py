"""``gridgov import_cells path.geojson --as <username>``: import a cell tree with boundaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridgov.grids.services import CellImportError, cell_tree_import


class Command(BaseCommand):
    help = "Import areas (cells) with their boundaries from a GeoJSON FeatureCollection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="GeoJSON file (FeatureCollection)")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the account the import is done as (needs the area-management permission)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        actor = get_user_model().objects.filter(username=options["username"]).first()
        if actor is None:
            raise CommandError(_("No account named %s.") % options["username"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": error.strerror}
            ) from error
        self.stdout.write(
            _("Reading %(path)s (%(size)d bytes) …") % {"path": path.name, "size": len(data)}
        )
        self.stdout.write(_("Checking every feature, then writing in one transaction …"))
        try:
            result = cell_tree_import(actor=actor, data=data, filename=path.name)
        except CellImportError as error:
            lines = [_("The file was not imported; nothing was changed:"), *error.problems]
            raise CommandError("\n  ".join(lines)) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(total)d areas: %(created)d created, %(updated)d updated, "
                    "%(unchanged)d unchanged."
                )
                % {
                    "total": result.total,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                }
            )
        )
