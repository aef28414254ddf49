"""The shape every service's part of a member's copy shares, and the check of its table lists."""

from __future__ import annotations

import pytest
from loconomics_plumbing.member_data import (
    MemberDataPartSchema,
    member_data_part,
    section,
    unaccounted_tables,
)
from marshmallow import Schema, fields
from sqlalchemy import Column, MetaData, String, Table

ABOUT = {"visits": "Visits you made.", "notes": "Notes you wrote."}


class VisitRecordSchema(Schema):
    id = fields.String(required=True)


class SectionsSchema(Schema):
    visits = section(VisitRecordSchema)
    notes = section(VisitRecordSchema, "Notes you wrote.")


class PartSchema(MemberDataPartSchema):
    sections = fields.Nested(SectionsSchema, required=True)


def test_a_part_has_every_section_in_order_with_its_about_and_records():
    part = member_data_part("demo", ABOUT, {"notes": [], "visits": [{"id": "v1"}]})
    assert part == {
        "service": "demo",
        "sections": {
            "visits": {"about": "Visits you made.", "records": [{"id": "v1"}]},
            "notes": {"about": "Notes you wrote.", "records": []},
        },
    }
    assert list(part["sections"]) == ["visits", "notes"]


def test_a_section_without_records_is_a_mistake_not_an_empty_section():
    with pytest.raises(KeyError):
        member_data_part("demo", ABOUT, {"visits": []})


def test_a_record_keeps_only_the_fields_its_schema_names():
    part = member_data_part("demo", ABOUT, {"visits": [{"id": "v1", "secret": "s"}], "notes": []})
    dumped = PartSchema().dump(part)
    assert dumped["sections"]["visits"]["records"] == [{"id": "v1"}]
    assert dumped["service"] == "demo"


def test_sections_of_the_same_records_share_one_schema():
    fields_ = SectionsSchema().fields
    assert type(fields_["visits"].schema) is type(fields_["notes"].schema)
    assert fields_["visits"].required
    assert fields_["notes"].metadata == {"description": "Notes you wrote."}
    assert fields_["visits"].metadata == {}


def test_every_way_a_table_list_can_be_wrong_is_named():
    metadata = MetaData()
    for name in ("visits", "notes", "outbox_events"):
        Table(name, metadata, Column("id", String, primary_key=True))
    shown = {"visits": ("visits",), "notes": ("notes",)}
    reasons = {"outbox_events": "Events on their way."}
    assert unaccounted_tables(metadata, shown, reasons) == {}
    assert unaccounted_tables(metadata, {"visits": ("visits",)}, reasons) == {
        "in neither list": {"notes"}
    }
    assert unaccounted_tables(metadata, {**shown, "gone": ("x",)}, reasons) == {
        "listed but not a table": {"gone"}
    }
    assert unaccounted_tables(metadata, shown, {**reasons, "notes": "Why."}) == {
        "in both lists": {"notes"}
    }
