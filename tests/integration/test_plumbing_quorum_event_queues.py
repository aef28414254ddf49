"""Event handler queues as quorum queues (LOCONOMICS_EVENT_QUEUE_TYPE=quorum), on the real
broker: a nameko process whose `handles` entrypoint declares a quorum queue, which RabbitMQ's
management API reports as such, and which still delivers every event to the handler."""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from local_platform import BIN, ROOT, Platform
from nameko.standalone.events import event_dispatcher

pytestmark = pytest.mark.integration

SOURCE, EVENT = "quorum_source", "probe_sent"
QUEUE = f"evt-{SOURCE}-{EVENT}--quorum_probe.on_probe"

PROBE_SERVICE = '''
import json
import os

from loconomics_plumbing.entrypoints import handles
from nameko.extensions import DependencyProvider


class Journal:
    """Stands in for the database unit of work: every event is new, the file is the change."""

    def first_time(self, key):
        return True

    def commit(self):
        pass

    def rollback(self):
        pass


class JournalProvider(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return Journal()


class QuorumProbe:
    name = "quorum_probe"
    db = JournalProvider()

    @handles("quorum_source", "probe_sent")
    def on_probe(self, payload):
        with open(os.environ["PROBE_JOURNAL"], "a") as journal:
            journal.write(json.dumps(payload) + "\\n")
'''


@pytest.fixture
def probe(tmp_path: Path):
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    platform = Platform.isolated(tmp_path / "var", amqp_port)
    platform.start_broker()
    (tmp_path / "quorum_probe.py").write_text(PROBE_SERVICE)
    journal = tmp_path / "journal.jsonl"
    env = platform.env()
    env.update(
        {
            "LOCONOMICS_EVENT_QUEUE_TYPE": "quorum",
            "PYTHONPATH": str(tmp_path),
            "PROBE_JOURNAL": str(journal),
        }
    )
    argv = [
        str(BIN / "nameko"), "run", "--config", str(ROOT / "deploy/local/nameko.yaml"),
        "quorum_probe:QuorumProbe",
    ]
    platform.spawn("quorum-probe", argv, env)
    try:
        yield platform, journal
    finally:
        platform.stop_processes(platform.process_names())
        with contextlib.suppress(OSError):
            platform.drop_vhost()


def queue_details(platform: Platform, timeout: float = 30.0) -> dict:
    """The handler's queue as the management API shows it, once the service declared it."""
    path = f"/api/queues/{urllib.parse.quote(platform.vhost, safe='')}/{QUEUE}"
    deadline = time.monotonic() + timeout
    while True:
        platform.check_alive()
        try:
            details = json.loads(platform.management("GET", path))
            if details.get("consumers", 0) >= 1:
                return details
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{QUEUE} has no consumer:\n{platform.log_tails()}")
        time.sleep(0.3)


def test_the_handler_queue_is_a_quorum_queue_and_events_are_handled(probe):
    platform, journal = probe
    details = queue_details(platform)
    assert details["type"] == "quorum"
    assert details["arguments"]["x-queue-type"] == "quorum"
    assert details["durable"] is True
    assert details["auto_delete"] is False
    assert details["exclusive"] is False

    dispatch = event_dispatcher({"AMQP_URI": platform.amqp_uri})
    sent = [str(uuid.uuid4()) for _ in range(3)]
    for event_id in sent:
        dispatch(SOURCE, EVENT, {"event_id": event_id, "occurred_at": "2025-01-01T00:00:00Z"})

    deadline = time.monotonic() + 20
    handled: list[str] = []
    while time.monotonic() < deadline:
        if journal.exists():
            handled = [json.loads(line)["event_id"] for line in journal.read_text().splitlines()]
        if sorted(handled) == sorted(sent):
            break
        time.sleep(0.2)
    assert sorted(handled) == sorted(sent), platform.log_tails()
