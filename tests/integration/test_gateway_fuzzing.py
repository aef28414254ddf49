"""Schemathesis against the live /openapi.json: no 5xx, and every answer matches its schema.

Bounded in time (`SCHEMATHESIS_MAX_TIME`, default 150 s a run) and run twice: with
the token of an account that is both client and professional, and with an
administrator's, so signed-in and administrative routes are exercised past
authentication.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.fuzzing]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


@pytest.mark.parametrize("actor", ["member", "admin"])
def test_no_server_errors_and_every_response_matches_its_schema(
    api, platform, admin, tmp_path, actor
):
    if actor == "admin":
        person = admin
    else:
        person = api.sign_up(roles=["client", "professional"], name="Fuzzing Member")
    report = tmp_path / "schemathesis.xml"
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"{platform.gateway_url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {person.token}",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"),
        "--max-time",
        os.environ.get("SCHEMATHESIS_MAX_TIME", "150"),
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "2",
        "--exclude-path",
        "/v1/sessions/current",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout[-15000:] + run.stderr[-3000:]
    assert report.exists()
    assert "testcase" in report.read_text()
