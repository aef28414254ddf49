"""The notifications service's rules, plain Python: no transport, no clock of its own."""
