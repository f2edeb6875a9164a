"""The Alembic migrations produce exactly the models' schema: a model change without a migration fails here."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401


def test_migrations_match_the_models(engine: Engine) -> None:
    # `engine` is the suite's database, migrated to head by Alembic (SQLite or PostgreSQL).
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; run `alembic revision --autogenerate`: {diff}"


def test_every_model_table_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_constraint_names_follow_the_convention(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in SQLModel.metadata.tables:
        for fk in inspector.get_foreign_keys(table):
            if engine.dialect.name == "postgresql":
                assert fk["name"] and fk["name"].startswith(f"fk_{table}_"), fk


def test_upgrading_a_database_that_holds_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each migration must also run on a filled database (SQLite rebuilds tables in batch mode)."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from app import migrate
    from app.db import make_engine

    url = f"sqlite:///{tmp_path / 'filled.db'}"
    config = migrate.alembic_config(url)
    revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions())))
    engine = make_engine(url)
    for number, revision in enumerate(revisions):
        command.upgrade(config, revision.revision)
        with engine.begin() as conn:
            # Rows that other tables point at, added before every next migration.
            conn.execute(
                text(
                    "INSERT INTO user_account (email, name, locale, is_active, created_at) "
                    f"VALUES ('p{number}@x.nl', 'Persoon {number}', 'nl', 1, '2026-01-01 00:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO user_role (user_id, role) SELECT id, 'student' FROM user_account "
                    f"WHERE email = 'p{number}@x.nl'"
                )
            )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM user_account")).scalar() == len(revisions)
        assert conn.execute(text("PRAGMA foreign_key_check")).fetchall() == []
    engine.dispose()


def test_activation_migration_counts_accounts_with_a_password_as_activated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """#16 item 13: existing people who have a password are activated; one without (imported, never set one) is not,
    so the coordinator can send them the welcome mail. Reset links stay reset links."""
    from alembic import command
    from sqlalchemy import text

    from app import migrate
    from app.db import make_engine

    url = f"sqlite:///{tmp_path / 'activation.db'}"
    config = migrate.alembic_config(url)
    command.upgrade(config, "c15a00000005")
    engine = make_engine(url)
    with engine.begin() as conn:
        for email, password_hash in (("met@x.nl", "'argon2-hash'"), ("zonder@x.nl", "NULL")):
            conn.execute(
                text(
                    "INSERT INTO user_account (email, name, password_hash, locale, is_active, created_at) "
                    f"VALUES ('{email}', 'Persoon', {password_hash}, 'nl', 1, '2026-01-01 00:00:00')"
                )
            )
        conn.execute(
            text(
                "INSERT INTO password_reset_token (token_hash, user_id, created_at, expires_at) "
                "SELECT 'h', id, '2026-01-01 00:00:00', '2026-01-01 02:00:00' FROM user_account "
                "WHERE email = 'met@x.nl'"
            )
        )
    command.upgrade(config, "h13a00000001")
    with engine.connect() as conn:
        activated = dict(conn.execute(text("SELECT email, activated_at FROM user_account")).fetchall())
        kinds = conn.execute(text("SELECT kind FROM password_reset_token")).scalars().all()
    assert activated["met@x.nl"] is not None and activated["zonder@x.nl"] is None
    assert kinds == ["reset"]
    engine.dispose()
