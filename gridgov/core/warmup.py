"""Work a web process does once, before its first request, instead of during it.

Apps register loaders (``warm_up_register``) in their ``ready``; ``gridgov serve`` runs them
once before it forks its workers, so every worker starts with the URL map and the apps' indexes
already built (shared by the forked processes until one of them changes its copy).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from django.db import connections
from django.urls import Resolver404, get_resolver

logger = logging.getLogger(__name__)

_loaders: dict[str, Callable[[], object]] = {}


def warm_up_register(name: str, loader: Callable[[], object]) -> None:
    """Run ``loader`` when a web process warms up (registering a name again replaces it)."""
    _loaders[name] = loader


def warm_up() -> list[str]:
    """Load the URL map and run every registered loader; a loader that fails is logged and
    skipped (its work then happens on the first request that needs it)."""
    with contextlib.suppress(Resolver404):
        get_resolver().resolve("/")
    done = []
    for name, loader in _loaders.items():
        try:
            loader()
        except Exception:  # a warm-up never stops the server
            logger.exception("warm-up %s failed", name)
            continue
        done.append(name)
    connections.close_all()
    return done
