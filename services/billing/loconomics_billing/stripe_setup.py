"""Operator commands that prepare Stripe for billing; run after migrations, before traffic.

    python -m loconomics_billing.stripe_setup sync-plans
    python -m loconomics_billing.stripe_setup local-webhook [--url URL]

`sync-plans` makes Stripe hold exactly billing's paid plans (safe to run on every deploy;
it stops with an error if a plan's price or interval drifted). `local-webhook` is for
localstripe only: it points localstripe's webhooks at the gateway's
`POST /v1/webhooks/stripe`, signed with `STRIPE_WEBHOOK_SECRET`. localstripe forgets its
webhooks when it restarts, so run it after every start. Against real Stripe, create the
endpoint in the dashboard instead (see the README). Both read billing's settings from the
environment (`STRIPE_API_BASE`, `STRIPE_API_KEY`, `STRIPE_WEBHOOK_SECRET`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request

from .domain.plans import sync_plans
from .domain.webhooks import HANDLED_EVENT_TYPES
from .settings import BillingSettings

LOCAL_WEBHOOK_NAME = "loconomics"


def default_webhook_url() -> str:
    base = os.environ.get("GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/v1/webhooks/stripe"


def register_local_webhook(
    api_base: str, url: str, secret: str, name: str = LOCAL_WEBHOOK_NAME
) -> None:
    """Tell localstripe where to send its events (its own `/_config/webhooks/<name>` API)."""
    request = urllib.request.Request(
        f"{api_base.rstrip('/')}/_config/webhooks/{name}",
        data=json.dumps(
            {"url": url, "secret": secret, "events": sorted(HANDLED_EVENT_TYPES)}
        ).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        answer.read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loconomics-billing-stripe-setup")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("sync-plans", help="create or update billing's plans in Stripe")
    webhook = actions.add_parser(
        "local-webhook", help="point localstripe's webhooks at the gateway"
    )
    webhook.add_argument(
        "--url", default=None, help="default: $GATEWAY_PUBLIC_URL/v1/webhooks/stripe"
    )
    args = parser.parse_args(argv)
    settings = BillingSettings.from_env()
    if args.action == "sync-plans":
        report = sync_plans(settings.stripe_gateway())
        print(
            f"plans synced: {len(report.created)} created, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged"
        )
        return 0
    if not settings.api_base:
        print("local-webhook is for localstripe: set STRIPE_API_BASE", file=sys.stderr)
        return 2
    url = args.url or default_webhook_url()
    register_local_webhook(settings.api_base, url, settings.webhook_secret)
    print(f"localstripe webhooks go to {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
