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
