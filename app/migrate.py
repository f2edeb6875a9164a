"""Run Alembic from code (CLI, demo, tests) against a given database URL."""

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import make_url

from app.config import ROOT
from app.db import make_engine

# One fixed key for the whole app: every instance that starts `portfolio migrate` asks for the same lock.
# (0x706f7274666f6c69 is "portfoli" in ASCII; any constant works as long as nothing else uses it.)
MIGRATION_LOCK_KEY = 0x706F7274666F6C69


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


@contextmanager
def migration_lock(database_url: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock while migrating, so that instances starting together take turns.

    The lock is session-level on a connection of its own: it outlives Alembic's transaction and ends with the
    connection even if this process dies. The second instance waits, then finds the schema at head and does
    nothing. SQLite needs no lock: it is one file for one machine, and its write lock already serialises the
    migration transactions (several app instances behind a load balancer always use PostgreSQL).
    """
    if make_url(database_url).get_backend_name() != "postgresql":
        yield
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
            conn.commit()  # the lock is the session's, not the transaction's: keep no transaction open
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
                conn.commit()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    with migration_lock(database_url):
        command.upgrade(alembic_config(database_url), revision)
