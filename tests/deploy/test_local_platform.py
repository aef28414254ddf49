"""The local platform's own helpers: the ports it picks and how a failed start explains itself."""

from __future__ import annotations

import socket
import sys
import time

import pytest
from local_platform import Platform, _ephemeral_range, free_port, free_port_block


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
