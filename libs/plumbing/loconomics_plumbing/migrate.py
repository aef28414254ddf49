"""Alembic, run as its own step (never by a service at start), for any service package.

    python -m loconomics_plumbing.migrate upgrade profiles booking ...
    python -m loconomics_plumbing.migrate revision booking -m "add time off"

A service's `migrations/env.py` is two lines: import its metadata, call `run_env`.
"""

from __future__ import annotations

import argparse
import importlib.resources
import shutil
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from . import config


def alembic_config(service_name: str, url: str | None = None) -> Config:
    settings = Config()
    settings.set_main_option("script_location", f"loconomics_{service_name}:migrations")
    settings.set_main_option("sqlalchemy.url", url or config.database_url(service_name))
    return settings


def upgrade(service_name: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(service_name, url), "head")


def run_env(metadata: MetaData) -> None:
    """The body of every service's migrations/env.py."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loconomics-migrate")
    sub = parser.add_subparsers(dest="action", required=True)
    up = sub.add_parser("upgrade", help="bring each named service's database to head")
    up.add_argument("services", nargs="+")
    rev = sub.add_parser("revision", help="autogenerate a revision from a service's models")
    rev.add_argument("service")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    if args.action == "upgrade":
        for service in args.services:
            upgrade(service)
            print(f"migrated {service}")
    else:
        autogenerate_revision(args.service, args.message)
    return 0


def autogenerate_revision(service_name: str, message: str) -> None:
    """Write a revision from the models, using the one template all services share."""
    folder = importlib.resources.files(f"loconomics_{service_name}") / "migrations"
    template = importlib.resources.files("loconomics_plumbing") / "templates" / "script.py.mako"
    target = folder / "script.py.mako"
    shutil.copyfile(str(template), str(target))
    try:
        command.revision(alembic_config(service_name), message=message, autogenerate=True)
    finally:
        target.unlink()


if __name__ == "__main__":
    sys.exit(main())
