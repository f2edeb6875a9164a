"""The public development SECRET_KEY is accepted only in an explicit development mode (#15 Low 9).

Before, SQLite alone was taken as a sign of development; SQLite is the default, so a real server that was never
given a key ran with one anybody can read in the repository (and forge CSRF tokens or rewrite the audit chain)."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli import cli
from app.config import DEV_SECRET_KEY, ROOT, Settings, get_settings
from app.main import create_app


@pytest.fixture
def production_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An environment as on a server that was never configured: SQLite (the default), no key, no development."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.delenv("DEVELOPMENT", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_public_key_is_refused_on_sqlite_without_development_mode(production_env: str) -> None:
    with pytest.raises(ValidationError, match="DEVELOPMENT=true"):
        Settings(_env_file=None)
    with pytest.raises(ValidationError, match="Zet SECRET_KEY"):
        create_app()


def test_development_mode_allows_it_only_on_sqlite(production_env: str) -> None:
    assert Settings(_env_file=None, development=True).secret_key == DEV_SECRET_KEY
    with pytest.raises(ValidationError):
        Settings(_env_file=None, development=True, database_url="postgresql+psycopg://u@h/db")
    # A real key needs no development mode, on any database.
    Settings(_env_file=None, secret_key="a-real-key", database_url="postgresql+psycopg://u@h/db")


def test_the_command_line_says_why_instead_of_a_traceback(production_env: str) -> None:
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "Zet SECRET_KEY" in result.output and "Traceback" not in result.output
    assert not Path(production_env.removeprefix("sqlite:///")).exists()  # nothing ran


def test_development_mode_says_so(production_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVELOPMENT", "true")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "Ontwikkelmodus" in result.output


def test_make_run_turns_development_mode_on_for_every_command() -> None:
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe
    commands = [line for line in recipe.group(1).splitlines() if "portfolio" in line]
    assert commands and all("DEVELOPMENT=true" in line for line in commands)
