"""Protecting many generated identifiers at once, exactly as ``registry.services.protection``
does one by one.

The per-value functions look the key up, build the cipher and the keyed hash and draw a nonce
for every value; for 120,000 residents that bookkeeping costs more than the cryptography. Here
the key, the cipher and the keyed-hash template are set up once, the nonces come from one
``os.urandom`` call, and the stored forms are the same: ``<key id>$<nonce>$<ciphertext>``
(AES-256-GCM under the current key, with the same associated data) and the HMAC-SHA256 of the
normalised value, so ``decrypt_text`` and ``lookup_hash`` accept them unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from gridgov.registry.services.protection import ID_NUMBER_CONTEXT, PHONE_CONTEXT, Protected

NONCE_BYTES = 12


def encrypt_many(values: Sequence[str], *, associated_data: str) -> list[str]:
    """``encrypt_text(value, associated_data=…)`` for every value, each with its own nonce."""
    key_id, key = settings.FIELD_ENCRYPTION_KEYS[0]
    encrypt = AESGCM(key).encrypt
    aad = associated_data.encode()
    encode = base64.urlsafe_b64encode
    nonces = os.urandom(NONCE_BYTES * len(values))
    stored = []
    for index, value in enumerate(values):
        nonce = nonces[index * NONCE_BYTES : (index + 1) * NONCE_BYTES]
        ciphertext = encrypt(nonce, value.encode("utf-8"), aad)
        stored.append(f"{key_id}${encode(nonce).decode()}${encode(ciphertext).decode()}")
    return stored


def hash_many(values: Sequence[str]) -> list[str]:
    """``lookup_hash(value)`` for every value."""
    template = hmac.new(settings.LOOKUP_HASH_KEY.encode("utf-8"), digestmod=hashlib.sha256)
    hashes = []
    for value in values:
        mac = template.copy()
        mac.update(value.strip().upper().encode("utf-8"))
        hashes.append(mac.hexdigest())
    return hashes


def protect_id_numbers(numbers: Sequence[str]) -> list[Protected]:
    """``protect_id_number`` for every (normalised) number."""
    encrypted = encrypt_many(numbers, associated_data=ID_NUMBER_CONTEXT)
    hashes = hash_many(numbers)
    return [
        Protected(
            encrypted=cipher,
            hash=digest,
            prefix=number[:6] if len(number) == 18 else number[:2],
            last4=number[-4:],
        )
        for number, cipher, digest in zip(numbers, encrypted, hashes, strict=True)
    ]


def protect_phones(numbers: Sequence[str]) -> list[Protected]:
    """``protect_phone`` for every (normalised) phone number."""
    encrypted = encrypt_many(numbers, associated_data=PHONE_CONTEXT)
    hashes = hash_many(numbers)
    return [
        Protected(encrypted=cipher, hash=digest, prefix=number[:3], last4=number[-4:])
        for number, cipher, digest in zip(numbers, encrypted, hashes, strict=True)
    ]
