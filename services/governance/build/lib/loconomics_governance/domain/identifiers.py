"""Opaque ids and voters' receipt codes, all from the operating system's CSPRNG."""

from __future__ import annotations

import secrets

RECEIPT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECEIPT_LENGTH = 10


def new_id() -> str:
    """128 random bits as hex: never sequential, so an id says nothing about when it was made."""
    return secrets.token_hex(16)


def new_receipt() -> str:
    """Ten base32 characters (50 bits): short enough to copy, random enough not to guess."""
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
