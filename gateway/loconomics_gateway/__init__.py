"""The public REST API of Loconomics."""
