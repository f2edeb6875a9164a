"""The canonical forms hashed by the audit chain and its row bindings: identical before and after a round trip
through SQLite or PostgreSQL."""

import json
from datetime import UTC, datetime
from typing import Any

from app.db import as_utc


def canonical_at(at: datetime) -> str:
    """`at` as UTC ISO-8601 with microseconds: identical before and after a round trip through SQLite
    (naive text) or PostgreSQL (timestamptz in the session's time zone)."""
    return as_utc(at).astimezone(UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
