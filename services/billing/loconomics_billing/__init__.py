"""Loconomics billing: memberships that make owners, commission-free booking payments."""
