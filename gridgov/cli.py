"""The ``gridgov`` command: one entry point over the management commands (DESIGN D11).

``gridgov serve``, ``gridgov demo``, ``gridgov worker``, ``gridgov beat``, ``gridgov audit verify``
and every Django management command (``gridgov migrate``, ``gridgov check --deploy`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "gridgov"
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
