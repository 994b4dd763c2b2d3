"""The live board rendered once and shared by all its viewers for about a second.

Five hundred owners and the committee may watch one vote's board; what it shows depends on the
vote only — the tally, or for a vote sealed until its close only the number of ballots, the
same to everyone — never on the viewer. So the rendered board of a vote (for each kind of page
and language) is kept in Django's cache, stamped with the time it was made, and handed to every
viewer for ``BOARD_SHARED_SECONDS``: a ballot shows on every board at most that long after it is
cast. The access check is not shared: each request passes it (``vote_board_get_for_actor``)
before it gets the board. The vote's status and visibility are part of the key, so the final
count replaces the live one at once when the vote closes.

Django's cache is process-local (LocMem) unless a shared one is configured; each web process
then renders a busy vote's board about once a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from gridgov.participation.models import Vote

BOARD_SHARED_SECONDS = 1.0
# How long the cache backend keeps a board at all; freshness is decided by its stamp.
_KEPT_SECONDS = 10


def _now() -> float:
    """Wall-clock seconds (comparable across processes when the cache is shared)."""
    return time.time()


def _key(vote: Vote, page: str) -> str:
    return f"participation:board:{vote.pk}:{vote.status}:{vote.visibility}:{page}:{get_language()}"


def shared_board(vote: Vote, *, page: str, render: Callable[[], str]) -> SafeString:
    """The board of ``vote`` on ``page`` (``owner`` or ``staff``): the shared copy if it is
    younger than ``BOARD_SHARED_SECONDS``, else ``render()``'s, which becomes the shared copy.
    The caller has checked that the actor may see the vote."""
    key = _key(vote, page)
    now = _now()
    found = cache.get(key)
    if found is not None:
        made_at, html = found
        if 0 <= now - made_at < BOARD_SHARED_SECONDS:
            return mark_safe(html)  # noqa: S308 - our own template's output, shared as-is
    html = str(render())
    cache.set(key, (now, html), timeout=_KEPT_SECONDS)
    return mark_safe(html)  # noqa: S308 - our own template's output
