"""Booking rules as plain Python: no transport, no clock, the caller commits."""
