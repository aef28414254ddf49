"""Short-lived signed access tokens: issued by profiles at log-in, checked by the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from . import config
from .errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "loconomics"
# Times are judged by the platform's clock (movable in tests), not by the library's own.
CLOCK_SKEW_SECONDS = 60


def access_token_seconds() -> int:
    return config.int_setting("LOCONOMICS_ACCESS_TOKEN_SECONDS", 900)


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    roles: frozenset[str]
    session_id: str | None
    expires_at: datetime


def issue_access_token(
    user_id: str, roles: list[str], now: datetime, session_id: str | None = None
) -> tuple[str, int]:
    """Return the token and its lifetime in seconds."""
    lifetime = access_token_seconds()
    claims = {
        "iss": ISSUER,
        "sub": user_id,
        "roles": sorted(roles),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, config.token_secret(), algorithm=ALGORITHM), lifetime


def verify_access_token(token: str, now: datetime) -> AccessClaims:
    """The claims of a genuine, unexpired access token; `Unauthorized` for anything else."""
    try:
        claims = jwt.decode(
            token,
            config.token_secret(),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": ["exp", "sub", "iat"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise Unauthorized("The access token is not valid.") from None
    if claims.get("typ") != "access":
        raise Unauthorized("The access token is not valid.")
    if claims["iat"] > now.timestamp() + CLOCK_SKEW_SECONDS:
        raise Unauthorized("The access token is not valid yet.")
    expires_at = datetime.fromtimestamp(claims["exp"], now.tzinfo)
    if expires_at <= now:
        raise Unauthorized("The access token has expired.")
    return AccessClaims(
        user_id=str(claims["sub"]),
        roles=frozenset(claims.get("roles") or ()),
        session_id=claims.get("sid"),
        expires_at=expires_at,
    )
