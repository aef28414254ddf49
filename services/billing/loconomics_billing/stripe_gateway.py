"""Every call billing makes to Stripe, behind one narrow interface.

The domain depends on the `StripeGateway` protocol only, so its rules are tested against a
fake, and the real `StripeSdkGateway` is tested against localstripe. Results are plain dicts
(Stripe's JSON), and Stripe's failures become the three exceptions below so the domain never
handles SDK types.

Two settings bridge production Stripe and localstripe:
- `plan_field`: subscription items name their plan `plan` (the legacy Plans API, the only one
  localstripe speaks) or `price` (current Stripe; a Plan id is accepted as a Price id).
- `connect_enabled`: booking charges carry `transfer_data.destination` (a Connect destination
  charge) only when on; localstripe rejects `transfer_data`, so there the destination is only
  recorded by the domain.
"""

from __future__ import annotations

from typing import Any, Protocol

import stripe


class CardDeclined(Exception):
    """The card was refused (attach, subscription payment or authorisation)."""

    def __init__(self, code: str, message: str, payment_intent_id: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.payment_intent_id = payment_intent_id


class StripeRejected(Exception):
    """Stripe refused a request as invalid (unknown payment method, wrong state...)."""

    def __init__(self, message: str, param: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.status = status


class StripeUnavailable(Exception):
    """Stripe could not be reached or failed; the caller should retry later."""


class StripeGateway(Protocol):
    connect_enabled: bool

    def retrieve_product(self, product_id: str) -> dict | None: ...

    def create_product(self, product_id: str, name: str, metadata: dict[str, str]) -> dict: ...

    def update_product(self, product_id: str, changes: dict) -> dict: ...

    def retrieve_plan(self, plan_id: str) -> dict | None: ...

    def create_plan(
        self,
        *,
        plan_id: str,
        product_id: str,
        amount_cents: int,
        currency: str,
        interval: str,
        nickname: str,
        trial_period_days: int | None,
        metadata: dict[str, str],
    ) -> dict: ...

    def update_plan(self, plan_id: str, changes: dict) -> dict: ...

    def create_customer(self, user_id: str, idempotency_key: str) -> dict: ...

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> dict: ...

    def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> dict: ...

    def create_subscription(
        self,
        *,
        customer_id: str,
        plan_id: str,
        trial_end: int | None,
        user_id: str,
        idempotency_key: str,
    ) -> dict: ...

    def change_subscription_plan(
        self, subscription_id: str, item_id: str, plan_id: str
    ) -> dict: ...

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> dict: ...

    def retrieve_subscription(self, subscription_id: str) -> dict | None: ...

    def cancel_subscription_now(self, subscription_id: str) -> dict | None: ...

    def delete_customer(self, customer_id: str) -> bool: ...

    def retrieve_invoice(self, invoice_id: str) -> dict | None: ...

    def pay_invoice(self, invoice_id: str) -> dict: ...

    def create_payment_intent(
        self,
        *,
        amount_cents: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        capture_manual: bool,
        off_session: bool,
        destination_account: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict: ...

    def capture_payment_intent(self, payment_intent_id: str, amount_cents: int | None) -> dict: ...

    def cancel_payment_intent(self, payment_intent_id: str) -> dict: ...

    def refund_payment_intent(self, payment_intent_id: str, amount_cents: int) -> dict: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict | None: ...


def _plain(obj: Any) -> dict:
    return obj.to_dict()


class StripeSdkGateway:
    """The real gateway: the official `stripe` SDK, one client per gateway (no global state)."""

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        plan_field: str = "plan",
        connect_enabled: bool = False,
        max_network_retries: int = 2,
    ):
        if plan_field not in ("plan", "price"):
            raise ValueError("plan_field must be 'plan' or 'price'")
        options: dict[str, Any] = {"max_network_retries": max_network_retries}
        if api_base:
            options["base_addresses"] = {"api": api_base}
        self.client = stripe.StripeClient(api_key, **options)
        self.plan_field = plan_field
        self.connect_enabled = connect_enabled

    def _call(self, fn, *args, **kwargs) -> dict:
        try:
            return _plain(fn(*args, **kwargs))
        except stripe.CardError as exc:
            intent = getattr(exc.error, "payment_intent", None) if exc.error else None
            raise CardDeclined(
                code=str(exc.code or "card_declined"),
                message=exc.user_message or str(exc),
                payment_intent_id=getattr(intent, "id", None),
            ) from exc
        except stripe.InvalidRequestError as exc:
            raise StripeRejected(
                exc.user_message or str(exc), param=exc.param, status=exc.http_status
            ) from exc
        except stripe.StripeError as exc:
            raise StripeUnavailable(str(exc)) from exc

    def _retrieve(self, fn, object_id: str, params: dict | None = None) -> dict | None:
        try:
            return self._call(fn, object_id, params=params or {})
        except StripeRejected as exc:
            if exc.status == 404:
                return None
            raise

    def retrieve_product(self, product_id: str) -> dict | None:
        return self._retrieve(self.client.v1.products.retrieve, product_id)

    def create_product(self, product_id: str, name: str, metadata: dict[str, str]) -> dict:
        return self._call(
            self.client.v1.products.create,
            params={"id": product_id, "name": name, "metadata": metadata},
        )

    def update_product(self, product_id: str, changes: dict) -> dict:
        return self._call(self.client.v1.products.update, product_id, params=changes)

    def retrieve_plan(self, plan_id: str) -> dict | None:
        return self._retrieve(self.client.v1.plans.retrieve, plan_id)

    def create_plan(
        self,
        *,
        plan_id: str,
        product_id: str,
        amount_cents: int,
        currency: str,
        interval: str,
        nickname: str,
        trial_period_days: int | None,
        metadata: dict[str, str],
    ) -> dict:
        params: dict[str, Any] = {
            "id": plan_id,
            "product": product_id,
            "amount": amount_cents,
            "currency": currency.lower(),
            "interval": interval,
            "nickname": nickname,
            "metadata": metadata,
        }
        if trial_period_days:
            params["trial_period_days"] = trial_period_days
        return self._call(self.client.v1.plans.create, params=params)

    def update_plan(self, plan_id: str, changes: dict) -> dict:
        return self._call(self.client.v1.plans.update, plan_id, params=changes)

    def create_customer(self, user_id: str, idempotency_key: str) -> dict:
        return self._call(
            self.client.v1.customers.create,
            params={"metadata": {"user_id": user_id}},
            options={"idempotency_key": idempotency_key},
        )

    def attach_payment_method(self, payment_method_id: str, customer_id: str) -> dict:
        return self._call(
            self.client.v1.payment_methods.attach,
            payment_method_id,
            params={"customer": customer_id},
        )

    def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> dict:
        return self._call(
            self.client.v1.customers.update,
            customer_id,
            params={"invoice_settings": {"default_payment_method": payment_method_id}},
        )

    def create_subscription(
        self,
        *,
        customer_id: str,
        plan_id: str,
        trial_end: int | None,
        user_id: str,
        idempotency_key: str,
    ) -> dict:
        params: dict[str, Any] = {
            "customer": customer_id,
            "items": [{self.plan_field: plan_id}],
            "metadata": {"user_id": user_id},
            "payment_behavior": "error_if_incomplete",
            "expand": ["latest_invoice"],
        }
        if trial_end is not None:
            params["trial_end"] = trial_end
        return self._call(
            self.client.v1.subscriptions.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def change_subscription_plan(self, subscription_id: str, item_id: str, plan_id: str) -> dict:
        # No proration_behavior: Stripe's default is create_prorations, and localstripe
        # answers 500 to the parameter.
        return self._call(
            self.client.v1.subscriptions.update,
            subscription_id,
            params={
                "items": [{"id": item_id, self.plan_field: plan_id}],
                "cancel_at_period_end": False,
                "expand": ["latest_invoice"],
            },
        )

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> dict:
        return self._call(
            self.client.v1.subscriptions.update,
            subscription_id,
            params={"cancel_at_period_end": cancel, "expand": ["latest_invoice"]},
        )

    def retrieve_subscription(self, subscription_id: str) -> dict | None:
        return self._retrieve(
            self.client.v1.subscriptions.retrieve,
            subscription_id,
            {"expand": ["latest_invoice"]},
        )

    def cancel_subscription_now(self, subscription_id: str) -> dict | None:
        """End the subscription now, with no credit for the unused time and no final invoice.

        None when Stripe has no live subscription by that id: Stripe answers 404 to
        cancelling one already cancelled (localstripe returns it again, cancelled).
        """
        try:
            return self._call(
                self.client.v1.subscriptions.cancel,
                subscription_id,
                params={"invoice_now": False, "prorate": False},
            )
        except StripeRejected as exc:
            if exc.status == 404:
                return None
            raise

    def delete_customer(self, customer_id: str) -> bool:
        """Delete the customer with its cards; False when Stripe had no such customer (any more)."""
        try:
            self._call(self.client.v1.customers.delete, customer_id)
        except StripeRejected as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def retrieve_invoice(self, invoice_id: str) -> dict | None:
        return self._retrieve(self.client.v1.invoices.retrieve, invoice_id)

    def pay_invoice(self, invoice_id: str) -> dict:
        return self._call(self.client.v1.invoices.pay, invoice_id)

    def create_payment_intent(
        self,
        *,
        amount_cents: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        capture_manual: bool,
        off_session: bool,
        destination_account: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict:
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "capture_method": "manual" if capture_manual else "automatic",
            "confirm": True,
            "metadata": metadata,
            "expand": ["latest_charge"],
        }
        if off_session:
            params["off_session"] = True
        if self.connect_enabled and destination_account:
            params["transfer_data"] = {"destination": destination_account}
        return self._call(
            self.client.v1.payment_intents.create,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def capture_payment_intent(self, payment_intent_id: str, amount_cents: int | None) -> dict:
        params: dict[str, Any] = {"expand": ["latest_charge"]}
        if amount_cents is not None:
            params["amount_to_capture"] = amount_cents
        return self._call(self.client.v1.payment_intents.capture, payment_intent_id, params=params)

    def cancel_payment_intent(self, payment_intent_id: str) -> dict:
        return self._call(
            self.client.v1.payment_intents.cancel,
            payment_intent_id,
            params={"expand": ["latest_charge"]},
        )

    def refund_payment_intent(self, payment_intent_id: str, amount_cents: int) -> dict:
        return self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": payment_intent_id, "amount": amount_cents},
        )

    def retrieve_payment_intent(self, payment_intent_id: str) -> dict | None:
        return self._retrieve(
            self.client.v1.payment_intents.retrieve,
            payment_intent_id,
            {"expand": ["latest_charge"]},
        )
