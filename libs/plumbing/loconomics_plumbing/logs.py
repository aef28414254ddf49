"""One JSON object per log line, carrying the nameko call id of the worker that wrote it."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

_current = threading.local()


def set_call_id(call_id: str | None) -> None:
    """Remember the running worker's call id (green-thread local under eventlet)."""
    _current.call_id = call_id


def current_call_id() -> str | None:
    return getattr(_current, "call_id", None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "call_id": current_call_id(),
        }
        for key in ("service", "entrypoint", "event_type", "event_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def logging_config(level: str = "INFO") -> dict:
    """A `logging.config.dictConfig` for nameko's LOGGING setting and the gateway."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "loconomics_plumbing.logs.JsonFormatter"}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {"kombu": {"level": "WARNING"}, "amqp": {"level": "WARNING"}},
    }
