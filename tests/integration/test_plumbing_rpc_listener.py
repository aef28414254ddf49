"""Our `@rpc` transport (`loconomics_plumbing.rpc_transport.RpcListener`) on the real broker.

A probe service runs under `nameko run` with the platform's nameko.yaml on the test node
(TEST_AMQP_PORT, default 5673), in a virtual host of its own. It is called the two ways the
platform calls a service: the gateway's client, with replies over direct reply-to, and
nameko's own cluster proxy (as one service calls another), with replies through a reply
queue. Then it is stopped, killed and cut off from the broker while calls are in flight.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import amqp
import pytest
from local_platform import BIN, ROOT, Platform
from loconomics_gateway.rpc import RpcPool
from loconomics_plumbing.errors import NotFound
from loconomics_plumbing.identity import Caller
from nameko.exceptions import IncorrectSignature, MethodNotFound, RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from polling import wait_for

pytestmark = pytest.mark.integration

SERVICE = "listener_probe"
QUEUE = f"rpc-{SERVICE}"

PROBE_SERVICE = """
import time

from loconomics_plumbing.dependencies import CallerIdentity
from loconomics_plumbing.entrypoints import rpc
from loconomics_plumbing.errors import NotFound


class Probe:
    name = "listener_probe"
    caller = CallerIdentity()
    running = 0
    most_running = 0
    finished = []

    @rpc
    def echo(self, **fields):
        return {"fields": fields, "user_id": self.caller.user_id}

    @rpc
    def hold(self, seconds, tag=""):
        Probe.running += 1
        Probe.most_running = max(Probe.most_running, Probe.running)
        try:
            time.sleep(seconds)
        finally:
            Probe.running -= 1
        Probe.finished.append(tag)
        return tag

    @rpc
    def counts(self):
        return {"running": Probe.running, "most_running": Probe.most_running,
                "finished": Probe.finished}

    @rpc
    def refuse(self):
        raise NotFound("No such professional.")

    @rpc
    def unencodable(self):
        return {"when": object()}
"""


class Probes:
    """Copies of the probe service, each a `nameko run` process of its own."""

    def __init__(self, platform: Platform, folder: Path):
        self.platform = platform
        self.folder = folder
        (folder / "listener_probe.py").write_text(PROBE_SERVICE)
        self.pool = RpcPool(platform.amqp_uri, size=24, timeout=20)
        self.copies = 0
        self.alive: set[str] = set()

    def start(self, max_workers: int = 10) -> str:
        self.copies += 1
        name = f"probe-{self.copies}"
        env = self.platform.env()
        env.update({"PYTHONPATH": str(self.folder), "NAMEKO_MAX_WORKERS": str(max_workers)})
        argv = [
            str(BIN / "nameko"), "run", "--config", str(ROOT / "deploy/local/nameko.yaml"),
            "listener_probe:Probe",
        ]  # fmt: skip
        self.platform.spawn(name, argv, env)
        self.alive.add(name)
        # one consumer per living copy: a copy just stopped or killed may still be counted
        # until the broker notices its connection closed, so the count is not read before
        self.wait_consumers(len(self.alive))
        return name

    def stop(self, names: list[str]) -> list[str]:
        """Stop copies gracefully (SIGTERM, waiting for them to exit); the names stopped."""
        stopped = self.platform.stop_processes(names)
        self.alive.difference_update(names)
        return stopped

    def kill(self, name: str) -> None:
        os.kill(self.platform.pid_of(name), signal.SIGKILL)
        self.alive.discard(name)

    def consumers(self) -> int:
        """The queue's consumers, from the broker itself (management figures lag)."""
        connection = broker_connection(self.platform)
        try:
            return connection.channel().queue_declare(QUEUE, passive=True).consumer_count
        except amqp.exceptions.NotFound:  # not declared yet
            return 0
        finally:
            connection.close()

    def wait_consumers(self, count: int) -> None:
        waited(f"{count} consumers on {QUEUE}", lambda: self.consumers() == count, self)

    def call(self, method: str, timeout: float | None = None, **kwargs) -> object:
        return self.pool.call(SERVICE, method, timeout=timeout, **kwargs)

    def counts(self) -> dict:
        return self.call("counts", timeout=5)

    def close(self) -> None:
        self.pool.close()
        self.platform.stop_processes(self.platform.process_names())


