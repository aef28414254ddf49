"""Billing's settings, from the environment (the twelve-factor way every service follows).

Locally (`STRIPE_API_BASE` set, pointing at localstripe) the defaults fit localstripe: plans
as legacy Plans and no Connect. Against real Stripe (`STRIPE_API_BASE` unset) they fit
current Stripe: Prices and Connect destination charges. In production
(`LOCONOMICS_ENV=production`) the key and the webhook secret must be given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .stripe_gateway import StripeSdkGateway

DEVELOPMENT_API_KEY = "sk_test_loconomics_local"
DEVELOPMENT_WEBHOOK_SECRET = "whsec_loconomics_local"


def _flag(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"not a yes/no setting: {value!r}")


def _secret(name: str, development_default: str) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if os.environ.get("LOCONOMICS_ENV", "development") == "production":
        raise RuntimeError(f"{name} must be set in production")
    return development_default


@dataclass(frozen=True)
class BillingSettings:
    api_key: str
    api_base: str | None
    webhook_secret: str
    webhook_tolerance_seconds: int
    plan_field: str
    connect_enabled: bool

    @classmethod
    def from_env(cls) -> BillingSettings:
        env = os.environ.get
        api_base = env("STRIPE_API_BASE") or None
        plan_field = env("STRIPE_PLAN_FIELD") or ("plan" if api_base else "price")
        if plan_field not in ("plan", "price"):
            raise ValueError("STRIPE_PLAN_FIELD must be 'plan' or 'price'")
        connect = env("STRIPE_CONNECT_ENABLED")
        return cls(
            api_key=_secret("STRIPE_API_KEY", DEVELOPMENT_API_KEY),
            api_base=api_base,
            webhook_secret=_secret("STRIPE_WEBHOOK_SECRET", DEVELOPMENT_WEBHOOK_SECRET),
            webhook_tolerance_seconds=int(env("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300")),
            plan_field=plan_field,
            connect_enabled=_flag(connect) if connect else api_base is None,
        )

    def stripe_gateway(self) -> StripeSdkGateway:
        """The one Stripe client a billing process (or an operator command) uses."""
        return StripeSdkGateway(
            self.api_key,
            self.api_base,
            plan_field=self.plan_field,
            connect_enabled=self.connect_enabled,
        )
