"""One RPC round trip through our stack against the leanest AMQP request-reply, side by side.

    .venv/bin/python bench/rpc_bench.py [--amqp-port 5715] [--rounds 3] [--calls 1000]
        [--seconds 5] [--in-flight 10]

Starts a RabbitMQ node of its own on --amqp-port (stopped after), then two servers on it:

    ours   `rpc_bench_service.py` under `nameko run` with the platform's nameko.yaml: our
           `@rpc` entrypoint with the `Database` unit of work, `CallerIdentity` and
           `Telemetry`, exactly as the five services are built; called through the gateway's
           own client (`loconomics_gateway.rpc.RpcPool`) with a caller in the context.
    lean   a tiny echo server on py-amqp (the library under kombu): no acks, transient
           messages, no publisher confirms, replies over RabbitMQ's direct reply-to
           (`amq.rabbitmq.reply-to`), JSON in and out. The floor for request-reply on this
           broker from Python.

and measures each, alternating them so load from elsewhere falls on both:

    sequential   --calls calls one after the other: p50 and p99 latency; both sides in
                 alternating blocks of 50 calls within each round
    in flight    --in-flight threads (one connection each) calling for --seconds: calls/s
                 and p50/p99 latency; one side after the other in each round

It prints the median of the rounds and the ratios our/lean. Targets (issue 10): our
throughput with 10 in flight >= 50% of lean's; our sequential p50 <= 1.5x lean's.
The load generator runs in this process and shares the machine's cores with the broker
and the servers; the CPU each used while calling in flight is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import amqp
from booking_platform import _cpu_of, _group, broker_pid, percentile
from machine import print_machine

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "deploy/local"), str(ROOT / "gateway"), str(ROOT / "libs/plumbing")]

from local_platform import BIN, Platform  # noqa: E402
from loconomics_gateway.rpc import RpcPool  # noqa: E402
from loconomics_plumbing.identity import Caller  # noqa: E402

LEAN_QUEUE = "lean-echo"
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
PAYLOAD = "x" * 64
CALLER = Caller("bench-user", frozenset({"client"}))


# the lean side


def lean_server(port: int) -> None:
    """Echo every request to its reply-to: decode, encode, publish; nothing else."""
    connection = amqp.Connection(f"127.0.0.1:{port}", userid="guest", password="guest")
    connection.connect()
    channel = connection.channel()
    channel.queue_declare(LEAN_QUEUE, auto_delete=True)

    def answer(message: amqp.Message) -> None:
        request = json.loads(message.body)
        reply = amqp.Message(
            json.dumps({"result": request["kwargs"], "error": None}),
            content_type="application/json",
            correlation_id=message.properties["correlation_id"],
        )
        channel.basic_publish(reply, exchange="", routing_key=message.properties["reply_to"])

    channel.basic_consume(LEAN_QUEUE, callback=answer, no_ack=True)
    print("ready", flush=True)
    while True:
        connection.drain_events()


class LeanClient:
    """One connection and channel; replies arrive on direct reply-to, unacknowledged."""

    def __init__(self, port: int):
        self.connection = amqp.Connection(f"127.0.0.1:{port}", userid="guest", password="guest")
        self.connection.connect()
        self.channel = self.connection.channel()
        self.replies: dict[str, dict] = {}
        self.channel.basic_consume(DIRECT_REPLY_TO, callback=self._on_reply, no_ack=True)

    def _on_reply(self, message: amqp.Message) -> None:
        self.replies[message.properties["correlation_id"]] = json.loads(message.body)

    def call(self, value: str) -> object:
        correlation_id = uuid.uuid4().hex
        request = amqp.Message(
            json.dumps({"args": [], "kwargs": {"value": value}}),
            content_type="application/json",
            correlation_id=correlation_id,
            reply_to=DIRECT_REPLY_TO,
        )
        self.channel.basic_publish(request, exchange="", routing_key=LEAN_QUEUE)
        while correlation_id not in self.replies:
            self.connection.drain_events(timeout=5)
        return self.replies.pop(correlation_id)["result"]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()


# measuring


def sequential(call: Callable[[], object], calls: int) -> list[float]:
    latencies = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - began)
    return latencies


def in_flight(calls: list[Callable[[], object]], seconds: float) -> tuple[int, float, list[float]]:
    """Every caller calls in a loop for `seconds`; (calls made, wall time, latencies)."""
    barrier = threading.Barrier(len(calls) + 1)
    latencies: list[list[float]] = [[] for _ in calls]
    stop_at = [0.0]
    failures: list[BaseException] = []

    def loop(index: int, call: Callable[[], object]) -> None:
        mine = latencies[index]
        barrier.wait()
        try:
            while True:
                began = time.perf_counter()
                call()
                ended = time.perf_counter()
                mine.append(ended - began)
                if ended >= stop_at[0]:
                    return
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=loop, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise RuntimeError(f"{len(failures)} callers failed: {failures[0]!r}")
    flat = [value for mine in latencies for value in mine]
    return len(flat), wall, flat


class Side:
    """One way of calling: a factory of callers, each with its own connection."""

    def __init__(self, name: str, make: Callable[[], tuple[Callable[[], object], Callable]]):
        self.name = name
        self.make = make
        self.results: list[dict] = []

    def round(self, seq: list[float], seconds: float, width: int) -> dict:
        """A round's figures: `seq` (measured side by side, below) and `width` in flight."""
        pairs = [self.make() for _ in range(width)]
        for call, _ in pairs:
            sequential(call, 20)
        made, wall, lat = in_flight([call for call, _ in pairs], seconds)
        for _, close in pairs:
            close()
        result = {
            "seq_p50": percentile(seq, 0.5),
            "seq_p99": percentile(seq, 0.99),
            "seq_rate": len(seq) / sum(seq),
            "rate": made / wall,
            "p50": percentile(lat, 0.5),
            "p99": percentile(lat, 0.99),
            "load": os.getloadavg()[0],
        }
        self.results.append(result)
        return result

    def median(self, key: str) -> float:
        return statistics.median(result[key] for result in self.results)


