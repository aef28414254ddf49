"""A member's copy of their data: the shape every service's part shares (docs/data-export.md).

Each service answers `export_member_data` with `{"service", "sections": {name: {"about",
"records"}}}`, every section present, and names, for every table of its database, the
sections it feeds or why it holds nothing of a member's to show. Written once here so the
five parts cannot drift apart, and usable by a service of another cooperative.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from marshmallow import Schema, fields
from sqlalchemy import MetaData


@functools.cache
def _section_schema(record: type[Schema]) -> type[Schema]:
    """One schema per record schema, so sections of the same records share it."""
    return Schema.from_dict(
        {
            "about": fields.String(
                required=True,
                metadata={"description": "What this is and why the cooperative keeps it."},
            ),
            "records": fields.List(
                fields.Nested(record), required=True, metadata={"description": "Oldest first."}
            ),
        },
        name=f"{record.__name__.removesuffix('Schema')}Section",
    )


def section(record: type[Schema], description: str | None = None) -> fields.Nested:
    """A section's field in a service's sections schema: its `about` and its records, each
    dumped by `record`, a schema of explicit fields (so a new column never leaks)."""
    metadata = {"description": description} if description else {}
    return fields.Nested(_section_schema(record), required=True, metadata=metadata)


class MemberDataPartSchema(Schema):
    """A service's part; the service's subclass adds `sections`, a schema of `section`s."""

    service = fields.String(required=True, metadata={"description": "The service answering."})


def member_data_part(service: str, about: Mapping[str, str], records: Mapping[str, list]) -> dict:
    """The part, every section of `about` in its order; `records` must have each of them."""
    return {
        "service": service,
        "sections": {
            name: {"about": text, "records": records[name]} for name, text in about.items()
        },
    }


def unaccounted_tables(
    metadata: MetaData, shown: Mapping[str, object], not_shown: Mapping[str, str]
) -> dict[str, set[str]]:
    """What a service's two table lists get wrong (empty when each table of `metadata` is
    shown in a section or explained, once), for the unit test that keeps a new table from
    being forgotten."""
    tables = set(metadata.tables)
    problems = {
        "in neither list": tables - set(shown) - set(not_shown),
        "listed but not a table": (set(shown) | set(not_shown)) - tables,
        "in both lists": set(shown) & set(not_shown),
    }
    return {problem: names for problem, names in problems.items() if names}
