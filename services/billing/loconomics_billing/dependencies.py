"""Billing's own nameko dependency: its Stripe account, configured once per process."""

from __future__ import annotations

from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from .settings import BillingSettings
from .stripe_gateway import StripeGateway


@dataclass(frozen=True)
class StripeAccount:
    """What an entrypoint needs of Stripe: the API, and the secret that signs its webhooks."""

    gateway: StripeGateway
    webhook_secret: str
    webhook_tolerance_seconds: int = 300


class StripeAccess(DependencyProvider):
    """Reads the settings at start, so a misconfigured process fails before taking work."""

    def setup(self) -> None:
        settings = BillingSettings.from_env()
        self.account = StripeAccount(
            gateway=settings.stripe_gateway(),
            webhook_secret=settings.webhook_secret,
            webhook_tolerance_seconds=settings.webhook_tolerance_seconds,
        )

    def get_dependency(self, worker_ctx) -> StripeAccount:
        return self.account
