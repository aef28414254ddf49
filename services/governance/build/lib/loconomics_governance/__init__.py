"""Cooperative governance: members, ballots, board elections and patronage."""
