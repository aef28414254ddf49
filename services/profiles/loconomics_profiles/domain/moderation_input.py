"""What the moderation rules of profiles check and page alike (reports of reviews, reports of
profiles, suspensions): one wording per mistake, and the queues' order.

The RPC schemas check the same before the domain is called; the domain checks again so it
stays usable without our RPC layer, and answers the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from loconomics_plumbing.errors import Invalid
from loconomics_plumbing.validation import encode_cursor
from sqlalchemy import Select

from .reviews import decode_position

DEFAULT_PAGE, MAX_PAGE = 20, 100

Errors = dict[str, list[str]]


def check_choice(errors: Errors, name: str, value: object, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        errors[name] = [f"One of: {', '.join(choices)}."]


def check_text(errors: Errors, name: str, value: object, limit: int) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        errors[name] = [f"At most {limit} characters."]


def check_limit(errors: Errors, limit: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        errors["limit"] = [f"From 1 to {MAX_PAGE}."]


def raise_if(errors: Errors) -> None:
    if errors:
        raise Invalid("The input is not valid.", errors)


def oldest_first(query: Select, model: type, cursor: str | None) -> Select:
    """A queue of reports, first come first answered, from after `cursor`."""
    if cursor:
        moment, report_id = decode_position(cursor)
        query = query.where(
            (model.created_at > moment) | ((model.created_at == moment) & (model.id > report_id))
        )
    return query.order_by(model.created_at, model.id)


def next_cursor(moment: datetime, row_id: str) -> str:
    """Where the next page starts: after the row at (`moment`, `row_id`)."""
    return encode_cursor([moment.isoformat(), row_id])
