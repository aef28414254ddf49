"""The service's settings, read once from the environment when it starts.

Everything a cooperative running governance may want to change without touching code:
its bylaws' numbers (the `GovernancePolicy`), where its members and patronage come from,
and how often the timetable runs. A bad value stops the service at start with a message
naming the variable, rather than running with a guess.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .policy import DEFAULT_POLICY, GovernancePolicy

LOCONOMICS = "loconomics"
NO_MAPPING = "none"
PLATFORM_MAPPINGS = (LOCONOMICS, NO_MAPPING)
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class SettingError(ValueError):
    """A setting that cannot be used; the message names the environment variable."""


@dataclass(frozen=True)
class GovernanceSettings:
    policy: GovernancePolicy = DEFAULT_POLICY
    platform_mapping: str = LOCONOMICS
    """`loconomics`: consume billing's and booking's events; `none`: only the generic contracts."""

    member_events_from: tuple[str, ...] = field(default_factory=tuple)
    """Services whose `member_status_changed` events feed the register (none by default)."""

    timetable_seconds: float = 10.0
    """How often the timer opens, reminds, closes and counts what is due."""

    @property
    def maps_loconomics_events(self) -> bool:
        return self.platform_mapping == LOCONOMICS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> GovernanceSettings:
        def text(name: str, default: str) -> str:
            return environ.get(name, "").strip() or default

        def number(name: str, default: object, kind: type, low: float, high: float):
            raw = text(name, str(default))
            try:
                value = kind(raw)
            except (ValueError, InvalidOperation):
                raise SettingError(f"{name} must be a number, not {raw!r}") from None
            if not low <= value <= high:
                raise SettingError(f"{name} must be between {low} and {high}, not {raw}")
            return value

        mapping = text("GOVERNANCE_PLATFORM_MAPPING", LOCONOMICS).lower()
        if mapping not in PLATFORM_MAPPINGS:
            raise SettingError(
                f"GOVERNANCE_PLATFORM_MAPPING must be one of {', '.join(PLATFORM_MAPPINGS)}"
            )
        sources = tuple(
            name.strip() for name in text("GOVERNANCE_MEMBER_EVENTS_FROM", "").split(",")
        )
        sources = tuple(name for name in sources if name)
        for source in sources:
            if not SERVICE_NAME.match(source) or source == "governance":
                raise SettingError(
                    "GOVERNANCE_MEMBER_EVENTS_FROM lists nameko service names (not governance "
                    f"itself), not {source!r}"
                )
        zone = text("GOVERNANCE_FISCAL_TIME_ZONE", DEFAULT_POLICY.fiscal_time_zone)
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingError(
                f"GOVERNANCE_FISCAL_TIME_ZONE {zone!r} is not an IANA zone"
            ) from None
        currency = text("GOVERNANCE_CURRENCY", DEFAULT_POLICY.currency)
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SettingError(f"GOVERNANCE_CURRENCY must be an ISO 4217 code, not {currency!r}")
        reminder_hours = number(
            "GOVERNANCE_CLOSING_REMINDER_HOURS",
            int(DEFAULT_POLICY.closing_reminder / timedelta(hours=1)),
            int,
            0,
            24 * 60,
        )
        voting_days = number(
            "GOVERNANCE_ALLOCATION_VOTING_DAYS",
            DEFAULT_POLICY.allocation_voting_period.days,
            int,
            1,
            365,
        )
        policy = GovernancePolicy(
            quorum_percent=number(
                "GOVERNANCE_QUORUM_PERCENT", DEFAULT_POLICY.quorum_percent, int, 0, 100
            ),
            closing_reminder=timedelta(hours=reminder_hours),
            allocation_voting_period=timedelta(days=voting_days),
            minimum_cash_percent=number(
                "GOVERNANCE_MINIMUM_CASH_PERCENT", DEFAULT_POLICY.minimum_cash_percent, int, 0, 100
            ),
            currency=currency,
            fiscal_year_start_month=number(
                "GOVERNANCE_FISCAL_YEAR_START_MONTH",
                DEFAULT_POLICY.fiscal_year_start_month,
                int,
                1,
                12,
            ),
            fiscal_time_zone=zone,
            points_per_dues_dollar=number(
                "GOVERNANCE_POINTS_PER_DUES_DOLLAR",
                DEFAULT_POLICY.points_per_dues_dollar,
                Decimal,
                0,
                1_000_000,
            ),
            points_per_completed_booking=number(
                "GOVERNANCE_POINTS_PER_COMPLETED_BOOKING",
                DEFAULT_POLICY.points_per_completed_booking,
                Decimal,
                0,
                1_000_000,
            ),
        )
        return cls(
            policy=policy,
            platform_mapping=mapping,
            member_events_from=sources,
            timetable_seconds=number("GOVERNANCE_TIMETABLE_SECONDS", 10, float, 1, 3600),
        )
