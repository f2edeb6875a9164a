"""Readiness checks for `/readyz`: the database answers, its schema is at the migrations' head, and the storage
backend takes a write (at most every STORAGE_PROBE_SECONDS per instance: a load balancer probing every few
seconds must not become a stream of writes on S3; a failure is checked again at the next probe). Each check
answers a short reason for an operator, never an exception's text: that can hold a URL, a host name or a key."""

import logging
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from app.config import ROOT
from app.storage import Storage, new_key

log = logging.getLogger(__name__)

OK = "ok"
MIGRATIONS = ROOT / "migrations"
STORAGE_PROBE_SECONDS = 30.0

# When each storage backend last took a probe write (monotonic seconds); weak, so a test's app is not kept alive.
_last_written: "weakref.WeakKeyDictionary[Storage, float]" = weakref.WeakKeyDictionary()


@lru_cache(maxsize=4)  # the scripts only change with a deploy, and reading them all costs more than the probe
def script_heads(migrations: Path = MIGRATIONS) -> set[str]:
    return set(ScriptDirectory(str(migrations)).get_heads())


def check_database(engine: Engine) -> str:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return OK


def check_migrations(engine: Engine) -> str:
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    heads = script_heads()
    if current == heads:
        return OK
    # Revision ids are no secret and tell the operator which migration is missing.
    return f"achter: {', '.join(sorted(current)) or 'leeg'} -> {', '.join(sorted(heads))}"


def check_storage(storage: Storage) -> str:
    """Write a small probe blob through the backend and delete it again (unless one went through just now)."""
    last = _last_written.get(storage)
    if last is not None and time.monotonic() - last < STORAGE_PROBE_SECONDS:
        return OK
    key = new_key()
    probe = storage.spool_dir() / f"readyz-{key}.part"
    probe.write_bytes(b"readyz")
    try:
        storage.publish(probe, key=key, content_type="text/plain")
        storage.delete(key)
    finally:
        probe.unlink(missing_ok=True)
    _last_written[storage] = time.monotonic()
    return OK


def _run(name: str, check: Callable[[], str], failed: str) -> str:
    try:
        return check()
    except Exception as exc:  # any failure is a reason, not a 500
        log.warning("readyz: %s check failed (%s)", name, type(exc).__name__)
        return failed


def readiness(engine: Engine, storage: Storage) -> tuple[bool, dict[str, str]]:
    """(all ok, a short answer per check)."""
    database = _run("database", lambda: check_database(engine), "niet bereikbaar")
    if database == OK:
        migrations = _run("migrations", lambda: check_migrations(engine), "niet te bepalen")
    else:
        migrations = "niet te bepalen: database niet bereikbaar"
    checks = {
        "database": database,
        "migrations": migrations,
        "storage": _run("storage", lambda: check_storage(storage), "niet schrijfbaar"),
    }
    return all(v == OK for v in checks.values()), checks
