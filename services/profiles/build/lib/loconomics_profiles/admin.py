"""Operator commands on the profiles database: who is an administrator of the cooperative.

    python -m loconomics_profiles.admin grant-admin ana@example.org
    python -m loconomics_profiles.admin revoke-admin ana@example.org

Run with the same environment as the service (its `PROFILES_DATABASE_URL`). The
account must log in again for its token to carry the new role.
"""

from __future__ import annotations

import argparse
import sys

from loconomics_plumbing import config
from loconomics_plumbing.storage import make_engine, session_factory
from sqlalchemy import delete, select

from .domain.accounts import normalise_email
from .models import Account, AccountRole


def set_admin(email: str, admin: bool) -> bool:
    engine = make_engine(config.database_url("profiles"))
    with session_factory(engine)() as session, session.begin():
        account = session.scalar(select(Account).where(Account.email == normalise_email(email)))
        if account is None:
            return False
        is_admin = "admin" in account.roles
        if admin and not is_admin:
            session.add(AccountRole(account_id=account.id, role="admin"))
        if not admin and is_admin:
            session.execute(
                delete(AccountRole).where(
                    AccountRole.account_id == account.id, AccountRole.role == "admin"
                )
            )
    engine.dispose()
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loconomics-profiles-admin")
    parser.add_argument("action", choices=["grant-admin", "revoke-admin"])
    parser.add_argument("email")
    args = parser.parse_args(argv)
    if not set_admin(args.email, args.action == "grant-admin"):
        print(f"no account with email {args.email}", file=sys.stderr)
        return 1
    print(f"{args.action}: {args.email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
