"""Open311 client systems and their API keys.

A platform administrator issues a key to a named client system; the key is shown once and
only its SHA-256 digest is stored, so a copy of the database does not hand out working keys.
A revoked key is refused from the moment it is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.cases.models import ApiClient
from gridgov.core.audit import audit_record

KEY_BYTES = 32
PREFIX_LENGTH = 8


def key_digest(key: str) -> str:
    """The stored form of a key: its SHA-256 digest in hex."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def _require_manager(actor: Any) -> None:
    if actor is None or not has_permission(actor, Perm.OPEN311_CLIENTS):
        raise PermissionDenied(_("Only a platform administrator manages Open311 clients."))


@transaction.atomic
def api_client_issue(*, actor: Any, name: str, contact: str = "") -> tuple[ApiClient, str]:
    """Issue a key to the client system ``name``. Returns the client and the key in clear,
    which is never stored and cannot be shown again."""
    _require_manager(actor)
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Name the client system.")]}, code="required")
    key = secrets.token_urlsafe(KEY_BYTES)
    client = ApiClient.objects.create(
        name=name[:100],
        contact=contact.strip()[:200],
        key_hash=key_digest(key),
        key_prefix=key[:PREFIX_LENGTH],
        issued_by=actor if getattr(actor, "pk", None) else None,
        issued_at=timezone.now(),
    )
    audit_record(
        actor=actor if getattr(actor, "pk", None) else None,
        action="cases.api_client_issue",
        target=client,
        object_label=client.name,
        changes={"key_prefix": client.key_prefix},
    )
    return client, key


@transaction.atomic
def api_client_revoke(*, actor: Any, client_id: int) -> ApiClient:
    """Revoke a client's key; revoking twice keeps the first time."""
    _require_manager(actor)
    client = ApiClient.objects.select_for_update().filter(pk=client_id).first()
    if client is None:
        raise ValidationError(_("This client system does not exist."), code="not_found")
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="cases.api_client_revoke",
            target=client,
            object_label=client.name,
        )
    return client


def api_client_for_key(key: str, *, now: datetime | None = None) -> ApiClient | None:
    """The active client holding ``key``, or None. Records when the key was last used."""
    key = (key or "").strip()
    if not key:
        return None
    client = ApiClient.objects.filter(key_hash=key_digest(key), revoked_at__isnull=True).first()
    if client is None:
        return None
    moment = now or timezone.now()
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=moment)
    client.last_used_at = moment
    return client
