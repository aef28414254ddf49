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
    return card_made_in(platform.env()["STRIPE_API_BASE"], client, number)


def card_made_in(
    api_base: str,
    client: stripe.StripeClient,
    number: str = GOOD_CARD,
    publishable_key: str = PUBLISHABLE_KEY,
    timeout: float = 10,
) -> str:
    """A payment method made in the localstripe at `api_base` as Stripe.js makes it: localstripe
    refuses `POST /v1/payment_methods` with a publishable key, so the card goes through a
    SetupIntent confirmed with the publishable key, as its fake Stripe.js does."""
    setup = client.v1.setup_intents.create(params={"usage": "off_session"})
    body = json.dumps(
        {
            "key": publishable_key,
            "client_secret": setup.client_secret,
            "payment_method_data": {
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            },
        }
    ).encode()
    request = urllib.request.Request(
        f"{api_base}/v1/setup_intents/{setup.id}/confirm", data=body, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read())["payment_method"]
