"""The local platform's own helpers: the ports it picks and how a failed start explains itself."""

from __future__ import annotations

import socket
import sys
import time

import pytest
from local_platform import (
    METRICS_BLOCK,
    Platform,
    _ephemeral_range,
    broker_ports,
    free_port,
    free_port_block,
)


def test_picked_ports_sit_outside_the_range_outgoing_connections_take():
    low, high = _ephemeral_range()
    for _ in range(20):
        base = free_port_block(30)
        assert all(not low <= port <= high for port in range(base, base + 30))
        assert not low <= free_port() <= high


def test_a_picked_block_can_be_bound_whole():
    base = free_port_block(30)
    sockets = []
    try:
        for port in range(base, base + 30):
            sock = socket.socket()
            sockets.append(sock)
            sock.bind(("0.0.0.0", port))
    finally:
        for sock in sockets:
            sock.close()


def test_a_port_already_listened_on_is_never_picked(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy, busy + 100])
        monkeypatch.setattr("local_platform._candidate_ports", lambda: range(busy, busy + 200))
        monkeypatch.setattr("random.randrange", lambda start, stop: next(picks))
        assert free_port_block(1) == busy + 100


def test_a_block_overlapping_a_promised_port_is_never_picked(monkeypatch):
    """A port promised to a server not started yet can be bound now, and is still refused."""
    picks = iter([20000, 20010, 20040])
    monkeypatch.setattr("local_platform._candidate_ports", lambda: range(20000, 20100))
    monkeypatch.setattr("random.randrange", lambda start, stop: next(picks))
    assert free_port_block(10, avoid={20005, 20019}) == 20040


def test_an_isolated_platform_promises_every_port_once_and_none_of_its_brokers(
    tmp_path, monkeypatch
):
    """Its gateway, localstripe, SMTP and metrics ports are picked before any of them listens,
    and its broker's node starts after: every pick keeps clear of the others and of the
    broker's ports, even when the picks are made to land on them first."""
    amqp_port = 5675
    broker = sorted(broker_ports(amqp_port, amqp_port + 10000))
    assert broker == [5675, 15675, 16675, 25675]
    # gateway: the broker's distribution and management ports, then free; localstripe and
    # SMTP: the port just promised, then the next; metrics: over prometheus's port, over
    # the gateway's, then clear
    wanted = iter([25675, 15675, 20000, 20000, 20001, 20001, 20002, 16660, 19990, 16600])
    monkeypatch.setattr("local_platform._candidate_ports", lambda: range(10000, 32768))
    monkeypatch.setattr("random.randrange", lambda start, stop: next(wanted))
    monkeypatch.setattr("local_platform._can_bind", lambda port: True)
    platform = Platform.isolated(tmp_path, amqp_port)
    assert (platform.gateway_port, platform.stripe_port, platform.smtp_port) == (
        20000, 20001, 20002,
    )
    assert platform.metrics_port_base == 16600
    metrics = set(range(16600, 16600 + METRICS_BLOCK))
    singles = {platform.gateway_port, platform.stripe_port, platform.smtp_port}
    assert not metrics & set(broker) and not metrics & singles
    assert platform.ports() == singles | metrics | set(broker)


def test_a_port_picked_while_a_platform_runs_keeps_clear_of_its_unused_metrics_ports(
    tmp_path, monkeypatch
):
    platform = Platform.isolated(tmp_path, 5675)
    unused = platform.metrics_port_base + METRICS_BLOCK - 1  # no service listens there yet
    free = _a_port_free_now()  # a fixed second pick, such as `unused + 100`, may be in use
    assert free not in platform.ports()
    picks = iter([unused, free])
    monkeypatch.setattr("random.randrange", lambda start, stop: next(picks))
    assert free_port(avoid=platform.ports()) == free


def _a_port_free_now() -> int:
    """A port the kernel just handed out and took back: free unless taken in the meantime."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return sock.getsockname()[1]


def test_a_process_that_dies_while_starting_fails_the_wait_with_its_log(tmp_path):
    platform = Platform.isolated(tmp_path, amqp_port=1)
    platform.spawn("profiles", [sys.executable, "-c", "raise SystemExit('metrics port taken')"])
    platform.spawn("booking", [sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while platform.pid_of("profiles") is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        with pytest.raises(RuntimeError) as failure:
            platform.wait_ready(timeout=5)
        message = str(failure.value)
        assert message.startswith("profiles stopped while starting")
        assert "metrics port taken" in message
        assert "booking" not in message.splitlines()[0]
    finally:
        platform.stop_processes(platform.process_names(), grace=2)
