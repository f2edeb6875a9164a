"""Two instances starting at once both run `portfolio migrate` on one empty PostgreSQL database: the advisory
lock in app/migrate.py makes them take turns, so both succeed and the schema is migrated once."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from app.config import ROOT
from app.db import make_engine
from tests.conftest import postgres_url_or_skip, scratch_database

pytestmark = pytest.mark.postgres

# Each process imports the app first, then waits for the same wall-clock moment, so that both reach Alembic
# together (imports take a second or two; the migrations themselves a few seconds).
_RACER = """
import sys, time
from app.cli import main
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
sys.argv = ["portfolio", "migrate"]
main()
"""


@pytest.fixture
def empty_database() -> Iterator[str]:
    with scratch_database(postgres_url_or_skip("needs PostgreSQL: set TEST_DATABASE_URL"), "lock") as url:
        yield url


def test_two_instances_migrating_at_once_both_succeed(empty_database: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "DEVELOPMENT"}
    env.update(DATABASE_URL=empty_database, SECRET_KEY="lock-test-" + "s" * 48, PYTHONPATH=str(ROOT))
    start_at = f"{time.time() + 4:.3f}"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, start_at],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=180)[0] for racer in racers]
    for racer, output in zip(racers, outputs, strict=True):
        assert racer.returncode == 0, output
        assert "Database is bijgewerkt." in output

    from alembic.script import ScriptDirectory

    from app.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(empty_database)).get_current_head()
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert versions == [head]
