"""Loconomics booking: when a professional can be booked, and every booking's life."""
