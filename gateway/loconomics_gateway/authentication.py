"""Who is calling: a signed access token, whose log-in session has not been revoked.

Tokens are checked locally; whether their session is still open is asked of
profiles and remembered for a few seconds per worker, so log-out takes effect
everywhere within that time and at once on the worker that handled it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import falcon
from loconomics_plumbing import clock
from loconomics_plumbing.errors import Unauthorized
from loconomics_plumbing.identity import Caller
from loconomics_plumbing.tokens import AccessClaims, verify_access_token

from .rpc import RpcPool

MAX_REMEMBERED = 10_000


class Authenticator:
    def __init__(self, pool_of: Callable[[], RpcPool], remember_seconds: float):
        self.pool_of = pool_of
        self.remember_seconds = remember_seconds
        self._open_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def claims(self, req: falcon.Request) -> AccessClaims | None:
        header = req.get_header("Authorization") or ""
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send `Authorization: Bearer <access_token>`.")
        return verify_access_token(token.strip(), clock.now())

    def caller(self, req: falcon.Request, required: bool) -> Caller:
        claims = self.claims(req)
        if claims is None:
            if required:
                raise Unauthorized("Send `Authorization: Bearer <access_token>`.")
            return Caller()
        if claims.session_id and not self.session_open(claims.session_id):
            raise Unauthorized("This session has been closed; please log in again.")
        req.context.session_id = claims.session_id
        return Caller(claims.user_id, claims.roles)

    def session_open(self, session_id: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._open_until.get(session_id, 0.0) > now:
                return True
        answer = self.pool_of().call("profiles", "check_session", session_id=session_id)
        if not answer.get("active"):
            self.forget(session_id)
            return False
        with self._lock:
            if len(self._open_until) > MAX_REMEMBERED:
                self._open_until.clear()
            self._open_until[session_id] = now + self.remember_seconds
        return True

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._open_until.pop(session_id, None)
