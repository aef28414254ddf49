"""Money and dates written the way each of our languages writes them.

Kept in-house (no Babel) because we speak two languages and need only a handful of
currencies; a wrong format here would reach every member, so the rules are spelled out.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
DEFAULT_ZONE = "UTC"

# Digits after the decimal point for currencies that do not use two.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3}
_EN_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "MXN": "MX$", "JPY": "¥"}
_FR_SYMBOLS = {"USD": "$US", "CAD": "$CA", "EUR": "€", "GBP": "£GB", "MXN": "$MX", "JPY": "JPY"}
_NARROW_NBSP = "\u202f"
_NBSP = "\u00a0"

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FR_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def language_of(value: str | None) -> str:
    """Our language for a tag such as `fr-CA`; anything we do not speak falls back to English."""
    base = (value or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def format_money(amount_cents: int, currency: str, language: str) -> str:
    currency = currency.upper()
    digits = _MINOR_DIGITS.get(currency, 2)
    sign = "-" if amount_cents < 0 else ""
    units, minor = divmod(abs(amount_cents), 10**digits)
    if language == "fr":
        number = _group(str(units), _NARROW_NBSP) + (f",{minor:0{digits}d}" if digits else "")
        return f"{sign}{number}{_NBSP}{_FR_SYMBOLS.get(currency, currency)}"
    number = _group(str(units), ",") + (f".{minor:0{digits}d}" if digits else "")
    symbol = _EN_SYMBOLS.get(currency)
    if symbol is None:
        return f"{sign}{currency}{_NBSP}{number}"
    return f"{sign}{symbol}{number}"


def _zone_label(zone: ZoneInfo, language: str) -> str:
    if zone.key in ("UTC", "Etc/UTC"):
        return "UTC"
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    return f"heure de {city}" if language == "fr" else f"{city} time"


def _time(moment: datetime, language: str) -> str:
    if language == "fr":
        return f"{moment.hour:02d}:{moment.minute:02d}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{_NBSP}{'AM' if moment.hour < 12 else 'PM'}"


def _date(moment: datetime, language: str) -> str:
    if language == "fr":
        day = "1er" if moment.day == 1 else str(moment.day)
        return f"{_FR_DAYS[moment.weekday()]} {day} {_FR_MONTHS[moment.month - 1]} {moment.year}"
    return (
        f"{_EN_DAYS[moment.weekday()]}, {_EN_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"
    )


def format_moment(moment: datetime, zone_name: str | None, language: str) -> str:
    """A date and time as seen in `zone_name`, with the zone said, e.g. for a vote's deadline."""
    zone = zone_or_utc(zone_name)
    local = moment.astimezone(zone)
    joiner = " à " if language == "fr" else " at "
    label = _zone_label(zone, language)
    return f"{_date(local, language)}{joiner}{_time(local, language)} ({label})"


def format_span(start: datetime, end: datetime, zone_name: str | None, language: str) -> str:
    """A booking's time, in the professional's zone, where the appointment happens."""
    zone = zone_or_utc(zone_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    label = _zone_label(zone, language)
    if _within_one_day(local_start, local_end):
        joiner = ", de " if language == "fr" else ", "
        to = " à " if language == "fr" else " – "
        return (
            f"{_date(local_start, language)}{joiner}{_time(local_start, language)}{to}"
            f"{_time(local_end, language)} ({label})"
        )
    return (
        f"{format_moment(start, zone_name, language).rsplit(' (', 1)[0]} – "
        f"{format_moment(end, zone_name, language)}"
    )


def _within_one_day(local_start: datetime, local_end: datetime) -> bool:
    """On one date, or ending at the midnight that closes it (23:00 to 00:00 is that evening)."""
    if local_start.date() == local_end.date():
        return True
    closing_midnight = local_start.date() + timedelta(days=1)
    return local_end.date() == closing_midnight and local_end.time() == time(0)


def format_date(moment: datetime, zone_name: str | None, language: str) -> str:
    return _date(moment.astimezone(zone_or_utc(zone_name)), language)
