"""Reading settings from the environment.

Behaviour is switched by variables; in the production profile a missing secret is an error
at start-up rather than a silent default (see ``docs/operations.md`` for the full list).
"""

from __future__ import annotations

import os
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
