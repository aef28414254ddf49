"""The event recorder every state-changing function receives (the outbox, in the service)."""

from __future__ import annotations

from collections.abc import Callable

Emit = Callable[[str, dict], None]
