from datetime import UTC, datetime

import pytest
from loconomics_notifications.domain.wording import (
    format_date,
    format_moment,
    format_money,
    format_span,
    language_of,
)

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("cents", "currency", "language", "expected"),
    [
        (1900, "USD", "en", "$19.00"),
        (1900, "USD", "fr", f"19,00{NBSP}$US"),
        (123456789, "USD", "en", "$1,234,567.89"),
        (123456789, "USD", "fr", f"1{NNBSP}234{NNBSP}567,89{NBSP}$US"),
        (5, "EUR", "fr", f"0,05{NBSP}€"),
        (5, "EUR", "en", "€0.05"),
        (2500, "CAD", "en", "CA$25.00"),
        (1500, "JPY", "en", "¥1,500"),
        (-250, "USD", "en", "-$2.50"),
        (1000, "CHF", "en", f"CHF{NBSP}10.00"),
        (1000, "CHF", "fr", f"10,00{NBSP}CHF"),
    ],
)
def test_money_is_written_the_way_each_language_writes_it(cents, currency, language, expected):
    assert format_money(cents, currency, language) == expected


def test_english_uses_a_12_hour_clock_and_french_a_24_hour_clock():
    moment = datetime(2026, 7, 4, 20, 5, tzinfo=UTC)  # 13:05 in Los Angeles (PDT)
    assert format_moment(moment, "America/Los_Angeles", "en") == (
        f"Saturday, July 4, 2026 at 1:05{NBSP}PM (Los Angeles time)"
    )
    assert format_moment(moment, "America/Los_Angeles", "fr") == (
        "samedi 4 juillet 2026 à 13:05 (heure de Los Angeles)"
    )


def test_midnight_and_noon_in_english():
    assert "12:00\u00a0AM" in format_moment(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), "UTC", "en")
    assert "12:00\u00a0PM" in format_moment(datetime(2026, 1, 1, 12, 0, tzinfo=UTC), "UTC", "en")


def test_a_span_follows_daylight_saving_in_the_given_zone():
    # Los Angeles moves to PDT on 2026-03-08: 21:30 UTC is 13:30 before and 14:30 after.
    before = datetime(2026, 3, 7, 21, 30, tzinfo=UTC)
    after = datetime(2026, 3, 9, 21, 30, tzinfo=UTC)
    hour = datetime(2026, 1, 1, 1, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)
    assert "1:30\u00a0PM – 2:30\u00a0PM" in format_span(
        before, before + hour, "America/Los_Angeles", "en"
    )
    assert "2:30\u00a0PM – 3:30\u00a0PM" in format_span(
        after, after + hour, "America/Los_Angeles", "en"
    )
    assert "de 14:30 à 15:30" in format_span(after, after + hour, "America/Los_Angeles", "fr")


def test_a_span_over_midnight_gives_both_dates():
    start = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
    end = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    text = format_span(start, end, "UTC", "en")
    assert text.startswith("Tuesday, March 10, 2026 at 10:00\u00a0PM – Wednesday, March 11, 2026")
    assert text.endswith("(UTC)")


def test_a_span_ending_at_midnight_is_written_on_its_evening():
    # 23:00 to 00:00 in Los Angeles on Monday, November 30, 2026 (07:00 to 08:00 UTC next day)
    start = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    end = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert format_span(start, end, "America/Los_Angeles", "fr") == (
        "lundi 30 novembre 2026, de 23:00 à 00:00 (heure de Los Angeles)"
    )
    assert format_span(start, end, "America/Los_Angeles", "en") == (
        f"Monday, November 30, 2026, 11:00{NBSP}PM – 12:00{NBSP}AM (Los Angeles time)"
    )
    # a minute later it is the next morning, and both dates are said
    later = format_span(start, end.replace(minute=1), "America/Los_Angeles", "en")
    assert later.startswith(f"Monday, November 30, 2026 at 11:00{NBSP}PM – Tuesday, December 1")


def test_french_first_of_the_month_and_dates_in_the_readers_zone():
    moment = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)  # already June 1 in Paris
    assert format_date(moment, "Europe/Paris", "fr") == "lundi 1er juin 2026"
    assert format_date(moment, "UTC", "en") == "Sunday, May 31, 2026"


def test_an_unknown_zone_falls_back_to_utc():
    moment = datetime(2026, 1, 1, 15, 0, tzinfo=UTC)
    assert format_moment(moment, "Mars/Olympus_Mons", "fr").endswith("15:00 (UTC)")


@pytest.mark.parametrize(
    ("tag", "language"),
    [("fr", "fr"), ("fr-CA", "fr"), ("FR_fr", "fr"), ("en-US", "en"), ("de", "en"), (None, "en")],
)
def test_language_tags_map_to_the_languages_we_speak(tag, language):
    assert language_of(tag) == language
