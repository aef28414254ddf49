"""The profiles nameko service: entrypoints only; the rules live in `domain`."""

from __future__ import annotations

from loconomics_plumbing import clock
from loconomics_plumbing.dependencies import CallerIdentity, Database
from loconomics_plumbing.entrypoints import handles, rpc
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry
from loconomics_plumbing.tokens import issue_access_token
from loconomics_plumbing.validation import load

from .domain import accounts
from .models import Base
from .schemas import (
    AccountSchema,
    LogInSchema,
    OwnerStatusChangedEventSchema,
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
        token, lifetime = issue_access_token(account.id, account.roles, clock.now())
        return SessionSchema().dump(
            {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
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
