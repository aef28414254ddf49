"""Tokens shown once (a refresh token, a password reset link) and kept only as their hash."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored and looked up: SHA-256 of the token, in hex (the token is random, so no
    salt or slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
