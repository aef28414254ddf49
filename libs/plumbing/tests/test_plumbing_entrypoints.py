"""The entrypoint decorators: commit before answering, typed errors out, each event once."""

from __future__ import annotations

import pytest
from loconomics_plumbing import entrypoints
from loconomics_plumbing.entrypoints import every, handles, rpc
from loconomics_plumbing.errors import Conflict, Invalid, NotFound, Unavailable
from loconomics_plumbing.storage import (
    UnitOfWork,
    add_plumbing_tables,
    make_engine,
    session_factory,
)
from loconomics_plumbing.validation import StrictSchema, load
from marshmallow import fields
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import OperationalError

metadata = MetaData()
members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), unique=True),
)
add_plumbing_tables(metadata)


class JoinSchema(StrictSchema):
    name = fields.String(required=True)


class MemberNotFound(NotFound):
    pass


class DeadlockDetected(Exception):
    sqlstate = "40P01"


class Register:
    def __init__(self, db: UnitOfWork):
        self.db = db
        self.tries = 0

    @rpc
    def join(self, **fields):
        data = load(JoinSchema(), fields)
        self.db.session.execute(insert(members).values(name=data["name"]))
        self.db.emit("member_joined", data)
        return {"name": data["name"]}

    @rpc
    def find(self, name: str):
        raise MemberNotFound(f"no {name}", {"name": ["unknown"]})

    @rpc
    def busy(self):
        self.tries += 1
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    @rpc
    def join_after_deadlocks(self, name: str, deadlocks: int):
        """Joins, but the database aborts the first `deadlocks` tries as a deadlock victim."""
        self.tries += 1
        self.db.session.execute(insert(members).values(name=f"{name}-{self.tries}"))
        self.db.emit("member_joined", {"name": name})
        if self.tries <= deadlocks:
            raise OperationalError("INSERT", {}, DeadlockDetected())
        return {"name": name, "tries": self.tries}

    @handles("billing", "owner_status_changed")
    def on_owner(self, payload: dict):
        if payload.get("name") == "poison":
            raise Invalid("bad payload", {"name": ["poison"]})
        self.db.session.execute(insert(members).values(name=payload["name"]))
        if payload.get("locked"):
            raise OperationalError("INSERT", {}, Exception("database is locked"))

    @every(30)
    def tick(self):
        self.db.emit("ticked", {})


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'register.sqlite3'}")
    metadata.create_all(engine)
    return engine


def service(engine) -> Register:
    return Register(UnitOfWork(session_factory(engine)(), metadata))


def count(engine, table=members) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_an_rpc_commits_before_it_answers(engine):
    assert service(engine).join(name="ana") == {"name": "ana"}
    assert count(engine) == 1
    assert count(engine, metadata.tables["outbox_events"]) == 1


def test_bad_input_and_duplicates_are_typed_and_change_nothing(engine):
    register = service(engine)
    with pytest.raises(Invalid) as raised:
        register.join(nmae="ana")
    assert set(raised.value.errors) == {"name", "nmae"}
    register.join(name="ana")
    with pytest.raises(Conflict):
        register.join(name="ana")
    assert count(engine) == 1
    assert count(engine, metadata.tables["outbox_events"]) == 1


def test_a_services_own_error_class_leaves_as_its_typed_base(engine):
    with pytest.raises(NotFound) as raised:
        service(engine).find(name="bo")
    assert type(raised.value) is NotFound
    assert raised.value.errors == {"name": ["unknown"]}


def test_a_busy_database_is_unavailable_not_a_crash(engine):
    with pytest.raises(Unavailable):
        service(engine).busy()


def test_a_deadlock_victim_is_tried_again_and_only_its_last_try_stays(engine):
    register = service(engine)
    assert register.join_after_deadlocks(name="ed", deadlocks=2) == {"name": "ed", "tries": 3}
    with engine.connect() as conn:
        names = conn.execute(select(members.c.name)).scalars().all()
    assert names == ["ed-3"]
    assert count(engine, metadata.tables["outbox_events"]) == 1


def test_a_deadlock_that_keeps_coming_back_is_unavailable_and_changes_nothing(engine):
    register = service(engine)
    with pytest.raises(Unavailable):
        register.join_after_deadlocks(name="fay", deadlocks=3)
    assert register.tries == 3
    assert count(engine) == 0
    assert count(engine, metadata.tables["outbox_events"]) == 0


def test_a_locked_database_is_answered_at_once_not_tried_again(engine):
    register = service(engine)
    with pytest.raises(Unavailable):
        register.busy()
    assert register.tries == 1


def test_an_event_is_applied_once_and_a_poison_one_is_dropped(engine):
    register = service(engine)
    event = {"event_id": "e-1", "name": "cy"}
    register.on_owner(event)
    register.on_owner(event)
    assert count(engine) == 1
    assert register.on_owner({"event_id": "e-2", "name": "poison"}) is None
    assert count(engine) == 1
    register.on_owner({"event_id": "e-2", "name": "di"})
    assert count(engine) == 2


def test_an_event_that_meets_a_busy_database_or_a_clash_is_requeued_not_dropped(
    engine, monkeypatch
):
    """Either could pass on the next delivery: dropping the event would lose it for good."""
    monkeypatch.setattr(entrypoints.time, "sleep", lambda seconds: None)
    register = service(engine)
    register.on_owner({"event_id": "e-1", "name": "cy"})
    with pytest.raises(Unavailable):
        register.on_owner({"event_id": "e-2", "name": "di", "locked": True})
    with pytest.raises(Conflict):
        register.on_owner({"event_id": "e-3", "name": "cy"})
    assert count(engine) == 1
    register.on_owner({"event_id": "e-2", "name": "di"})
    assert count(engine) == 2, "the requeued event is applied on its next delivery"


def test_a_timer_commits_its_work(engine):
    service(engine).tick()
    assert count(engine, metadata.tables["outbox_events"]) == 1
