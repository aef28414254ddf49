"""Profiles: who is on the platform and what they offer."""
