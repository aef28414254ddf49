"""The profiles nameko service: entrypoints only; the rules live in `domain`."""

from __future__ import annotations

from loconomics_plumbing import clock
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import handles, rpc
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from loconomics_plumbing.tokens import issue_access_token
from loconomics_plumbing.validation import load

from .domain import accounts, login_sessions
from .models import Base
from .schemas import (
    AccountSchema,
    LogInSchema,
    OwnerStatusChangedEventSchema,
    RefreshSchema,
    SessionCheckSchema,
    SessionSchema,
    SignUpSchema,
)


class ProfilesService(Health):
    name = "profiles"

    db = Database(Base.metadata)
    caller = CallerIdentity()
    telemetry = Telemetry()

    @rpc
    def sign_up(self, **fields) -> dict:
        data = load(SignUpSchema(), fields)
        account = accounts.sign_up(self.db.session, self.db.emit, now=clock.now(), **data)
        return AccountSchema().dump(account)

    @rpc
    def log_in(self, **fields) -> dict:
        data = load(LogInSchema(), fields)
        account = accounts.log_in(self.db.session, **data)
        login, refresh_token = login_sessions.open_session(self.db.session, account, clock.now())
        return self._session_answer(account, login, refresh_token)

    @rpc
    def refresh_session(self, **fields) -> dict:
        data = load(RefreshSchema(), fields)
        try:
            account, login, refresh_token = login_sessions.rotate(
                self.db.session, data["refresh_token"], clock.now()
            )
        except login_sessions.RefreshTokenReused:
            self.db.commit()
            raise
        return self._session_answer(account, login, refresh_token)

    @rpc
    def log_out(self, **fields) -> dict:
        data = load(SessionCheckSchema(), fields)
        login_sessions.close(
            self.db.session, data["session_id"], self.caller.require_user(), clock.now()
        )
        return {"logged_out": True}

    @rpc
    def check_session(self, **fields) -> dict:
        data = load(SessionCheckSchema(), fields)
        active = login_sessions.is_active(self.db.session, data["session_id"], clock.now())
        return {"active": active}

    def _session_answer(self, account, login, refresh_token: str) -> dict:
        now = clock.now()
        token, lifetime = issue_access_token(account.id, account.roles, now, session_id=login.id)
        return SessionSchema().dump(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "refresh_token": refresh_token,
                "refresh_expires_in": int((login.expires_at - now).total_seconds()),
            }
        )

    @rpc
    def get_me(self) -> dict:
        account = accounts.get_account(self.db.session, self.caller.require_user())
        return AccountSchema().dump(account)

    @handles("billing", "owner_status_changed")
    def on_owner_status_changed(self, payload: dict) -> None:
        change = load(OwnerStatusChangedEventSchema(), payload)
        accounts.apply_owner_status(
            self.db.session,
            user_id=change["user_id"],
            status=change["to"],
            changed_at=change["changed_at"],
        )
