"""Governance with nothing else of ours: a broker, its migration, its one process, and the
example script driving a whole election and a proposal through RPC alone."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from local_platform import ROOT, Platform
from loconomics_governance.domain import stv
from loconomics_governance.domain.blt import read_blt
from nameko.standalone.rpc import ClusterRpcProxy

pytestmark = pytest.mark.integration

SCRIPT = ROOT / "deploy/governance-alone/example_election.py"


@pytest.fixture
def governance_alone(tmp_path: Path):
    amqp_port = int(os.environ.get("TEST_AMQP_PORT", "5673"))
    var = tmp_path / "alone"
    alone = Platform.isolated(var, amqp_port, extra_env={"GOVERNANCE_PLATFORM_MAPPING": "none"})
    alone.start_broker()
    try:
        alone.run_module("loconomics_plumbing.migrate", "upgrade", "governance")
        alone.start_service("governance")
        wait_for_governance(alone)
        yield alone
    finally:
        alone.stop_processes(alone.process_names())
        with contextlib.suppress(OSError):
            alone.drop_vhost()


def wait_for_governance(alone: Platform, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with ClusterRpcProxy({"AMQP_URI": alone.amqp_uri}, timeout=2) as rpc:
                assert rpc.governance.ping()["status"] == "ok"
                return
        except Exception:
            if time.monotonic() > deadline:
                log = (alone.log_dir / "governance.log").read_text()[-3000:]
                raise AssertionError(f"governance did not answer:\n{log}") from None
            time.sleep(0.5)


def test_a_whole_election_and_a_proposal_through_rpc_alone(governance_alone, tmp_path):
    assert governance_alone.process_names() == ["governance"]
    blt_path = tmp_path / "board.blt"
    started = time.monotonic()
    ran = subprocess.run(
        [sys.executable, str(SCRIPT), "--blt", str(blt_path)],
        cwd=ROOT,
        env=governance_alone.env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    took = time.monotonic() - started
    assert ran.returncode == 0, ran.stdout + ran.stderr
    out = ran.stdout

    assert "Registered 9 members in good standing" in out
    assert "Voting is open for the election, open for the proposal" in out
    assert "a second ballot: refused" in out
    assert "Voting is closed for the election, closed for the proposal" in out
    # Nine papers for two seats, so the quota is 4. Ana's 5 elect her; her surplus of 1
    # goes to Cleo at 0.2 a paper; Dev is excluded, then Cleo, whose papers take Ben to 5.
    assert "9 valid papers, 2 seats, quota 4" in out
    stages = re.findall(r"^  Stage \d+ \((.*?)\): (.*)$", out, re.MULTILINE)
    assert stages == [
        ("first preferences",
         "Ana 5.00000, Ben 2.00000, Cleo 1.00000, Dev 1.00000; elected Ana"),
        ("surplus of Ana transferred at 0.20000",
         "Ana 4.00000, Ben 2.00000, Cleo 2.00000, Dev 1.00000"),
        ("Dev excluded", "Ana 4.00000, Ben 3.00000, Cleo 2.00000, Dev 0.00000"),
        ("Cleo excluded", "Ana 4.00000, Ben 5.00000, Cleo 0.00000, Dev 0.00000; elected Ben"),
    ]  # fmt: skip
    assert "Elected: Ana, Ben" in out
    assert "Published ballots: 9; every voter's receipt found: yes" in out
    assert (
        "Proposal 'Adopt the 2026 budget': passed (yes 5, no 2, abstain 1; roll 9, quorum met)"
        in out
    )
    assert "Eligibility audit: 8 of 9 members voted" in out

    recount = read_blt(blt_path.read_text())
    again = stv.count(recount.rankings(), recount.seats, recount.standing())
    assert [recount.name_of(number) for number in again.elected] == ["Ana", "Ben"]
    assert took < 60, f"the example took {took:.1f}s"
