"""Who a signed-in account is in the registry (实名认证): the person behind a resident's account."""

from __future__ import annotations

from typing import Any

from gridgov.registry.models import Person, PersonAccount


def person_for_account(actor: Any) -> Person | None:
    """The registry person ``actor`` is linked to, or ``None`` (anonymous or not linked).

    Reading one's own record needs no permission; it is the only person this returns.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    link = PersonAccount.objects.select_related("person").filter(user_id=actor.pk).first()
    return link.person if link else None
