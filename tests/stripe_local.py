"""The platform's localstripe as the tests meet it: the operator's setup, Stripe's own side
(the secret key, as Stripe would act), and cards made as Stripe.js makes them."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import stripe
from local_platform import Platform

GOOD_CARD = "4242424242424242"
PUBLISHABLE_KEY = "pk_test_loconomics_local"


def set_up_stripe(platform: Platform) -> None:
    """The two operator commands the launcher runs after migrations (idempotent)."""
    for action in ("sync-plans", "local-webhook"):
        subprocess.run(
            [sys.executable, "-m", "loconomics_billing.stripe_setup", action],
            env=platform.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )


def stripe_client(platform: Platform) -> stripe.StripeClient:
    """Stripe itself, with the secret key: what billing never does (bill a period, end one)."""
    env = platform.env()
    return stripe.StripeClient(
        env["STRIPE_API_KEY"], base_addresses={"api": env["STRIPE_API_BASE"]}, max_network_retries=0
    )


def browser_card(platform: Platform, client: stripe.StripeClient, number: str = GOOD_CARD) -> str:
    """A payment method made as Stripe.js makes it, with the publishable key only."""
    setup = client.v1.setup_intents.create(params={"usage": "off_session"})
    body = json.dumps(
        {
            "key": PUBLISHABLE_KEY,
            "client_secret": setup.client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            },
        }
    ).encode()
    request = urllib.request.Request(
        f"{platform.env()['STRIPE_API_BASE']}/v1/setup_intents/{setup.id}/confirm",
        data=body,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["payment_method"]
