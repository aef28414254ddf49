"""The gateway's gunicorn settings (gateway/gunicorn.conf.py) in a real gunicorn."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from local_platform import free_port
from polling import wait_for

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_the_gateway_opens_no_control_socket(tmp_path):
    """gunicorn 25+ opens a control socket at one path per user unless told not to: two
    gateways of one user (a test platform beside `make run`) would share it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        {
            "HOME": str(tmp_path),
            "GATEWAY_PORT": str(port),
            "PYTHONPATH": str(ROOT / "bench"),
        }
    )
    log = tmp_path / "gunicorn.log"
    argv = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        str(ROOT / "gateway/gunicorn.conf.py"),
        "bare_falcon_app:app",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # The master starts its control socket right after forking the workers, in a thread
        # that binds at once; a worker answers only after importing the app, much later.
        wait_for(lambda: _answers(port), "the gateway's gunicorn to answer", timeout=30)
        assert "Control socket listening" not in log.read_text()
        assert not (tmp_path / ".gunicorn").exists()
    finally:
        process.terminate()
        process.wait(15)


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError):
        url = f"http://127.0.0.1:{port}/v1/professionals/x"
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    return False
