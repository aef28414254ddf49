"""Runs at once share the test servers: the last run to end stops those a test run started,
and a developer's own server (up before any run) is never stopped."""

from __future__ import annotations

from shared_test_servers import begin, end, others

SERVERS = ("postgres", "rabbitmq")


def test_one_run_stops_what_it_found_down_and_leaves_what_was_up(tmp_path):
    stopped = []
    begin(tmp_path, 100, down=["postgres"])
    assert end(tmp_path, 100, SERVERS, stopped.append, alive=lambda pid: True) == ["postgres"]
    assert stopped == ["postgres"]
    assert list(tmp_path.iterdir()) == []


def test_the_last_of_two_runs_stops_the_servers_either_found_down(tmp_path):
    stopped = []
    begin(tmp_path, 100, down=["postgres", "rabbitmq"])
    begin(tmp_path, 200, down=[])  # the first run already started both
    assert end(tmp_path, 100, SERVERS, stopped.append, alive=lambda pid: True) == []
    assert stopped == [], "the other run still uses them"
    assert end(tmp_path, 200, SERVERS, stopped.append, alive=lambda pid: True) == list(SERVERS)
    assert stopped == list(SERVERS)


def test_a_run_that_died_does_not_keep_the_servers_up(tmp_path):
    stopped = []
    begin(tmp_path, 100, down=["rabbitmq"])
    begin(tmp_path, 200, down=[])
    assert others(tmp_path, 200, alive=lambda pid: pid != 100) == []
    assert not (tmp_path / "100.run").exists(), "a dead run's file is removed"
    assert end(tmp_path, 200, SERVERS, stopped.append, alive=lambda pid: pid != 100) == ["rabbitmq"]


def test_a_developers_server_is_never_marked_so_never_stopped(tmp_path):
    stopped = []
    begin(tmp_path, 100, down=[])
    begin(tmp_path, 200, down=[])
    end(tmp_path, 200, SERVERS, stopped.append, alive=lambda pid: True)
    end(tmp_path, 100, SERVERS, stopped.append, alive=lambda pid: True)
    assert stopped == []


def test_others_sees_live_runs_only(tmp_path):
    for pid in (100, 200, 300):
        begin(tmp_path, pid, down=[])
    assert others(tmp_path, 100, alive=lambda pid: pid != 300) == [200]