def side_by_side(sides: list[Side], calls: int, block: int = 50) -> dict[str, list[float]]:
    """`calls` sequential calls of each side, in alternating blocks of `block`: a change in
    the machine's load (it is shared) falls on every side alike. Latencies by side name."""
    callers = [(side.name, *side.make()) for side in sides]
    for _, call, _ in callers:
        sequential(call, 200)
    latencies: dict[str, list[float]] = {name: [] for name, _, _ in callers}
    for done in range(0, calls, block):
        for name, call, _ in callers:
            latencies[name] += sequential(call, min(block, calls - done))
    for _, _, close in callers:
        close()
    return latencies


def lean_side(port: int) -> Side:
    def make():
        client = LeanClient(port)
        return (lambda: client.call(PAYLOAD)), client.close

    return Side("lean AMQP request-reply", make)


def our_side(amqp_uri: str, width: int) -> Side:
    def make():
        pool = RpcPool(amqp_uri, size=1, timeout=5)

        def call() -> object:
            return pool.call("rpcbench", "echo", caller=CALLER, value=PAYLOAD)

        return call, pool.close

    return Side("ours: gateway client -> nameko @rpc", make)


# processes


@contextlib.contextmanager
def broker(port: int, var: Path) -> Iterator[Platform]:
    platform = Platform.isolated(var, port, "/", test_clock=False)
    platform.start_broker()
    try:
        yield platform
    finally:
        platform.stop_broker()


@contextlib.contextmanager
def process(argv: list[str], env: dict, log: Path, ready: Callable[[], bool]) -> Iterator[int]:
    with open(log, "ab") as out:
        child = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[1]} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield child.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, 15)
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
            child.wait()


@contextlib.contextmanager
def lean_echo_server(port: int, env: dict, log: Path) -> Iterator[int]:
    """The lean side's echo server (this script, `--lean-server`) on the broker at `port`."""
    argv = [sys.executable, __file__, "--lean-server", "--amqp-port", str(port)]
    with process(argv, env, log, lambda: "ready" in log.read_text()) as pid:
        yield pid


def bench_service_env(platform: Platform, var: Path) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "AMQP_URI": platform.amqp_uri,
            "LOCONOMICS_VAR": str(var),
            "LOG_LEVEL": "WARNING",
            "RPCBENCH_DATABASE_URL": f"sqlite:///{var / 'rpcbench.sqlite3'}",
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "bench"), str(ROOT / "libs/plumbing"), env.get("PYTHONPATH", "")]
            ),
        }
    )
    return env


def make_bench_database(url: str) -> None:
    from rpc_bench_service import METADATA
    from sqlalchemy import create_engine

    engine = create_engine(url)
    METADATA.create_all(engine)
    engine.dispose()


