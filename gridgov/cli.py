"""The ``gridgov`` command: one entry point over the management commands (DESIGN D11).

``gridgov serve``, ``gridgov demo``, ``gridgov worker``, ``gridgov beat``, ``gridgov audit verify``
and every Django management command (``gridgov migrate``, ``gridgov check --deploy`` …).
Command names may be written with hyphens: ``gridgov demo-data`` runs ``demo_data``.
"""

from __future__ import annotations

import os
import sys


def normalise_arguments(argv: list[str]) -> list[str]:
    """Program name → ``gridgov``; a hyphenated command name → its module name."""
    args = ["gridgov", *argv[1:]]
    position = 2 if len(args) > 2 and args[1] == "help" else 1
    if len(args) > position and not args[position].startswith("-"):
        args[position] = args[position].replace("-", "_")
    return args


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(normalise_arguments(list(sys.argv if argv is None else argv)))


if __name__ == "__main__":
    main()
