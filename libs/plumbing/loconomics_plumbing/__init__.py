"""Shared plumbing of the Loconomics services; see README.md beside this package."""