def answers(call: Callable[[], object]) -> bool:
    try:
        call()
    except Exception:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--amqp-port", type=int, default=int(os.environ.get("BENCH_AMQP_PORT", "5715"))
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=1000, help="sequential calls per round")
    parser.add_argument("--seconds", type=float, default=5.0, help="in-flight time per round")
    parser.add_argument("--in-flight", type=int, default=10)
    parser.add_argument("--lean-server", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.lean_server:
        lean_server(options.amqp_port)
        return

    print_machine()
    print(
        f"rpc round trip: {options.rounds} rounds of {options.calls} sequential calls and "
        f"{options.seconds:.0f} s with {options.in_flight} in flight, each side; broker port "
        f"{options.amqp_port}\n",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="rpc-bench-") as folder:
        var = Path(folder)
        with broker(options.amqp_port, var) as platform:
            env = bench_service_env(platform, var)
            make_bench_database(env["RPCBENCH_DATABASE_URL"])
            lean = lean_side(options.amqp_port)
            ours = our_side(platform.amqp_uri, options.in_flight)
            probe = RpcPool(platform.amqp_uri, size=1, timeout=2)
            service_argv = [
                str(BIN / "nameko"),
                "run",
                "--config",
                str(ROOT / "deploy/local/nameko.yaml"),
                "rpc_bench_service:RpcBenchService",
            ]
            with (
                process(
                    service_argv,
                    env,
                    var / "service.log",
                    lambda: answers(lambda: probe.call("rpcbench", "ping")),
                ) as service,
                lean_echo_server(options.amqp_port, env, var / "lean.log") as echo,
            ):
                probe.close()
                groups = {"nameko service": service, "lean echo server": echo}
                for number in range(1, options.rounds + 1):
                    seq = side_by_side([lean, ours], options.calls)
                    for side in (lean, ours):
                        cpu_before = {name: _cpu_of(_group(pid)) for name, pid in groups.items()}
                        rabbit_before = _cpu_of([broker_pid(platform) or 0])
                        me_before = time.process_time()
                        began = time.monotonic()
                        result = side.round(seq[side.name], options.seconds, options.in_flight)
                        wall = time.monotonic() - began
                        used = {
                            name: (_cpu_of(_group(pid)) - cpu_before[name]) / wall
                            for name, pid in groups.items()
                        }
                        used["rabbitmq"] = (
                            _cpu_of([broker_pid(platform) or 0]) - rabbit_before
                        ) / wall
                        used["load generator"] = (time.process_time() - me_before) / wall
                        busy = ", ".join(
                            f"{name} {share:.0%}" for name, share in used.items() if share >= 0.01
                        )
                        print(
                            f"round {number} {side.name:38} seq p50"
                            f" {result['seq_p50'] * 1e3:.2f} ms"
                            f" p99 {result['seq_p99'] * 1e3:.2f} ms | {options.in_flight} in flight"
                            f" {result['rate']:6.0f} calls/s p50 {result['p50'] * 1e3:.2f} ms"
                            f" p99 {result['p99'] * 1e3:.2f} ms | load {result['load']:.2f}"
                            f" | CPU of a core: {busy}",
                            flush=True,
                        )
    report(lean, ours, options.in_flight)


def report(lean: Side, ours: Side, width: int) -> None:
    print(f"\nmedian of rounds (load average now {os.getloadavg()[0]:.2f})")
    print(f"  {'':38} {'seq p50':>9} {'seq p99':>9} {'calls/s':>9} {'p50':>9} {'p99':>9}")
    for side in (lean, ours):
        print(
            f"  {side.name:38} {side.median('seq_p50') * 1e3:7.2f}ms"
            f" {side.median('seq_p99') * 1e3:7.2f}ms"
            f" {side.median('rate'):9.0f} {side.median('p50') * 1e3:7.2f}ms"
            f" {side.median('p99') * 1e3:7.2f}ms"
        )
    throughput = ours.median("rate") / lean.median("rate")
    latency = ours.median("seq_p50") / lean.median("seq_p50")
    print(
        f"\n  throughput with {width} in flight, ours / lean: {throughput:.0%}"
        f"   (target >= 50%: {'met' if throughput >= 0.5 else 'missed'})"
    )
    print(
        f"  sequential p50, ours / lean:              {latency:.2f}x"
        f"  (target <= 1.5x: {'met' if latency <= 1.5 else 'missed'})"
    )


if __name__ == "__main__":
    main()
