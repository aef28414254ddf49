"""What operators run: the migrations, the settings, and the Stripe setup commands."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import stripe
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from loconomics_billing import stripe_setup
from loconomics_billing.domain.webhooks import verify_stripe_event
from loconomics_billing.models import Base
from loconomics_billing.settings import BillingSettings
from loconomics_plumbing.migrate import upgrade
from sqlalchemy import create_engine, inspect

SECRET_KEY = "sk_test_billing"


def schema_drift(url: str) -> tuple[list, set[str]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    return drift, tables


def test_the_migrations_build_exactly_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'billing.sqlite3'}"
    upgrade("billing", url)
    drift, tables = schema_drift(url)
    assert drift == []
    assert {"memberships", "processed_stripe_events", "outbox_events", "processed_events"} <= (
        tables
    )


@pytest.mark.postgres
def test_the_migrations_build_exactly_the_models_on_postgresql(postgres_url):
    upgrade("billing", postgres_url)
    drift, tables = schema_drift(postgres_url)
    assert drift == []
    assert "booking_payments" in tables


def test_settings_fit_localstripe_locally_and_stripe_otherwise(monkeypatch):
    for name in (
        "STRIPE_API_BASE",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PLAN_FIELD",
        "STRIPE_CONNECT_ENABLED",
        "LOCONOMICS_ENV",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:8420")
    local = BillingSettings.from_env()
    assert (local.plan_field, local.connect_enabled) == ("plan", False)
    assert local.webhook_secret.startswith("whsec_")

    monkeypatch.delenv("STRIPE_API_BASE")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_live")
    real = BillingSettings.from_env()
    assert (real.api_base, real.plan_field, real.connect_enabled) == (None, "price", True)
    monkeypatch.setenv("STRIPE_CONNECT_ENABLED", "no")
    assert BillingSettings.from_env().connect_enabled is False

    monkeypatch.setenv("LOCONOMICS_ENV", "production")
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    with pytest.raises(RuntimeError, match="STRIPE_WEBHOOK_SECRET"):
        BillingSettings.from_env()


def test_the_setup_commands_sync_plans_and_point_localstripe_at_the_gateway(
    localstripe_url, monkeypatch, capsys
):
    received: list[tuple[bytes, str]] = []
    arrived = threading.Condition()

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with arrived:
                received.append((body, self.headers["Stripe-Signature"]))
                arrived.notify_all()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            return

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("STRIPE_API_BASE", localstripe_url)
    monkeypatch.setenv("STRIPE_API_KEY", SECRET_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_setup_test")
    monkeypatch.setenv("GATEWAY_PUBLIC_URL", f"http://127.0.0.1:{server.server_port}")
    try:
        assert stripe_setup.main(["sync-plans"]) == 0
        assert stripe_setup.main(["sync-plans"]) == 0
        assert "0 created, 0 updated, 5 unchanged" in capsys.readouterr().out.splitlines()[-1]
        assert stripe_setup.main(["local-webhook"]) == 0

        client = stripe.StripeClient(
            SECRET_KEY, base_addresses={"api": localstripe_url}, max_network_retries=0
        )
        customer = client.v1.customers.create(params={"metadata": {"user_id": "setup"}})
        client.v1.subscriptions.create(
            params={
                "customer": customer.id,
                "items": [{"plan": "loconomics-owner-pro-annual"}],
                "trial_end": 4102444800,
            }
        )

        def ours():
            return [
                (body, signature)
                for body, signature in received
                if json.loads(body)["data"]["object"].get("customer") == customer.id
            ]

        with arrived:
            assert arrived.wait_for(lambda: ours(), timeout=10)
    finally:
        server.shutdown()
    body, signature = ours()[0]
    event = verify_stripe_event(body, signature, "whsec_setup_test")
    assert event["type"] == "customer.subscription.created"


def test_the_local_webhook_command_refuses_real_stripe(monkeypatch, capsys):
    monkeypatch.delenv("STRIPE_API_BASE", raising=False)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_x")
    assert stripe_setup.main(["local-webhook"]) == 2
    assert "localstripe" in capsys.readouterr().err
