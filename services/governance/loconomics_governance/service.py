"""The governance nameko service: entrypoints only; the rules live in `domain`."""

from __future__ import annotations

from loconomics_plumbing.dependencies import CallerIdentity
from loconomics_plumbing.health import Health
from loconomics_plumbing.telemetry import Telemetry


class GovernanceService(Health):
    name = "governance"

    caller = CallerIdentity()
    telemetry = Telemetry()
