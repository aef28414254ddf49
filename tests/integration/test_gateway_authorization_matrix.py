"""Who gets what: every operation of the live OpenAPI document, tried by five actors.

The actors and the small world they act on are in `tests/authorization_world.py`, the rows in
`tests/authorization_matrix.py`. Each row of `MATRIX` is one documented operation: a request
builder, which makes a valid request for an actor (path ids of the world's real resources,
fresh ones where the action uses them up), and what each actor must get:

* `OK`: a 2xx answer (every allowed actor's request is built to succeed);
* `UNSIGNED` (401): no token on a signed-in route;
* `FORBIDDEN` (403): signed in, known to lack the right;
* `HIDDEN` (404): signed in, and the service does not even admit the resource exists for them
  (another member's booking, conversation, listing, credential, time off or notification).

The gateway only authenticates; each service enforces its own rules, so this matrix is the
services' rules as the public sees them. Administrators pass every role check of the
plumbing (`Caller.require_role`), which is why they are allowed on the professional-only
routes that act on their own data. A documented operation missing from `MATRIX` fails
`test_every_documented_operation_is_classified`, so a new endpoint must be classified here.
"""

from __future__ import annotations

import pytest
from authorization_matrix import MATRIX, OK, OWN_TOKEN, VERBS, Request
from authorization_world import ACTORS, World, built_world

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(platform, admin_account):
    with built_world(platform, admin_account) as built:
        yield built


def send(world: World, method: str, path: str, actor: str, request: Request):
    token = world.token(actor) if request.token is OWN_TOKEN else request.token
    return world.api.request(
        method,
        path.format(**request.params),
        token=token,
        json=request.json,
        params=request.query,
        data=request.data,
        headers=dict(request.headers),
    )


def meets(status: int, expected: str | int) -> bool:
    return 200 <= status < 300 if expected == OK else status == expected


def test_every_documented_operation_is_classified(api):
    document = api.get("/openapi.json").json()
    documented = {
        (verb.upper(), path)
        for path, operations in document["paths"].items()
        for verb in operations
        if verb in VERBS
    }
    unclassified = sorted(documented - set(MATRIX))
    assert not unclassified, f"add these operations to MATRIX: {unclassified}"
    gone = sorted(set(MATRIX) - documented)
    assert not gone, f"no longer documented, remove from MATRIX: {gone}"


@pytest.mark.parametrize(("method", "path"), list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_who_gets_what(world, method, path):
    rule = MATRIX[(method, path)]
    lines, wrong = [], False
    for actor in ACTORS:
        answer = send(world, method, path, actor, rule.build(world, actor))
        expected = rule.expected[actor]
        ok = meets(answer.status_code, expected)
        wrong = wrong or not ok
        detail = "" if ok else f"  {answer.text[:200]}"
        lines.append(
            f"{'  ' if ok else '✗ '}{actor}: got {answer.status_code}, expected {expected}{detail}"
        )
    assert not wrong, f"{method} {path}\n" + "\n".join(lines)
