"""The service's settings, read once from the environment when the process starts.

SMTP itself is `smtp_sender.SmtpSettings` (`SMTP_*`, shared with the platform launcher, which
points them at its local sink); the rest is about what the emails say and how hard we retry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr

from loconomics_plumbing.moderation import moderators_email

from .domain.deliveries import RetryPolicy
from .domain.emails import Mailbox
from .domain.wording import DEFAULT_ZONE, zone_or_utc
from .smtp_sender import SmtpSettings

DEFAULT_FROM = "Loconomics <no-reply@loconomics.coop>"


def _mailbox(env: Mapping[str, str]) -> Mailbox:
    display_name, address = parseaddr(env.get("SMTP_FROM") or DEFAULT_FROM)
    if "@" not in address:
        raise ValueError(f"SMTP_FROM must hold an email address, not {address!r}")
    domain = address.rpartition("@")[2]
    return Mailbox(
        address=address,
        display_name=display_name or "Loconomics",
        link_base=env.get("NOTIFICATIONS_APP_URL") or None,
        message_id_domain=domain,
        moderators_address=moderators_email(env),
    )


def _retry_policy(env: Mapping[str, str]) -> RetryPolicy:
    default = RetryPolicy()
    return RetryPolicy(
        first_delay=timedelta(
            seconds=float(
                env.get("NOTIFICATIONS_RETRY_FIRST_SECONDS", default.first_delay.total_seconds())
            )
        ),
        max_delay=timedelta(
            seconds=float(
                env.get("NOTIFICATIONS_RETRY_MAX_SECONDS", default.max_delay.total_seconds())
            )
        ),
        max_attempts=int(env.get("NOTIFICATIONS_RETRY_ATTEMPTS", default.max_attempts)),
    )


@dataclass(frozen=True)
class NotificationSettings:
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    mailbox: Mailbox = field(default_factory=lambda: _mailbox({}))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    default_zone: str = DEFAULT_ZONE
    delivery_interval: float = 2.0
    delivery_batch: int = 20
    moderation_queue_interval: float = 60.0
    """How often the moderators' queue is measured for Prometheus."""
    closure_sweep_interval: float = 300.0
    """How often notifications made in the instant of a closure are looked for and erased."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> NotificationSettings:
        zone = env.get("NOTIFICATIONS_DEFAULT_TIME_ZONE") or DEFAULT_ZONE
        if zone_or_utc(zone).key != zone:
            raise ValueError(f"NOTIFICATIONS_DEFAULT_TIME_ZONE is not an IANA zone: {zone!r}")
        return cls(
            smtp=SmtpSettings.from_env(env),
            mailbox=_mailbox(env),
            retry=_retry_policy(env),
            default_zone=zone,
            delivery_interval=float(env.get("NOTIFICATIONS_DELIVERY_INTERVAL_SECONDS", "2")),
            delivery_batch=int(env.get("NOTIFICATIONS_DELIVERY_BATCH", "20")),
            moderation_queue_interval=float(
                env.get("NOTIFICATIONS_MODERATION_QUEUE_SECONDS", "60")
            ),
            closure_sweep_interval=float(env.get("NOTIFICATIONS_CLOSURE_SWEEP_SECONDS", "300")),
        )
