"""Fixtures shared by profiles' unit tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from loconomics_profiles.domain.catalog import seed_catalog
from loconomics_profiles.models import Base

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

MakeWork = Callable[..., UnitOfWork]


@pytest.fixture
def make_work(tmp_path) -> Iterator[MakeWork]:
    """`make_work(clock, catalog_seeded_at=None)`: a unit of work on a fresh profiles database
    whose clock says `clock`, with the job-title catalog seeded when a time is given."""
    engine = make_engine(f"sqlite:///{tmp_path / 'profiles.sqlite3'}")
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    made: list[UnitOfWork] = []

    def make(clock: datetime | None = None, catalog_seeded_at: datetime | None = None):
        if catalog_seeded_at is not None:
            with sessions() as session:
                seed_catalog(session, catalog_seeded_at)
                session.commit()
        made.append(UnitOfWork(sessions(), Base.metadata, clock=lambda: clock or NOW))
        return made[-1]

    yield make
    for unit in made:
        unit.close()
    engine.dispose()


@pytest.fixture
def work(make_work) -> UnitOfWork:
    """A unit of work whose clock says NOW (a module may give its own `work`)."""
    return make_work(NOW)