@pytest.fixture
def probes(tmp_path: Path):
    port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    platform = Platform.isolated(tmp_path / "var", port, f"listener-{uuid.uuid4().hex[:8]}")
    platform.start_broker()
    copies = Probes(platform, tmp_path)
    try:
        yield copies
    finally:
        copies.close()
        platform.drop_vhost()


@pytest.fixture
def in_background():
    with ThreadPoolExecutor(max_workers=24) as executor:
        yield executor


def queue_details(platform: Platform) -> dict:
    path = f"/api/queues/{urllib.parse.quote(platform.vhost, safe='')}/{QUEUE}"
    return json.loads(platform.management("GET", path))


def waited(what: str, check, probes: Probes | None = None):
    """`polling.wait_for` at a short step, failing with the end of the probes' logs."""
    explain = probes.platform.log_tails if probes else None
    return wait_for(check, what, timeout=30.0, interval=0.1, explain=explain)


def broker_connection(platform: Platform) -> amqp.Connection:
    connection = amqp.Connection(
        f"127.0.0.1:{platform.amqp_port}",
        userid="guest",
        password="guest",
        virtual_host=platform.vhost,
    )
    connection.connect()
    return connection


def waiting_requests(platform: Platform) -> int:
    """The queue's ready messages, from the broker itself (management figures lag)."""
    connection = broker_connection(platform)
    try:
        return connection.channel().queue_declare(QUEUE, passive=True).message_count
    finally:
        connection.close()


def raw_call(platform: Platform, body: bytes, method: str = "echo") -> dict:
    """Publish any bytes as a request to the probe and read the reply over direct reply-to."""
    connection = broker_connection(platform)
    try:
        channel = connection.channel()
        replies: list[amqp.Message] = []
        channel.basic_consume("amq.rabbitmq.reply-to", no_ack=True, callback=replies.append)
        channel.basic_publish(
            amqp.Message(
                body,
                content_type="application/json",
                reply_to="amq.rabbitmq.reply-to",
                correlation_id="raw-1",
            ),
            exchange="nameko-rpc",
            routing_key=f"{SERVICE}.{method}",
        )
        while not replies:
            connection.drain_events(timeout=10)
        assert replies[0].properties["correlation_id"] == "raw-1"
        return json.loads(replies[0].body)
    finally:
        connection.close()


def test_both_kinds_of_caller_get_their_answer_with_the_callers_identity(probes):
    probes.start()
    caller = Caller("member-7", frozenset({"client"}))
    assert probes.pool.call(SERVICE, "echo", caller=caller, note="hi") == {
        "fields": {"note": "hi"},
        "user_id": "member-7",
    }
    with ClusterRpcProxy({"AMQP_URI": probes.platform.amqp_uri}) as cluster:
        assert getattr(cluster, SERVICE).echo(note="again") == {
            "fields": {"note": "again"},
            "user_id": None,
        }
    details = queue_details(probes.platform)
    assert details["durable"] is True
    assert details["auto_delete"] is False


def test_bad_requests_get_typed_errors_and_the_service_keeps_answering(probes):
    probes.start()
    with pytest.raises(NotFound, match="No such professional"):
        probes.call("refuse")
    with pytest.raises(MethodNotFound):
        probes.call("no_such_method")
    with pytest.raises(IncorrectSignature):
        probes.call("hold", unexpected=1)
    with pytest.raises(RemoteError, match="UnserializableValueError"):
        probes.call("unencodable")
    # bodies that are not requests at all are answered with MalformedRequest
    assert raw_call(probes.platform, b'{"no": "args"}')["error"]["exc_type"] == "MalformedRequest"
    assert raw_call(probes.platform, b"[1, 2")["error"]["exc_type"] == "MalformedRequest"
    assert probes.call("echo", ok=True)["fields"] == {"ok": True}
    # and every one of them was acknowledged: nothing is left for another copy to repeat
    probes.stop(probes.platform.process_names())
    waited("the queue without consumers", lambda: probes.consumers() == 0, probes)
    # (what a consumer leaves unacknowledged is back in the queue once it is gone)
    assert waiting_requests(probes.platform) == 0


