"""Bring the job-title catalog of the profiles database up to date; run after every migration.

    python -m loconomics_profiles.seed_catalog

Idempotent: new seeded titles are added, changed names, aliases and criteria are updated, and
proposals and listings are left alone. Run with the service's environment (its
`PROFILES_DATABASE_URL`). Kept out of the migrations so the catalog ships with the code that
reads it and a deploy refreshes it without a new revision.
"""

from __future__ import annotations

import sys

from loconomics_plumbing import clock, config
from loconomics_plumbing.storage import make_engine, session_factory

from .domain.catalog import seed_catalog


def main() -> int:
    engine = make_engine(config.database_url("profiles"))
    try:
        with session_factory(engine)() as session, session.begin():
            written = seed_catalog(session, clock.now())
    finally:
        engine.dispose()
    print(f"job-title catalog: {written} titles added or updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
