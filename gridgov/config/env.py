"""Reading settings from the environment.

Behaviour is switched by variables; in the production profile a missing secret is an error
at start-up rather than a silent default (see ``docs/operations.md`` for the full list).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path


class ImproperlyConfiguredError(RuntimeError):
    """A required setting is missing or malformed."""


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredError(f"{name} must be a boolean (true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ImproperlyConfiguredError(f"{name} must be an integer, got {value!r}") from error


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def development_secret(var_dir: Path, name: str, nbytes: int = 32) -> str:
    """Return a secret generated once for this checkout and kept under ``var/``.

    Development and demo runs need stable secrets (sessions survive a restart, encrypted
    values stay readable) but must never ship one in the repository.
    """
    secrets_dir = var_dir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    path = secrets_dir / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)
    return value


_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def parse_field_keys(raw: str, name: str = "GRIDGOV_FIELD_KEYS") -> list[tuple[str, bytes]]:
    """``"id:base64key,id:base64key"`` → [(id, 32-byte key)], the first key encrypting.

    Every listed key decrypts, so keys rotate without rewriting every row at once
    (``docs/operations.md``). Refuses anything that is not a 32-byte AES-256 key.
    """
    keys: list[tuple[str, bytes]] = []
    for item in raw.split(","):
        key_id, separator, encoded = item.strip().partition(":")
        if not separator or not _KEY_ID.match(key_id):
            raise ImproperlyConfiguredError(
                f"{name} entries must be 'id:base64key' with an id of letters, digits, - or _"
            )
        try:
            # Standard or URL-safe alphabet; anything else is refused, not silently dropped.
            standard = encoded.strip().replace("-", "+").replace("_", "/")
            key = base64.b64decode(standard.encode("ascii"), validate=True)
        except ValueError as error:  # binascii.Error and UnicodeEncodeError included
            raise ImproperlyConfiguredError(f"{name}: key {key_id!r} is not base64") from error
        if len(key) != 32:
            raise ImproperlyConfiguredError(
                f"{name}: key {key_id!r} must decode to 32 bytes (AES-256), got {len(key)}"
            )
        if key_id in {existing for existing, _key in keys}:
            raise ImproperlyConfiguredError(f"{name}: key id {key_id!r} is listed twice")
        keys.append((key_id, key))
    return keys
