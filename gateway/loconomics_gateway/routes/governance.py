"""Operations of the governance part of the API; see routes/accounts.py for the shape."""

from __future__ import annotations

from ..operations import Operation

OPERATIONS: list[Operation] = []
