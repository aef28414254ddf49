"""Billing rules and state changes, plain Python: no transport, no clock of its own."""