def test_each_copy_takes_only_as_many_requests_as_it_has_workers(probes, in_background):
    """Prefetch = max_workers: the queue spreads work over copies instead of one hoarding it."""
    probes.start(max_workers=2)
    probes.start(max_workers=2)
    tags = [str(n) for n in range(8)]
    calls = [in_background.submit(probes.call, "hold", seconds=0.6, tag=tag) for tag in tags]
    assert sorted(call.result() for call in calls) == tags
    # both copies worked (each answers `counts` from its own memory): 2 + 2 at most at once
    seen = [probes.counts(), probes.counts()]
    assert all(count["most_running"] == 2 for count in seen), seen


def wait_running(probes: Probes, number: int) -> None:
    waited(f"{number} calls running", lambda: probes.counts()["running"] == number, probes)


def test_a_stopping_service_finishes_its_calls_and_leaves_the_rest_queued(probes, in_background):
    first_copy = probes.start(max_workers=1)
    first: Future = in_background.submit(probes.call, "hold", seconds=1.5, tag="first")
    time.sleep(0.5)
    # one worker: the second request waits in the queue behind the first
    second: Future = in_background.submit(probes.call, "hold", seconds=0.1, tag="second")
    time.sleep(0.3)
    stopping = in_background.submit(probes.stop, [first_copy])
    # the call in progress is answered before the service stops
    assert first.result(timeout=15) == "first"
    assert stopping.result(timeout=20) == [first_copy]
    assert not second.done()
    assert waiting_requests(probes.platform) == 1
    # the waiting request was not lost: the next copy answers it
    probes.start(max_workers=1)
    assert second.result(timeout=15) == "second"
    assert probes.counts()["finished"] == ["second"]


def test_a_service_killed_mid_call_has_the_request_answered_by_the_next_copy(probes, in_background):
    dying = probes.start()
    call: Future = in_background.submit(probes.call, "hold", seconds=1.0, tag="survivor")
    wait_running(probes, 1)
    probes.kill(dying)
    # the request was never acknowledged, so the broker requeues it for the next copy
    probes.start()
    assert call.result(timeout=15) == "survivor"
    assert probes.counts()["finished"] == ["survivor"]


def listener_connections(platform: Platform) -> dict[str, str]:
    """The probe's RPC connections as the broker lists them: its name -> the listener's."""
    path = f"/api/vhosts/{urllib.parse.quote(platform.vhost, safe='')}/connections"
    found = {
        connection["name"]: connection.get("client_properties", {}).get("connection_name", "")
        for connection in json.loads(platform.management("GET", path))
    }
    return {name: own for name, own in found.items() if own.startswith(f"{SERVICE} rpc ")}


def test_the_service_reconnects_when_the_broker_drops_its_connection(probes):
    name = probes.start()
    pid = probes.platform.pid_of(name)
    assert probes.call("echo", n=1)["fields"] == {"n": 1}
    listing = waited("the listener's connection", lambda: listener_connections(probes.platform))
    ((dropped, own_name),) = listing.items()
    assert own_name.endswith(f":{pid}")
    probes.platform.management("DELETE", f"/api/connections/{urllib.parse.quote(dropped, safe='')}")

    # the same process connects again, consumes, and answers
    def reconnected() -> bool:
        now = listener_connections(probes.platform)
        return bool(now) and dropped not in now and probes.consumers() == 1

    waited("the listener on a new connection", reconnected, probes)
    assert probes.call("echo", n=2)["fields"] == {"n": 2}
    assert probes.platform.pid_of(name) == pid
    assert "lost the broker" in (probes.platform.log_dir / f"{name}.log").read_text()


def test_a_copy_starting_on_a_backlog_answers_all_of_it(probes, in_background):
    """Requests waiting when a copy starts arrive at once, more than its prefetch."""
    first = probes.start(max_workers=4)
    probes.stop([first])
    waited("no consumer", lambda: probes.consumers() == 0, probes)
    # requests answered at once (no waiting in the worker), so their workers are done
    # before the copy has finished connecting
    calls = [in_background.submit(probes.call, "echo", n=n) for n in range(20)]
    waited("the backlog queued", lambda: waiting_requests(probes.platform) == 20, probes)
    probes.start(max_workers=4)
    answers = [call.result(timeout=30)["fields"]["n"] for call in calls]
    assert answers == list(range(20))
    assert waiting_requests(probes.platform) == 0
