from datetime import UTC, datetime, timedelta

import pytest
from loconomics_booking.domain.calendar_import import (
    BusySpan,
    ImportOutcome,
    MalformedFeed,
    claim_due_imports,
    normalise_url,
    parse_busy,
    record_import,
    set_import_url,
)
from loconomics_booking.models import BusyInterval, CalendarLink
from loconomics_plumbing.errors import Invalid
from sqlalchemy import select

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
BASE = "https://api.example.org/v1/calendars"
URL = "https://calendar.example.org/me.ics"


def ics(*events: str) -> bytes:
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *events, "END:VCALENDAR"]
    )
    return (body + "\r\n").encode()


def vevent(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT"])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def spans(document: bytes, time_zone: str = "America/New_York") -> list[tuple[datetime, datetime]]:
    return [(span.start, span.end) for span in parse_busy(document, time_zone, NOW)]


# --- reading a feed ----------------------------------------------------------------------


def test_a_plain_event_is_busy_time():
    document = ics(vevent("UID:a", "DTSTART:20260305T150000Z", "DTEND:20260305T160000Z"))
    assert spans(document) == [(utc(2026, 3, 5, 15), utc(2026, 3, 5, 16))]


def test_weekly_meeting_keeps_its_wall_clock_across_dst_with_exceptions_and_overrides():
    document = ics(
        vevent(
            "UID:weekly",
            "DTSTART;TZID=America/New_York:20260302T090000",
            "DTEND;TZID=America/New_York:20260302T100000",
            "RRULE:FREQ=WEEKLY;UNTIL=20260330T235959Z",
            "EXDATE;TZID=America/New_York:20260316T090000",
        ),
        vevent(
            "UID:weekly",
            "RECURRENCE-ID;TZID=America/New_York:20260323T090000",
            "DTSTART;TZID=America/New_York:20260323T150000",
            "DTEND;TZID=America/New_York:20260323T160000",
        ),
    )
    assert spans(document) == [
        (utc(2026, 3, 2, 14), utc(2026, 3, 2, 15)),  # EST
        (utc(2026, 3, 9, 13), utc(2026, 3, 9, 14)),  # EDT from 8 March
        (utc(2026, 3, 23, 19), utc(2026, 3, 23, 20)),  # moved to 15:00
        (utc(2026, 3, 30, 13), utc(2026, 3, 30, 14)),
    ]


def test_all_day_and_floating_events_are_read_in_the_professionals_zone():
    document = ics(
        vevent("UID:day", "DTSTART;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260311"),
        vevent("UID:floating", "DTSTART:20260312T090000", "DURATION:PT90M"),
    )
    assert spans(document, "Europe/Paris") == [
        (utc(2026, 3, 9, 23), utc(2026, 3, 10, 23)),
        (utc(2026, 3, 12, 8), utc(2026, 3, 12, 9, 30)),
    ]


def test_free_cancelled_past_and_far_events_are_not_busy():
    document = ics(
        vevent(
            "UID:free", "DTSTART:20260305T150000Z", "DTEND:20260305T160000Z", "TRANSP:TRANSPARENT"
        ),
        vevent("UID:off", "DTSTART:20260305T150000Z", "DTEND:20260305T160000Z", "STATUS:CANCELLED"),
        vevent("UID:past", "DTSTART:20260220T150000Z", "DTEND:20260220T160000Z"),
        vevent("UID:far", "DTSTART:20261001T150000Z", "DTEND:20261001T160000Z"),
        vevent(
            "UID:endless",
            "DTSTART:20250105T150000Z",
            "DTEND:20250105T160000Z",
            "RRULE:FREQ=MONTHLY",
        ),
    )
    found = parse_busy(document, "UTC", NOW)
    assert {span.uid for span in found} == {"endless"}
    assert [span.start for span in found] == [
        utc(2026, 3, 5, 15),
        utc(2026, 4, 5, 15),
        utc(2026, 5, 5, 15),
        utc(2026, 6, 5, 15),
        utc(2026, 7, 5, 15),
        utc(2026, 8, 5, 15),
    ]


@pytest.mark.parametrize(
    "document",
    [
        b"this is not a calendar",
        b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        ics(vevent("UID:bad", "DTSTART:2026-03-05 nonsense", "DTEND:20260305T160000Z")),
    ],
)
def test_malformed_feeds_are_refused_whole(document):
    with pytest.raises(MalformedFeed):
        parse_busy(document, "UTC", NOW)


def test_feeds_that_repeat_too_often_are_refused():
    minutely = vevent("UID:m", "DTSTART:20260301T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY")
    with pytest.raises(MalformedFeed, match="too often"):
        parse_busy(ics(minutely), "UTC", NOW)
    hourly = [
        vevent(f"UID:h{n}", f"DTSTART:20260301T0{n}0000Z", "DURATION:PT10M", "RRULE:FREQ=HOURLY")
        for n in range(2)
    ]
    with pytest.raises(MalformedFeed, match="More than"):
        parse_busy(ics(*hourly), "UTC", NOW)


# --- the professional's link and the record of each read -----------------------------------


def test_import_urls_are_normalised_and_checked(session, emit, pro):
    assert normalise_url("webcal://p01-caldav.icloud.com/published/2/abc") == (
        "https://p01-caldav.icloud.com/published/2/abc"
    )
    view = set_import_url(session, emit, pro, "webcal://example.org/cal.ics", BASE, NOW)
    assert (view["import_url"], view["import_status"]) == ("https://example.org/cal.ics", "pending")
    for bad in ("ftp://example.org/cal.ics", "file:///etc/passwd", "not a url"):
        with pytest.raises(Invalid):
            set_import_url(session, emit, pro, bad, BASE, NOW)


def _busy(session) -> list[tuple[datetime, datetime]]:
    rows = session.scalars(select(BusyInterval).order_by(BusyInterval.start))
    return [(row.start, row.end) for row in rows]


GOOD = ImportOutcome(spans=(BusySpan(utc(2026, 3, 5, 15), utc(2026, 3, 5, 16), "a"),))


def test_a_good_read_replaces_busy_time_and_announces_only_changes(session, emit, pro):
    set_import_url(session, emit, pro, URL, BASE, NOW)
    assert record_import(session, emit, "pro-1", URL, GOOD, NOW)
    assert _busy(session) == [(utc(2026, 3, 5, 15), utc(2026, 3, 5, 16))]
    assert emit.last("schedule_changed")["reason"] == "calendar_import"
    emit.clear()
    record_import(session, emit, "pro-1", URL, GOOD, NOW + timedelta(minutes=15))
    assert emit.events == []
    link = session.get(CalendarLink, "pro-1")
    assert (link.import_status, link.import_next_at) == ("ok", NOW + timedelta(minutes=30))


def test_a_failing_read_keeps_the_last_good_busy_time_and_backs_off(session, emit, pro):
    set_import_url(session, emit, pro, URL, BASE, NOW)
    record_import(session, emit, "pro-1", URL, GOOD, NOW)
    emit.clear()
    failed = ImportOutcome(error="The calendar took longer than 5 s to answer.")
    record_import(session, emit, "pro-1", URL, failed, NOW)
    record_import(session, emit, "pro-1", URL, failed, NOW)
    link = session.get(CalendarLink, "pro-1")
    assert link.import_status == "failing"
    assert link.import_error == "The calendar took longer than 5 s to answer."
    assert link.import_next_at == NOW + timedelta(minutes=30)
    assert emit.names() == ["calendar_import_failed"]
    assert _busy(session) == [(utc(2026, 3, 5, 15), utc(2026, 3, 5, 16))]
    record_import(session, emit, "pro-1", URL, GOOD, NOW)
    assert (link.import_status, link.import_failures, link.import_error) == ("ok", 0, None)


def test_a_read_of_a_url_changed_meanwhile_is_dropped(session, emit, pro):
    set_import_url(session, emit, pro, URL, BASE, NOW)
    set_import_url(session, emit, pro, "https://other.example.org/cal.ics", BASE, NOW)
    assert not record_import(session, emit, "pro-1", URL, GOOD, NOW)
    assert _busy(session) == []


def test_unlinking_removes_imported_busy_time(session, emit, pro):
    set_import_url(session, emit, pro, URL, BASE, NOW)
    record_import(session, emit, "pro-1", URL, GOOD, NOW)
    emit.clear()
    view = set_import_url(session, emit, pro, None, BASE, NOW)
    assert (view["import_url"], view["import_status"]) == (None, "none")
    assert _busy(session) == []
    assert emit.names() == ["schedule_changed"]


def test_due_feeds_are_leased_to_one_reader(session, emit, pro, setup_pro):
    setup_pro(time_zone="Europe/Paris")
    set_import_url(session, emit, pro, URL, BASE, NOW)
    due = claim_due_imports(session, NOW)
    assert due == [{"professional_id": "pro-1", "url": URL, "time_zone": "Europe/Paris"}]
    assert claim_due_imports(session, NOW + timedelta(minutes=1)) == []
    assert len(claim_due_imports(session, NOW + timedelta(minutes=2))) == 1
