"""Field encryption and keyed lookup hashes for personal data (DESIGN D6; GB/T 35273).

Values are encrypted with AES-256-GCM under the current key and stored as
``<key id>$<nonce>$<ciphertext>`` (URL-safe base64), so old values stay readable after a
key rotation; ``reencrypt_text`` moves a value to the current key (the rotation procedure is in
``docs/operations.md``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


class DecryptionError(ValueError):
    """A stored value cannot be decrypted with any configured key."""


def _keys() -> dict[str, bytes]:
    return dict(settings.FIELD_ENCRYPTION_KEYS)


def current_key_id() -> str:
    key_id: str = settings.FIELD_ENCRYPTION_KEYS[0][0]
    return key_id


@lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    """One cipher object per key: building it is most of the cost of a short value."""
    return AESGCM(key)


@lru_cache(maxsize=4)
def _hmac_template(key: bytes) -> hmac.HMAC:
    """A keyed HMAC to ``copy()``, so the key schedule is computed once per key."""
    return hmac.new(key, digestmod=hashlib.sha256)


def encrypt_text(plaintext: str, *, associated_data: str = "") -> str:
    key_id, key = settings.FIELD_ENCRYPTION_KEYS[0]
    nonce = os.urandom(12)
    ciphertext = _cipher(key).encrypt(nonce, plaintext.encode("utf-8"), associated_data.encode())
    encode = base64.urlsafe_b64encode
    return f"{key_id}${encode(nonce).decode()}${encode(ciphertext).decode()}"


def decrypt_text(stored: str, *, associated_data: str = "") -> str:
    try:
        key_id, nonce_b64, ciphertext_b64 = stored.split("$")
    except ValueError as error:
        raise DecryptionError("malformed encrypted value") from error
    key = _keys().get(key_id)
    if key is None:
        raise DecryptionError(f"no key configured with id {key_id!r}")
    try:
        plaintext = _cipher(key).decrypt(
            base64.urlsafe_b64decode(nonce_b64),
            base64.urlsafe_b64decode(ciphertext_b64),
            associated_data.encode(),
        )
    except Exception as error:  # cryptography raises InvalidTag without detail
        raise DecryptionError("value does not decrypt (wrong key or tampered)") from error
    return plaintext.decode("utf-8")


def key_id_of(stored: str) -> str:
    return stored.split("$", 1)[0]


def needs_reencryption(stored: str) -> bool:
    """Whether a stored value is under an older key than the current one."""
    return key_id_of(stored) != current_key_id()


def reencrypt_text(stored: str, *, associated_data: str = "") -> str:
    """The same plaintext under the current key (unchanged if it is already)."""
    if not needs_reencryption(stored):
        return stored
    plaintext = decrypt_text(stored, associated_data=associated_data)
    return encrypt_text(plaintext, associated_data=associated_data)


def lookup_hash(value: str) -> str:
    """A keyed hash for exact-match search on an encrypted value (HMAC-SHA256)."""
    mac = _hmac_template(settings.LOOKUP_HASH_KEY.encode("utf-8")).copy()
    mac.update(value.strip().upper().encode("utf-8"))
    return mac.hexdigest()
