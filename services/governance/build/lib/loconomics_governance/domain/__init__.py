"""Governance rules as plain Python: no transport, no clock; the caller passes `now`."""
