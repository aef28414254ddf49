"""Schemathesis against the live /openapi.json: no 5xx, and every answer matches its schema.

Run as three actors of the authorisation matrix's world (`tests/authorization_world.py`): the
professional, the owner (a client of the professional) and an administrator. Each run names,
in the path, the real resources its actor may act on: the ids the matrix's request for that
actor uses (`tests/authorization_matrix.py`), so generated bodies and queries reach past "not
found" into each operation's own validation and rules (the professional's listing and
service, the owner's bookings, their conversation, the open proposal and election). The rest
of each path is generated. Each run has a world of its own, since it may change or delete
anything its actor may. Bounded in time (`SCHEMATHESIS_MAX_TIME`, default 120 s a run).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from authorization_matrix import MATRIX, OK, VERBS
from authorization_world import ADMIN, OWNER, PROFESSIONAL, World, built_world

pytestmark = [pytest.mark.integration, pytest.mark.fuzzing]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)


def real_ids(world: World, actor: str, document: dict) -> dict[str, dict[str, str]]:
    """By operation id: the path ids (and id-like query values) of a request `actor` may make."""
    operation_ids = {
        (verb.upper(), path): operation["operationId"]
        for path, operations in document["paths"].items()
        for verb, operation in operations.items()
        if verb in VERBS
    }
    found = {}
    for (method, path), rule in MATRIX.items():
        if "{" not in path or rule.expected[actor] != OK:
            continue
        request = rule.build(world, actor)
        values = {f"path.{name}": str(value) for name, value in request.params.items()}
        for name, value in (request.query or {}).items():
            if name.endswith("_id"):
                values[f"query.{name}"] = str(value)
        if values:
            found[operation_ids[(method, path)]] = values
    return found


def config_text(ids: dict[str, dict[str, str]]) -> str:
    """schemathesis.toml: one `[[operations]]` block per operation, with its fixed parameters."""
    lines = []
    for operation_id, values in ids.items():
        lines += ["[[operations]]", f"include-operation-id = {json.dumps(operation_id)}"]
        lines += ["[operations.parameters]"]
        lines += [f"{json.dumps(name)} = {json.dumps(value)}" for name, value in values.items()]
        lines.append("")
    return "\n".join(lines)


@pytest.fixture
def world(platform, admin_account) -> World:
    """A world for each run alone: a run may change or delete anything its actor may."""
    with built_world(platform, admin_account) as world:
        yield world


@pytest.mark.parametrize("actor", [PROFESSIONAL, OWNER, ADMIN])
def test_no_server_errors_and_every_response_matches_its_schema(
    api, platform, world, tmp_path, actor
):
    document = api.get("/openapi.json").json()
    ids = real_ids(world, actor, document)
    assert ids, f"no operation with a path id that the {actor} may act on"
    config = tmp_path / "schemathesis.toml"
    config.write_text(config_text(ids))
    person = world.signed_in_again(world.people[actor])
    report = tmp_path / "schemathesis.xml"
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config),
        "run",
        f"{platform.gateway_url}/openapi.json",
        "--checks",
        CHECKS,
        "--header",
        f"Authorization: Bearer {person.token}",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"),
        "--max-time",
        os.environ.get("SCHEMATHESIS_MAX_TIME", "120"),
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
