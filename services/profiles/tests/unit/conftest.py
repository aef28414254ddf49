"""Fixtures shared by profiles' unit tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from loconomics_plumbing.storage import UnitOfWork, make_engine, session_factory
from loconomics_profiles.models import Base

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.fixture
def work(tmp_path):
    """A unit of work on a fresh profiles database whose clock says NOW (a module may give
    its own `work`)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'profiles.sqlite3'}")
    Base.metadata.create_all(engine)
    unit = UnitOfWork(session_factory(engine)(), Base.metadata, clock=lambda: NOW)
    yield unit
    unit.close()
    engine.dispose()
